package graph_test

// Authorization across regions: a draft a caller may not see is answered
// exactly as a record that does not exist, and no mutation moves a record
// into a region its caller may not write.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
)

// missingOutcome is an outcome ID no record has.
var missingOutcome = hin.GlobalID(hin.KindOutcome, "6f0c2a4e-1b3d-4c5e-8f7a-9b0c1d2e3f4a")

// TestHiddenDraftAnswersAsMissing: for every request that names an outcome
// by ID, another region's draft and an ID that matches nothing get the same
// answer, byte for byte once the ID is masked, and neither writes anything.
func TestHiddenDraftAnswersAsMissing(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	f := ws.fixtures(t, 1) // f.draft is a draft of HI-EM
	input := `{metricCode: "patients_benefiting", regionCode: "HI-WM", periodStart: "2023-05-01", periodEnd: "2023-05-31", value: 6}`
	paths := map[string]string{
		"updateOutcome": `mutation($id: ID!, $v: Int!) { updateOutcome(id: $id, version: $v, input: ` + input + `) { id status } }`,
		"updateOutcome in its own region": `mutation($id: ID!, $v: Int!) { updateOutcome(id: $id, version: $v, input: ` +
			strings.Replace(input, "HI-WM", "HI-EM", 1) + `) { id } }`,
		"withdrawOutcome": `mutation($id: ID!, $v: Int!) { withdrawOutcome(id: $id, version: $v, reason: "double counted") { id } }`,
		"node":            `query($id: ID!) { node(id: $id) { id ... on Outcome { status value version region { code } } } }`,
		"nodes":           `query($id: ID!) { nodes(ids: [$id, $id]) { id ... on Outcome { status } } }`,
		"auditTrail":      `query($id: ID!) { auditTrail(filter: {entityIds: [$id]}) { totalCount nodes { id } } }`,
	}
	for _, who := range []hin.Principal{editorWM, anonymous} {
		for name, doc := range paths {
			if who == anonymous && name == "auditTrail" {
				continue // refused before any ID is looked at
			}
			t.Run(fmt.Sprintf("%s/%s", name, who.Subject), func(t *testing.T) {
				answer := func(h http.Handler, id string) string {
					t.Helper()
					before := fingerprint(t, ws.db)
					res := sendAs(h, who, postJSON(gqlBody(doc, map[string]any{"id": id, "v": f.draft.Version})))
					if changed := tablesChanged(before, fingerprint(t, ws.db)); len(changed) > 0 {
						t.Errorf("asking about %s changed %v", id, changed)
					}
					return fmt.Sprintf("%d %s", res.status, strings.ReplaceAll(string(res.body), id, "<id>"))
				}
				// with direct execution and without: the same answers
				hidden, missing := answer(ws.h, f.draft.GlobalID()), answer(ws.h, missingOutcome)
				viaGqlgen := graph.WithoutDirect(ws.h)
				hiddenG, missingG := answer(viaGqlgen, f.draft.GlobalID()), answer(viaGqlgen, missingOutcome)
				if hidden != missing {
					t.Errorf("another region's draft is told apart from a missing record:\n draft:   %s\n missing: %s", hidden, missing)
				}
				if hiddenG != hidden || missingG != missing {
					t.Errorf("direct execution and gqlgen answer differently:\n direct: %s\n         %s\n gqlgen: %s\n         %s", hidden, missing, hiddenG, missingG)
				}
				if strings.HasPrefix(name, "update") || strings.HasPrefix(name, "withdraw") {
					want := hin.ENOTFOUND
					if who == anonymous {
						want = hin.EUNAUTHORIZED
					}
					if !strings.Contains(missing, `"code":"`+want+`"`) {
						t.Errorf("want %s, got %s", want, missing)
					}
				}
			})
		}
	}
	// the draft is untouched and its own region still reaches it
	var status string
	if err := ws.db.QueryRow(`SELECT status FROM outcome WHERE id = $1 AND region_id = $2`, f.draft.ID, emID).Scan(&status); err != nil || status != "DRAFT" {
		t.Errorf("the draft is now %q (%v)", status, err)
	}
	var r struct{ Node *struct{ ID string } }
	ws.as(editorEM).query(t, fmt.Sprintf(`{ node(id: %q) { id } }`, f.draft.GlobalID()), &r)
	if r.Node == nil {
		t.Errorf("HI-EM's editor cannot see its own draft")
	}
	// a published outcome of another region is visible, so refusing to
	// change it reveals nothing and says why
	errs := ws.as(editorWM).queryErr(t, fmt.Sprintf(`mutation { withdrawOutcome(id: %q, version: %d, reason: "double counted") { id } }`,
		f.published.GlobalID(), f.published.Version))
	if codeOf(errs) != hin.EFORBIDDEN {
		t.Errorf("withdrawing another region's published outcome: %+v", errs)
	}
	// publishing is by region: a region with drafts and one without answer alike
	pub := func(code string) string {
		res := sendAs(ws.h, editorWM, postJSON(gqlBody(`mutation($r: String!) { publishOutcomes(regionCode: $r, window: {financialYear: "FY2023-24"}) { published } }`,
			map[string]any{"r": code})))
		return strings.ReplaceAll(string(res.body), code, "<region>")
	}
	if a, b := pub("HI-EM"), pub("HI-NENC"); a != b || !strings.Contains(a, hin.EFORBIDDEN) {
		t.Errorf("publishing another region's drafts:\n with drafts:    %s\n without drafts: %s", a, b)
	}
}

