package hin

import (
	"context"
	"time"
)

// Role is what a caller may do.
type Role string

const (
	// RoleAnonymous reads published data only.
	RoleAnonymous Role = ""
	// RoleAnalyst reads everything nationally, drafts included, and writes nothing.
	RoleAnalyst Role = "ANALYST"
	// RoleRegionEditor reads what the public reads plus its region's drafts,
	// and changes its region's data.
	RoleRegionEditor Role = "REGION_EDITOR"
	// RoleRegionApprover is a region editor who may also approve or return
	// its region's collection submissions (never one they submitted).
	RoleRegionApprover Role = "REGION_APPROVER"
	// RoleNationalAdmin may do everything.
	RoleNationalAdmin Role = "NATIONAL_ADMIN"
)

// Principal is the caller of a request.
type Principal struct {
	Subject string
	// Name is the person's display name when the token carries one (a
	// claim mapping's name claim); only ever shown, never trusted.
	Name     string
	Role     Role
	RegionID string // the region of a regional role (REGION_EDITOR, REGION_APPROVER)
	// Expires is when the caller's token stops being accepted (its exp
	// plus the verifier's leeway); zero for a caller without one. A
	// stream outliving it is ended (graph/stream.go).
	Expires time.Time
}

// ExpiredAt reports whether the caller's token is no longer accepted at t.
func (p Principal) ExpiredAt(t time.Time) bool {
	return !p.Expires.IsZero() && !t.Before(p.Expires)
}

// Regional says whether the role belongs to one region: REGION_EDITOR and
// REGION_APPROVER, which carry a region.
func (r Role) Regional() bool {
	return r == RoleRegionEditor || r == RoleRegionApprover
}

// Regional says whether the caller's role belongs to one region.
func (p Principal) Regional() bool { return p.Role.Regional() }

type principalKey struct{}

// WithPrincipal returns a context carrying the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller, anonymous when none was set.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// DraftScope is whose drafts the caller may see.
func (p Principal) DraftScope() DraftScope {
	switch p.Role {
	case RoleAnalyst, RoleNationalAdmin:
		return DraftScope{All: true}
	case RoleRegionEditor, RoleRegionApprover:
		if p.RegionID != "" {
			return DraftScope{RegionIDs: []string{p.RegionID}}
		}
	}
	return DraftScope{}
}

// Sees says whether an outcome of a status and region is within the
// scope: every published or withdrawn one, and the drafts it covers.
func (s DraftScope) Sees(status OutcomeStatus, regionID string) bool {
	if status != OutcomeDraft || s.All {
		return true
	}
	for _, id := range s.RegionIDs {
		if id == regionID {
			return true
		}
	}
	return false
}

// DraftsFor decides the drafts an aggregate includes: none unless asked
// for, and asking without the right to see any is refused.
func DraftsFor(ctx context.Context, include bool) (DraftScope, error) {
	if !include {
		return DraftScope{}, nil
	}
	s := PrincipalFrom(ctx).DraftScope()
	if !s.All && len(s.RegionIDs) == 0 {
		return s, &Error{Code: EFORBIDDEN, Field: "includeDrafts", Message: "includeDrafts was refused: only analysts, national admins and region editors may see draft outcomes"}
	}
	return s, nil
}
