package auth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// ClaimMapping says how the claims of a verified token become a principal,
// for identity providers whose claim names we cannot choose (Entra ID,
// Keycloak). It only ever reads the token's signed payload: never its
// header, never a userinfo answer, never claims a provider points to
// elsewhere (_claim_names/_claim_sources).
//
// Roles: the values of every RoleClaims claim (a string or an array of
// strings) are collected, and the first rule in Roles whose Value is among
// them gives the role. Rules are taken in file order, so list the more
// powerful ones first. No matching rule is a 403, never an anonymous caller.
//
// Region (regional roles only): the rule's own Region when it has one, else
// the Region source: the values of its Claim, each a region code, or looked
// up in its Table (group ID or organisation code to region code) when it has
// one. Exactly one region must come out.
type ClaimMapping struct {
	// Subject is the claim naming the person; "sub" when empty. Entra ID's
	// "oid" is the same across applications, its "sub" is not.
	Subject string `yaml:"subject" json:"subject"`
	// Name is the claim shown as the signed-in person's name; optional.
	Name string `yaml:"name" json:"name"`
	// RoleClaims are the claims whose values the rules match: app roles,
	// group IDs, realm roles. Nested claims are paths: realm_access.roles.
	RoleClaims []string `yaml:"roleClaims" json:"roleClaims"`
	// Roles are the rules, first match wins.
	Roles []RoleRule `yaml:"roles" json:"roles"`
	// Region is where a regional role's region comes from when its rule
	// names none.
	Region RegionSource `yaml:"region" json:"region"`
	// Require lists claims that must hold exactly these values, such as
	// Entra ID's tenant (tid); a token without them is refused.
	Require map[string]string `yaml:"require" json:"require"`
}

// RoleRule maps one claim value to a role.
type RoleRule struct {
	Value  string   `yaml:"value" json:"value"`
	Role   hin.Role `yaml:"role" json:"role"`
	Region string   `yaml:"region" json:"region"` // a region code, for regional roles only
}

// RegionSource is a claim holding region codes, or keys of Table.
type RegionSource struct {
	Claim string            `yaml:"claim" json:"claim"`
	Table map[string]string `yaml:"table" json:"table"`
}

// selfAsserted are claims a person can usually edit about themselves at the
// provider (their profile), so they never decide a role or a region.
var selfAsserted = []string{
	"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
	"email", "upn", "unique_name", "profile", "picture", "website", "phone_number",
	"address", "locale", "zoneinfo", "_claim_names", "_claim_sources",
}