// moveCase is a mutation by HI-EM's editor that would move one of HI-EM's
// records (the fixtures) into another region or out of every region.
type moveCase struct {
	name string
	doc  func(f fixtures, wm wmRecords) string
	// table and column hold the record's region; id picks the record.
	table, column string
	id            func(f fixtures) string
	// want is the editor's error; an admin may make the move unless the
	// rule is about consistency (INVALID_ARGUMENT), not rights.
	want string
}

// wmRecords are records of HI-WM to move HI-EM's records next to.
type wmRecords struct {
	trust hin.Organisation
	pilot hin.Pilot
}

func moveCases() []moveCase {
	pilotID := func(f fixtures) string { return f.pilot.ID }
	innovationID := func(f fixtures) string { return f.innovation.ID }
	orgID := func(f fixtures) string { return f.site.ID }
	outcome := func(region, extra string) func(f fixtures, wm wmRecords) string {
		return func(f fixtures, wm wmRecords) string {
			more := extra
			if more != "" {
				more = fmt.Sprintf(extra, wm.pilot.GlobalID())
			}
			return fmt.Sprintf(`mutation { updateOutcome(id: %q, version: %d, input: {metricCode: "patients_benefiting", regionCode: %q,
				periodStart: "2023-05-01", periodEnd: "2023-05-31", value: 6%s}) { id } }`, f.draft.GlobalID(), f.draft.Version, region, more)
		}
	}
	return []moveCase{
		{name: "updatePilot to another region's trust", table: "pilot", column: "region_id", id: pilotID, want: hin.EFORBIDDEN,
			doc: func(f fixtures, wm wmRecords) string {
				return fmt.Sprintf(`mutation { updatePilot(id: %q, version: %d, input: {innovationId: %q, siteId: %q, status: RUNNING, startDate: "2023-04-01"}) { id } }`,
					f.pilot.GlobalID(), f.pilot.Version, f.innovation.GlobalID(), wm.trust.GlobalID())
			}},
		{name: "updateInnovation to another lead region", table: "innovation", column: "lead_region_id", id: innovationID, want: hin.EFORBIDDEN,
			doc: func(f fixtures, wm wmRecords) string {
				return fmt.Sprintf(`mutation { updateInnovation(id: %q, version: %d, input: {name: "Moved", leadRegionCode: "HI-WM"}) { id } }`,
					f.innovation.GlobalID(), f.innovation.Version)
			}},
		{name: "updateInnovation to no lead region", table: "innovation", column: "lead_region_id", id: innovationID, want: hin.EFORBIDDEN,
			doc: func(f fixtures, wm wmRecords) string {
				return fmt.Sprintf(`mutation { updateInnovation(id: %q, version: %d, input: {name: "Moved"}) { id } }`, f.innovation.GlobalID(), f.innovation.Version)
			}},
		{name: "updateAdoption to another region's organisation", table: "adoption", column: "region_id", id: func(f fixtures) string { return f.adoption.ID }, want: hin.EFORBIDDEN,
			doc: func(f fixtures, wm wmRecords) string {
				return fmt.Sprintf(`mutation { updateAdoption(id: %q, version: %d, input: {innovationId: %q, organisationId: %q, adoptedOn: "2024-01-01"}) { id } }`,
					f.adoption.GlobalID(), f.adoption.Version, f.innovation.GlobalID(), wm.trust.GlobalID())
			}},
		{name: "updateOrganisation to another region", table: "organisation", column: "region_id", id: orgID, want: hin.EFORBIDDEN,
			doc: func(f fixtures, wm wmRecords) string {
				return fmt.Sprintf(`mutation { updateOrganisation(id: %q, version: %d, input: {name: "Moved trust", kind: NHS_TRUST, regionCode: "HI-WM"}) { id } }`,
					f.site.GlobalID(), f.site.Version)
			}},
		{name: "updateOrganisation to no region", table: "organisation", column: "region_id", id: orgID, want: hin.EFORBIDDEN,
			doc: func(f fixtures, wm wmRecords) string {
				return fmt.Sprintf(`mutation { updateOrganisation(id: %q, version: %d, input: {name: "Moved trust", kind: NHS_TRUST}) { id } }`,
					f.site.GlobalID(), f.site.Version)
			}},
		{name: "updateOutcome to another region", table: "outcome", column: "region_id", id: func(f fixtures) string { return f.draft.ID },
			want: hin.EFORBIDDEN, doc: outcome("HI-WM", "")},
		{name: "updateOutcome onto another region's pilot", table: "outcome", column: "region_id", id: func(f fixtures) string { return f.draft.ID },
			want: hin.EINVALID, doc: outcome("HI-EM", ", pilotId: %q")},
		{name: "updateOutcome to another region with its pilot", table: "outcome", column: "region_id", id: func(f fixtures) string { return f.draft.ID },
			want: hin.EFORBIDDEN, doc: outcome("HI-WM", ", pilotId: %q")},
	}
}

