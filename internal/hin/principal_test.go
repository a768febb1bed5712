package hin_test

import (
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The rights of each role, in one table: what it reads, writes and audits.
func TestRoleRights(t *testing.T) {
	t.Parallel()
	own, other := "region-a", "region-b"
	cases := []struct {
		p                       hin.Principal
		drafts                  hin.DraftScope
		writeOwn, writeOther    string // error code, "" when allowed
		writeNational, mayWrite string
		auditAll                bool
		auditRegion, auditCode  string
	}{
		{hin.Principal{}, hin.DraftScope{}, hin.EUNAUTHORIZED, hin.EUNAUTHORIZED, hin.EUNAUTHORIZED, hin.EUNAUTHORIZED, false, "", hin.EUNAUTHORIZED},
		{hin.Principal{Role: hin.RoleAnalyst}, hin.DraftScope{All: true}, hin.EFORBIDDEN, hin.EFORBIDDEN, hin.EFORBIDDEN, hin.EFORBIDDEN, false, "", hin.EFORBIDDEN},
		{hin.Principal{Role: hin.RoleRegionEditor, RegionID: own}, hin.DraftScope{RegionIDs: []string{own}}, "", hin.EFORBIDDEN, hin.EFORBIDDEN, "", false, own, ""},
		{hin.Principal{Role: hin.RoleRegionApprover, RegionID: own}, hin.DraftScope{RegionIDs: []string{own}}, "", hin.EFORBIDDEN, hin.EFORBIDDEN, "", false, own, ""},
		{hin.Principal{Role: hin.RoleNationalAdmin}, hin.DraftScope{All: true}, "", "", "", "", true, "", ""},
	}
	for _, c := range cases {
		t.Run(string(c.p.Role), func(t *testing.T) {
			if got := c.p.DraftScope(); got.All != c.drafts.All || len(got.RegionIDs) != len(c.drafts.RegionIDs) ||
				(len(got.RegionIDs) == 1 && got.RegionIDs[0] != c.drafts.RegionIDs[0]) {
				t.Errorf("DraftScope = %+v, want %+v", got, c.drafts)
			}
			check := func(what string, err error, want string) {
				if got := hin.ErrorCode(err); got != want {
					t.Errorf("%s: code %q (%v), want %q", what, got, err, want)
				}
			}
			check("write own region", c.p.CanWriteRegion(&own, "x"), c.writeOwn)
			check("write other region", c.p.CanWriteRegion(&other, "x"), c.writeOther)
			check("write national record", c.p.CanWriteRegion(nil, "x"), c.writeNational)
			check("MayWrite", c.p.MayWrite("x"), c.mayWrite)
			all, region, err := c.p.AuditScope()
			check("AuditScope", err, c.auditCode)
			if all != c.auditAll || region != c.auditRegion {
				t.Errorf("AuditScope = %v, %q, want %v, %q", all, region, c.auditAll, c.auditRegion)
			}
			if got, want := c.p.Regional(), c.p.Role == hin.RoleRegionEditor || c.p.Role == hin.RoleRegionApprover; got != want {
				t.Errorf("Regional = %v, want %v", got, want)
			}
		})
	}
}