// LoadClaimMapping reads a mapping file: YAML (a .json file is JSON, which
// YAML reads too). Unknown keys are errors, so a misspelt key cannot
// silently drop a rule.
func LoadClaimMapping(path string) (*ClaimMapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("claim mapping: %w", err)
	}
	m, err := ParseClaimMapping(b)
	if err != nil {
		return nil, fmt.Errorf("claim mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseClaimMapping reads a mapping from YAML or JSON and checks it.
func ParseClaimMapping(b []byte) (*ClaimMapping, error) {
	var m ClaimMapping
	if err := yaml.UnmarshalWithOptions(b, &m, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		return nil, errors.New(yaml.FormatError(err, false, true))
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks that the mapping can only grant what it says.
func (m *ClaimMapping) Validate() error {
	if len(m.Roles) == 0 {
		return errors.New("roles: at least one rule is needed")
	}
	if len(m.RoleClaims) == 0 {
		return errors.New("roleClaims: at least one claim is needed")
	}
	for _, c := range append(slices.Clone(m.RoleClaims), m.Region.Claim) {
		if slices.Contains(selfAsserted, c) {
			return fmt.Errorf("%q is a profile claim a person may be able to set themselves; it cannot decide a role or region", c)
		}
	}
	needRegionSource := false
	seen := map[string]bool{}
	for i, r := range m.Roles {
		at := fmt.Sprintf("roles[%d]", i)
		switch {
		case r.Value == "":
			return fmt.Errorf("%s: value is empty", at)
		case seen[r.Value]:
			return fmt.Errorf("%s: value %q has an earlier rule, which would always win", at, r.Value)
		}
		seen[r.Value] = true
		if _, err := parseRole(string(r.Role)); err != nil {
			return fmt.Errorf("%s: role must be one of %s, not %q", at, RoleNames, r.Role)
		}
		switch {
		case r.Region != "" && !r.Role.Regional():
			return fmt.Errorf("%s: %s is national; only REGION_EDITOR and REGION_APPROVER take a region", at, r.Role)
		case r.Region != "" && !ValidRegionCode(r.Region):
			return fmt.Errorf("%s: %q is not a region code (such as HI-EM)", at, r.Region)
		case r.Region == "" && r.Role.Regional():
			needRegionSource = true
		}
	}
	for k, code := range m.Region.Table {
		if !ValidRegionCode(code) {
			return fmt.Errorf("region.table[%q]: %q is not a region code (such as HI-EM)", k, code)
		}
	}
	switch {
	case len(m.Region.Table) > 0 && m.Region.Claim == "":
		return errors.New("region.table needs region.claim, the claim whose values it looks up")
	case needRegionSource && m.Region.Claim == "":
		return errors.New("a regional rule without a region needs region.claim")
	}
	return nil
}

// claimValues returns the string values at path in claims: a string, or
// the strings of an array. A path is a claim name, or dot-separated names
// into nested objects when no claim has the whole path as its name.
func claimValues(claims map[string]any, path string) []string {
	v, ok := claims[path]
	if !ok {
		var cur any = claims
		for part := range strings.SplitSeq(path, ".") {
			obj, isObj := cur.(map[string]any)
			if !isObj {
				return nil
			}
			if cur, ok = obj[part]; !ok {
				return nil
			}
		}
		v = cur
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func claimString(claims map[string]any, path string) string {
	if vs := claimValues(claims, path); len(vs) == 1 {
		return vs[0]
	}
	return ""
}

func forbidden(msg string) *hin.Error { return &hin.Error{Code: hin.EFORBIDDEN, Message: msg} }

// principal maps verified claims; regionID resolves a region code.
func (m *ClaimMapping) principal(ctx context.Context, claims map[string]any, regionID func(context.Context, string) (string, error)) (hin.Principal, error) {
	for k, want := range m.Require {
		if got := claimString(claims, k); got != want {
			return hin.Principal{}, unauthenticated(fmt.Sprintf("the token's %s claim is not the one this server accepts", k))
		}
	}
	subjectClaim := cmp.Or(m.Subject, "sub")
	sub := claimString(claims, subjectClaim)
	if err := checkSubject(sub); err != nil {
		return hin.Principal{}, unauthenticated(fmt.Sprintf("the token's subject claim (%s) is missing or not usable", subjectClaim))
	}
	p := hin.Principal{Subject: sub}
	if m.Name != "" {
		p.Name = cleanName(claimString(claims, m.Name))
	}
	var values []string
	for _, c := range m.RoleClaims {
		values = append(values, claimValues(claims, c)...)
	}
	var rule *RoleRule
	for i := range m.Roles {
		if slices.Contains(values, m.Roles[i].Value) {
			rule = &m.Roles[i]
			break
		}
	}
	if rule == nil {
		return hin.Principal{}, forbidden("you are signed in, but none of your roles or groups gives you a role on this server; ask your administrator for one (the claim mapping lists them)")
	}
	p.Role = rule.Role
	if !p.Role.Regional() {
		return p, nil
	}
	code, err := m.regionCode(rule, claims)
	if err != nil {
		return hin.Principal{}, err
	}
	id, err := regionID(ctx, code)
	if err != nil {
		if hin.ErrorCode(err) == hin.EUNAUTHORIZED {
			return hin.Principal{}, forbidden(fmt.Sprintf("your %s role is for region %s, which this server does not know", p.Role, code))
		}
		return hin.Principal{}, err
	}
	p.RegionID = id
	return p, nil
}

func (m *ClaimMapping) regionCode(rule *RoleRule, claims map[string]any) (string, error) {
	if rule.Region != "" {
		return rule.Region, nil
	}
	var codes []string
	for _, v := range claimValues(claims, m.Region.Claim) {
		code := v
		if m.Region.Table != nil {
			var ok bool
			if code, ok = m.Region.Table[v]; !ok {
				continue // a group or organisation that is not a region
			}
		} else if !ValidRegionCode(v) {
			continue
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	switch len(codes) {
	case 0:
		return "", forbidden(fmt.Sprintf("your role is %s, but nothing in your token says which region it is for", rule.Role))
	case 1:
		return codes[0], nil
	}
	return "", forbidden(fmt.Sprintf("your role is %s, but your token names more than one region (%s); it must be exactly one", rule.Role, strings.Join(codes, ", ")))
}

// cleanName keeps a display name short and free of control characters.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// mappedClaims holds a token's registered claims, which the parser checks,
// and the whole payload, which the mapping reads.
type mappedClaims struct {
	jwt.RegisteredClaims
	all map[string]any
}

func (c *mappedClaims) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.RegisteredClaims); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	return d.Decode(&c.all)
}

// Explain maps claims as it would a verified token's, verifying nothing
// and looking up no region: for checking a mapping file against a token's
// claims (`hingraph claims`). The principal has no RegionID; the region
// code is returned instead.
func (m *ClaimMapping) Explain(claims map[string]any) (hin.Principal, string, error) {
	var code string
	p, err := m.principal(context.Background(), claims, func(_ context.Context, c string) (string, error) {
		code = c
		return c, nil
	})
	p.RegionID = ""
	return p, code, err
}