// TestNoMoveIntoAnotherRegion: HI-EM's editor may change HI-EM's records
// but not move them out of HI-EM. A refused move leaves the record where it
// was and writes nothing, audit trail included. The same document from a
// national admin does move the record, so the refusal is about rights.
func TestNoMoveIntoAnotherRegion(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	wmCode := "HI-WM"
	var wm wmRecords
	var err error
	wm.trust, err = ws.s.CreateOrganisation(adminCtx(), hin.OrganisationInput{Name: "West Midlands trust", Kind: hin.OrgNHSTrust, RegionCode: &wmCode}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inn, err := ws.s.CreateInnovation(adminCtx(), hin.InnovationInput{Name: "West Midlands innovation", LeadRegionCode: &wmCode}, hin.StageDevelopAndTest, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wm.pilot, err = ws.s.CreatePilot(adminCtx(), hin.PilotInput{InnovationID: inn.GlobalID(), SiteID: wm.trust.GlobalID(), Status: hin.PilotRunning, StartDate: day("2023-01-01")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	region := func(t *testing.T, c moveCase, id string) string {
		t.Helper()
		var r *string
		if err := ws.db.QueryRow(`SELECT `+c.column+`::text FROM `+c.table+` WHERE id = $1`, id).Scan(&r); err != nil {
			t.Fatal(err)
		}
		if r == nil {
			return "no region"
		}
		return *r
	}
	n := 0
	for _, c := range moveCases() {
		t.Run(c.name, func(t *testing.T) {
			n++
			f := ws.fixtures(t, 100+n)
			before := fingerprint(t, ws.db)
			errs := ws.as(editorEM).queryErr(t, c.doc(f, wm))
			if codeOf(errs) != c.want {
				t.Errorf("code = %q, want %q (%+v)", codeOf(errs), c.want, errs)
			}
			if changed := tablesChanged(before, fingerprint(t, ws.db)); len(changed) > 0 {
				t.Errorf("a refused move changed %v", changed)
			}
			if r := region(t, c, c.id(f)); r != emID {
				t.Errorf("the record moved to %s", r)
			}
			// the same request from a national admin
			n++
			f = ws.fixtures(t, 100+n)
			res := sendAs(ws.h, admin, postJSON(gqlBody(c.doc(f, wm), nil)))
			switch {
			case c.want == hin.EINVALID:
				if len(res.errors) == 0 || res.errors[0].Extensions["code"] != hin.EINVALID {
					t.Errorf("a national admin should be refused too: %s", res.body)
				}
			case len(res.errors) > 0:
				t.Errorf("a national admin may make this move: %s", res.body)
			case region(t, c, c.id(f)) == emID:
				t.Errorf("a national admin's move left the record in HI-EM")
			}
		})
	}
}

// A pilot's outcomes are its region's figures: a pilot with outcomes does
// not move to another region, even for a national admin, so no region's
// editors can meet another region's drafts through a pilot's date check.
func TestPilotWithOutcomesStaysInItsRegion(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	f := ws.fixtures(t, 1)
	wmCode := "HI-WM"
	trust, err := ws.s.CreateOrganisation(adminCtx(), hin.OrganisationInput{Name: "West Midlands trust", Kind: hin.OrgNHSTrust, RegionCode: &wmCode}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := 1.0
	if _, err := ws.s.RecordOutcome(adminCtx(), hin.OutcomeInput{MetricCode: "patients_benefiting", RegionCode: "HI-EM",
		PeriodStart: day("2023-06-01"), PeriodEnd: day("2023-06-30"), Value: &v, PilotID: ptr(f.pilot.GlobalID())}, nil); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, ws.db)
	errs := ws.as(admin).queryErr(t, fmt.Sprintf(`mutation { updatePilot(id: %q, version: %d, input: {innovationId: %q, siteId: %q, status: RUNNING, startDate: "2023-04-01"}) { id } }`,
		f.pilot.GlobalID(), f.pilot.Version, f.innovation.GlobalID(), trust.GlobalID()))
	if codeOf(errs) != hin.ECONFLICT || errs[0].Extensions["field"] != "siteId" {
		t.Errorf("moving a pilot with outcomes: %+v", errs)
	}
	if changed := tablesChanged(before, fingerprint(t, ws.db)); len(changed) > 0 {
		t.Errorf("a refused move changed %v", changed)
	}
}
