package graph_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// writeServer serves the reference data and lets each request name its
// caller, so one database can be driven as every role.
type writeServer struct {
	s  *store.Store
	db *sql.DB
	h  http.Handler
}

func newWriteServer(t *testing.T) *writeServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	s := store.NewFromDB(db)
	h := graph.NewHandler(s, graph.Options{Introspection: true})
	return &writeServer{s: s, db: db, h: h}
}

func (ws *writeServer) as(who hin.Principal) *server {
	return &server{c: client.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws.h.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), who)))
	}))}
}

var (
	emID = hin.StableUUID("region", "HI-EM")
	wmID = hin.StableUUID("region", "HI-WM")

	anonymous = hin.Principal{}
	analyst   = hin.Principal{Subject: "analyst", Role: hin.RoleAnalyst}
	editorEM  = hin.Principal{Subject: "editor-em", Role: hin.RoleRegionEditor, RegionID: emID}
	editorWM  = hin.Principal{Subject: "editor-wm", Role: hin.RoleRegionEditor, RegionID: wmID}
	admin     = hin.Principal{Subject: "admin", Role: hin.RoleNationalAdmin}
)

func adminCtx() context.Context { return hin.WithPrincipal(context.Background(), admin) }

// fixtures are records in HI-EM (the region every regional case targets),
// made fresh for each case by a national admin through the store.
type fixtures struct {
	innovation hin.Innovation
	site       hin.Organisation
	pilot      hin.Pilot
	adoption   hin.Adoption
	draft      hin.Outcome
	published  hin.Outcome
	metric     hin.Metric
	programme  hin.Programme
}

func (ws *writeServer) fixtures(t *testing.T, n int) fixtures {
	t.Helper()
	ctx := adminCtx()
	em := "HI-EM"
	var f fixtures
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.site, err = ws.s.CreateOrganisation(ctx, hin.OrganisationInput{Name: fmt.Sprintf("Fixture trust %d", n), Kind: hin.OrgNHSTrust, RegionCode: &em}, nil)
	must(err)
	f.innovation, err = ws.s.CreateInnovation(ctx, hin.InnovationInput{Name: fmt.Sprintf("Fixture innovation %d", n), LeadRegionCode: &em}, hin.StageDevelopAndTest, nil, nil)
	must(err)
	f.pilot, err = ws.s.CreatePilot(ctx, hin.PilotInput{InnovationID: f.innovation.GlobalID(), SiteID: f.site.GlobalID(), Status: hin.PilotRunning, StartDate: day("2023-04-01")}, nil)
	must(err)
	f.adoption, err = ws.s.CreateAdoption(ctx, hin.AdoptionInput{InnovationID: f.innovation.GlobalID(), OrganisationID: f.site.GlobalID(), AdoptedOn: day("2024-01-01")}, nil)
	must(err)
	v := 5.0
	f.draft, err = ws.s.RecordOutcome(ctx, hin.OutcomeInput{MetricCode: "patients_benefiting", RegionCode: em, PeriodStart: day("2023-05-01"), PeriodEnd: day("2023-05-31"), Value: &v}, nil)
	must(err)
	f.published, err = ws.s.RecordOutcome(ctx, hin.OutcomeInput{MetricCode: "patients_benefiting", RegionCode: em, PeriodStart: day("2022-05-01"), PeriodEnd: day("2022-05-31"), Value: &v}, nil)
	must(err)
	_, err = ws.s.PublishOutcomes(ctx, em, hin.Window{From: day("2022-05-01"), To: day("2022-05-31")})
	must(err)
	must(ws.db.QueryRow(`SELECT version FROM outcome WHERE id = $1`, f.published.ID).Scan(&f.published.Version))
	f.metric, err = ws.s.CreateMetric(ctx, hin.MetricInput{Code: fmt.Sprintf("fixture_metric_%d", n), Name: "Fixture", Unit: "things", Kind: hin.MetricCount}, nil)
	must(err)
	f.programme, err = ws.s.CreateProgramme(ctx, hin.ProgrammeInput{Code: fmt.Sprintf("FIXTURE-%d", n), Name: "Fixture programme", Kind: hin.ProgOther, Status: hin.ProgActive}, nil)
	must(err)
	return f
}

// mutationCase is one mutation; national ones are for national admins only,
// regional ones for the region owning the record too.
type mutationCase struct {
	name     string
	national bool
	// doc builds the document for a fixture set and the region the input
	// names (for creates; updates act on the HI-EM fixtures).
	doc func(f fixtures) string
}

func regionalCases() []mutationCase {
	return []mutationCase{
		{"createInnovation", false, func(f fixtures) string {
			return `mutation { createInnovation(input: {name: "New", leadRegionCode: "HI-EM"}) { id } }`
		}},
		{"updateInnovation", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updateInnovation(id: %q, version: %d, input: {name: "Renamed", leadRegionCode: "HI-EM"}) { id } }`, f.innovation.GlobalID(), f.innovation.Version)
		}},
		{"moveInnovationStage", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { moveInnovationStage(id: %q, version: %d, stage: REAL_WORLD_PILOT) { id } }`, f.innovation.GlobalID(), f.innovation.Version)
		}},
		{"archiveInnovation", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { archiveInnovation(id: %q, version: %d) { id } }`, f.innovation.GlobalID(), f.innovation.Version)
		}},
		{"createPilot", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { createPilot(input: {innovationId: %q, siteId: %q, status: PLANNED, startDate: "2025-01-01"}) { id } }`, f.innovation.GlobalID(), f.site.GlobalID())
		}},
		{"updatePilot", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updatePilot(id: %q, version: %d, input: {innovationId: %q, siteId: %q, status: EVALUATING, startDate: "2023-04-01", endDate: "2024-03-31"}) { id } }`,
				f.pilot.GlobalID(), f.pilot.Version, f.innovation.GlobalID(), f.site.GlobalID())
		}},
		{"archivePilot", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { archivePilot(id: %q, version: %d) { id } }`, f.pilot.GlobalID(), f.pilot.Version)
		}},
		{"createAdoption", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { createAdoption(input: {innovationId: %q, organisationId: %q, adoptedOn: "2024-06-01"}) { id } }`,
				hin.GlobalID(hin.KindInnovation, hin.StableUUID("innovation", "pincer")), f.site.GlobalID())
		}},
		{"updateAdoption", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updateAdoption(id: %q, version: %d, input: {innovationId: %q, organisationId: %q, adoptedOn: "2024-02-01"}) { id } }`,
				f.adoption.GlobalID(), f.adoption.Version, f.innovation.GlobalID(), f.site.GlobalID())
		}},
		{"archiveAdoption", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { archiveAdoption(id: %q, version: %d) { id } }`, f.adoption.GlobalID(), f.adoption.Version)
		}},
		{"createOrganisation", false, func(f fixtures) string {
			return `mutation { createOrganisation(input: {name: "New practice", kind: PRIMARY_CARE, regionCode: "HI-EM"}) { id } }`
		}},
		{"updateOrganisation", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updateOrganisation(id: %q, version: %d, input: {name: "Renamed trust", kind: NHS_TRUST, regionCode: "HI-EM"}) { id } }`, f.site.GlobalID(), f.site.Version)
		}},
		{"archiveOrganisation", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { archiveOrganisation(id: %q, version: %d) { id } }`, f.site.GlobalID(), f.site.Version)
		}},
		{"recordOutcome", false, func(f fixtures) string {
			// a metric of its own per fixture set: the same key again would be a resend, which records nothing
			return fmt.Sprintf(`mutation { recordOutcome(input: {metricCode: %q, regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", value: 3}) { id } }`, f.metric.Code)
		}},
		{"updateOutcome", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updateOutcome(id: %q, version: %d, input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2023-05-01", periodEnd: "2023-05-31", value: 6}) { id } }`,
				f.draft.GlobalID(), f.draft.Version)
		}},
		{"submitReturn", false, func(f fixtures) string {
			return `mutation { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-02-01", periodEnd: "2024-02-29", rows: [{metricCode: "patients_benefiting", value: 1}]}) { id } }`
		}},
		{"publishOutcomes", false, func(f fixtures) string {
			return `mutation { publishOutcomes(regionCode: "HI-EM", window: {financialYear: "FY2023-24"}) { published } }`
		}},
		{"withdrawOutcome", false, func(f fixtures) string {
			return fmt.Sprintf(`mutation { withdrawOutcome(id: %q, version: %d, reason: "double counted") { id } }`, f.published.GlobalID(), f.published.Version)
		}},
		{"createMetric", true, func(f fixtures) string {
			return `mutation { createMetric(input: {code: "new_metric", name: "New", unit: "things", kind: COUNT}) { id } }`
		}},
		{"updateMetric", true, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updateMetric(id: %q, version: %d, input: {code: %q, name: "Renamed", unit: "things", kind: COUNT}) { id } }`, f.metric.GlobalID(), f.metric.Version, f.metric.Code)
		}},
		{"createProgramme", true, func(f fixtures) string {
			return `mutation { createProgramme(input: {code: "NEW-PROG", name: "New", kind: OTHER, status: ACTIVE, regionCodes: ["HI-EM"]}) { id } }`
		}},
		{"updateProgramme", true, func(f fixtures) string {
			return fmt.Sprintf(`mutation { updateProgramme(id: %q, version: %d, input: {code: %q, name: "Renamed", kind: OTHER, status: ACTIVE}) { id } }`, f.programme.GlobalID(), f.programme.Version, f.programme.Code)
		}},
		{"updateRegion", true, func(f fixtures) string {
			return `mutation { updateRegion(code: "HI-EM", version: 1, input: {name: "Health Innovation East Midlands"}) { id } }`
		}},
	}
}

// expected is the rule, written once: what a role may do to HI-EM's data.
// Another region's editor cannot see HI-EM's draft, so for them it does not
// exist.
func expected(c mutationCase, who hin.Principal) string {
	switch {
	case who.Role == hin.RoleAnonymous:
		return "UNAUTHENTICATED"
	case who.Role == hin.RoleNationalAdmin:
		return ""
	case c.national, who.Role == hin.RoleAnalyst:
		return "FORBIDDEN"
	case who.RegionID != emID && c.name == "updateOutcome":
		return "NOT_FOUND"
	case who.RegionID != emID:
		return "FORBIDDEN"
	}
	return ""
}

// TestMutationRoleMatrix runs every mutation as every role against one
// region's data and checks the outcome against the rule, and that a refused
// mutation changed nothing.
func TestMutationRoleMatrix(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	roles := map[string]hin.Principal{"anonymous": anonymous, "analyst": analyst, "editor of HI-EM": editorEM, "editor of HI-WM": editorWM, "national admin": admin}
	n := 0
	for _, c := range regionalCases() {
		for roleName, who := range roles {
			n++
			f := ws.fixtures(t, n)
			t.Run(c.name+"/"+roleName, func(t *testing.T) {
				audits := func() int {
					t.Helper()
					var n int
					if err := ws.db.QueryRow(`SELECT count(*) FROM audit_event`).Scan(&n); err != nil {
						t.Fatalf("counting audit events: %v", err)
					}
					return n
				}
				before := audits()
				want := expected(c, who)
				resp, err := ws.as(who).c.RawPost(c.doc(f))
				if err != nil {
					t.Fatal(err)
				}
				var errs []gqlError
				if len(resp.Errors) > 0 {
					if err := json.Unmarshal(resp.Errors, &errs); err != nil {
						t.Fatalf("decode errors: %v\n%s", err, resp.Errors)
					}
				}
				after := audits()
				switch {
				case want == "" && len(errs) > 0:
					t.Errorf("should be allowed, got %+v", errs)
				case want == "" && after == before:
					t.Errorf("allowed, but nothing was recorded in the audit trail")
				case want != "" && codeOf(errs) != want:
					t.Errorf("code = %q, want %q (%+v)", codeOf(errs), want, errs)
				case want != "" && after != before:
					t.Errorf("refused, yet %d audit events were written", after-before)
				case want == "NOT_FOUND" && !strings.HasPrefix(errs[0].Message, "no Outcome has the ID "):
					t.Errorf("the message should be the one for a missing record: %q", errs[0].Message)
				case want != "" && want != "NOT_FOUND" && !strings.Contains(errs[0].Message, "refused") && !strings.Contains(errs[0].Message, "signed-in"):
					t.Errorf("the message should say what was refused: %q", errs[0].Message)
				}
			})
		}
	}
}

const draftPaths = `query($id: ID!) {
  root: outcomes(first: 500, filter: {regionCodes: ["HI-EM"]}) { totalCount nodes { id status } }
  region(code: "HI-EM") { outcomes(first: 500) { totalCount nodes { id } } }
  metrics(filter: {codes: ["patients_benefiting"]}) { outcomes(first: 500) { totalCount nodes { id } } }
  node(id: $id) { id }
  nodes(ids: [$id]) { id }
}`

type draftResp struct {
	Root struct {
		TotalCount int
		Nodes      []struct{ ID, Status string }
	}
	Region struct {
		Outcomes struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	Metrics []struct {
		Outcomes struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	Node  *struct{ ID string }
	Nodes []*struct{ ID string }
}

// TestDraftsReadThroughEveryPath: drafts reach only those allowed to see
// them, whichever way they ask.
func TestDraftsReadThroughEveryPath(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	f := ws.fixtures(t, 1)
	// a pilot's draft, reachable through the pilot and innovation too
	v := 2.0
	pilotDraft, err := ws.s.RecordOutcome(adminCtx(), hin.OutcomeInput{MetricCode: "patients_benefiting", RegionCode: "HI-EM",
		PeriodStart: day("2023-06-01"), PeriodEnd: day("2023-06-30"), Value: &v, PilotID: ptr(f.pilot.GlobalID())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		who     hin.Principal
		visible bool
	}{
		"anonymous": {anonymous, false}, "analyst": {analyst, true}, "editor of HI-EM": {editorEM, true},
		"editor of HI-WM": {editorWM, false}, "national admin": {admin, true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := ws.as(tc.who)
			var r draftResp
			srv.query(t, draftPaths, &r, client.Var("id", f.draft.GlobalID()))
			found := func(ids []string) bool {
				for _, id := range ids {
					if id == f.draft.GlobalID() {
						return true
					}
				}
				return false
			}
			var root, region, metric []string
			for _, n := range r.Root.Nodes {
				root = append(root, n.ID)
			}
			for _, n := range r.Region.Outcomes.Nodes {
				region = append(region, n.ID)
			}
			for _, n := range r.Metrics[0].Outcomes.Nodes {
				metric = append(metric, n.ID)
			}
			for path, ids := range map[string][]string{"outcomes": root, "region.outcomes": region, "metric.outcomes": metric} {
				if found(ids) != tc.visible {
					t.Errorf("%s: draft visible = %v, want %v", path, found(ids), tc.visible)
				}
			}
			if (r.Node != nil) != tc.visible || (r.Nodes[0] != nil) != tc.visible {
				t.Errorf("node/nodes: draft visible = %v/%v, want %v", r.Node != nil, r.Nodes[0] != nil, tc.visible)
			}
			drafts := 2 // the fixture draft and the pilot's
			if !tc.visible {
				drafts = 0
			}
			if r.Root.TotalCount != 1+drafts {
				t.Errorf("totalCount = %d, want %d (one published)", r.Root.TotalCount, 1+drafts)
			}
			var nested struct {
				Node struct {
					Outcomes struct{ TotalCount int }
					Pilots   struct {
						Nodes []struct{ Outcomes struct{ TotalCount int } }
					}
				}
			}
			srv.query(t, `query($id: ID!) { node(id: $id) { ... on Innovation { outcomes { totalCount } pilots { nodes { outcomes { totalCount } } } } } }`,
				&nested, client.Var("id", f.innovation.GlobalID()))
			want := 0
			if tc.visible {
				want = 1
			}
			if nested.Node.Outcomes.TotalCount != want || nested.Node.Pilots.Nodes[0].Outcomes.TotalCount != want {
				t.Errorf("innovation/pilot outcomes = %d/%d, want %d (draft %s)", nested.Node.Outcomes.TotalCount,
					nested.Node.Pilots.Nodes[0].Outcomes.TotalCount, want, pilotDraft.ID)
			}
		})
	}
}

func TestIdempotentCreates(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	srv := ws.as(editorEM)
	doc := `mutation($k: String, $n: String!) { createInnovation(input: {name: $n, leadRegionCode: "HI-EM"}, idempotencyKey: $k) { id } }`
	key := "retry-key-0001"
	var ids []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ { // a client retrying in a hurry, concurrently
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r struct{ CreateInnovation struct{ ID string } }
			srv.query(t, doc, &r, client.Var("k", key), client.Var("n", "Retried innovation"))
			mu.Lock()
			ids = append(ids, r.CreateInnovation.ID)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("retries made different innovations: %v", ids)
		}
	}
	var n int
	_ = ws.db.QueryRow(`SELECT count(*) FROM innovation WHERE name = 'Retried innovation'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d innovations stored, want 1", n)
	}
	errs := srv.queryErr(t, doc, client.Var("k", key), client.Var("n", "Something else"))
	if codeOf(errs) != "CONFLICT" || errs[0].Extensions["field"] != "idempotencyKey" {
		t.Errorf("reusing a key for another request: %+v", errs)
	}
	// keys belong to their caller: another editor's identical key is theirs
	var other struct{ CreateInnovation struct{ ID string } }
	ws.as(admin).query(t, doc, &other, client.Var("k", key), client.Var("n", "Retried innovation"))
	if other.CreateInnovation.ID == ids[0] {
		t.Errorf("another caller's key returned the first caller's record")
	}
}

func TestConcurrentUpdatesCannotOverwriteEachOther(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	f := ws.fixtures(t, 1)
	srv := ws.as(editorEM)
	doc := `mutation($id: ID!, $v: Int!, $n: String!) { updateInnovation(id: $id, version: $v, input: {name: $n, leadRegionCode: "HI-EM"}) { version name } }`
	type result struct {
		errs []gqlError
		name string
	}
	results := make(chan result, 2)
	for _, name := range []string{"Editor one's name", "Editor two's name"} {
		go func() {
			resp, err := srv.c.RawPost(doc, client.Var("id", f.innovation.GlobalID()), client.Var("v", f.innovation.Version), client.Var("n", name))
			if err != nil {
				results <- result{errs: []gqlError{{Message: err.Error()}}}
				return
			}
			var errs []gqlError
			_ = json.Unmarshal(resp.Errors, &errs)
			results <- result{errs: errs, name: name}
		}()
	}
	a, b := <-results, <-results
	if (len(a.errs) == 0) == (len(b.errs) == 0) {
		t.Fatalf("exactly one update must win: %+v / %+v", a.errs, b.errs)
	}
	loser := a
	if len(a.errs) == 0 {
		loser = b
	}
	if codeOf(loser.errs) != "CONFLICT" || loser.errs[0].Extensions["currentVersion"] != float64(f.innovation.Version+1) {
		t.Errorf("the second editor should get CONFLICT with the current version: %+v", loser.errs)
	}
}

func TestBulkReturnIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	srv := ws.as(editorEM)
	count := func() (outcomes, audits int) {
		_ = ws.db.QueryRow(`SELECT (SELECT count(*) FROM outcome), (SELECT count(*) FROM audit_event)`).Scan(&outcomes, &audits)
		return
	}
	o0, a0 := count()
	errs := srv.queryErr(t, `mutation { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", rows: [
		{metricCode: "patients_benefiting", value: 10},
		{metricCode: "lipid_treated_to_target", numerator: 5, denominator: 50},
		{metricCode: "lipid_treated_to_target", value: 0.3},
		{metricCode: "bed_days_saved", value: -4},
		{metricCode: "no_such_metric", value: 1},
		{metricCode: "mgso4_uptake", numerator: 60, denominator: 50}
	]}) { id } }`)
	if codeOf(errs) != "INVALID_ARGUMENT" {
		t.Fatalf("got %+v", errs)
	}
	problems, _ := errs[0].Extensions["problems"].([]any)
	rows := map[float64]bool{}
	for _, p := range problems {
		m := p.(map[string]any)
		rows[m["row"].(float64)] = true
		if m["field"] == "" || m["message"] == "" {
			t.Errorf("problem without field or message: %v", m)
		}
	}
	for _, bad := range []float64{2, 3, 4, 5} {
		if !rows[bad] {
			t.Errorf("row %v is bad but not reported: %v", bad, problems)
		}
	}
	if rows[0] || rows[1] {
		t.Errorf("good rows reported as bad: %v", problems)
	}
	if o, a := count(); o != o0 || a != a0 {
		t.Errorf("a rejected return changed the database: outcomes %d -> %d, audit %d -> %d", o0, o, a0, a)
	}
	var ok struct{ SubmitReturn []struct{ Status string } }
	srv.query(t, `mutation { submitReturn(input: {regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", rows: [
		{metricCode: "patients_benefiting", value: 10}, {metricCode: "lipid_treated_to_target", numerator: 5, denominator: 50}]}) { status } }`, &ok)
	if len(ok.SubmitReturn) != 2 || ok.SubmitReturn[0].Status != "DRAFT" {
		t.Errorf("a good return: %+v", ok.SubmitReturn)
	}
}

func TestValidationSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	f := ws.fixtures(t, 1)
	srv := ws.as(editorEM)
	for _, tc := range []struct{ doc, field, contains string }{
		{`mutation { createInnovation(input: {name: "", leadRegionCode: "HI-EM"}) { id } }`, "name", "required"},
		{`mutation { createInnovation(input: {name: "x", leadRegionCode: "NOPE"}) { id } }`, "leadRegionCode", "NOPE"},
		{fmt.Sprintf(`mutation { createPilot(input: {innovationId: %q, siteId: %q, status: PLANNED, startDate: "2024-05-01", endDate: "2024-04-01"}) { id } }`,
			f.innovation.GlobalID(), f.site.GlobalID()), "endDate", "before"},
		{`mutation { recordOutcome(input: {metricCode: "lipid_treated_to_target", regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", numerator: 9, denominator: 3}) { id } }`, "numerator", "above"},
		{`mutation { recordOutcome(input: {metricCode: "lipid_treated_to_target", regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", value: 3}) { id } }`, "value", "RATE"},
		{`mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2024-01-31", periodEnd: "2024-01-01", value: 3}) { id } }`, "periodEnd", "before"},
		{`mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2024-01-01", periodEnd: "2024-01-31", value: 1e300}) { id } }`, "value", "finite"},
		{fmt.Sprintf(`mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2020-01-01", periodEnd: "2020-01-31", value: 3, pilotId: %q}) { id } }`,
			f.pilot.GlobalID()), "periodStart", "pilot's dates"},
		{fmt.Sprintf(`mutation { moveInnovationStage(id: %q, version: %d, stage: DEVELOP_AND_TEST) { id } }`, f.innovation.GlobalID(), f.innovation.Version), "stage", "already"},
		{fmt.Sprintf(`mutation { createInnovation(input: {name: "%s", leadRegionCode: "HI-EM"}) { id } }`, strings.Repeat("x", 301)), "name", "at most 300"},
	} {
		errs := srv.queryErr(t, tc.doc)
		if codeOf(errs) != "INVALID_ARGUMENT" || errs[0].Extensions["field"] != tc.field || !strings.Contains(errs[0].Message, tc.contains) {
			t.Errorf("%s\n  got %+v, want field %q mentioning %q", tc.doc, errs, tc.field, tc.contains)
		}
	}
	// a failed write leaves the version as it was
	var inn struct{ Node struct{ Version int } }
	srv.query(t, `query($id: ID!) { node(id: $id) { ... on Innovation { version } } }`, &inn, client.Var("id", f.innovation.GlobalID()))
	if inn.Node.Version != f.innovation.Version {
		t.Errorf("version moved to %d after refused writes", inn.Node.Version)
	}
}

func TestAuditTrailIsScoped(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	ws.fixtures(t, 1)
	var wm struct{ AuditTrail struct{ TotalCount int } }
	ws.as(editorWM).query(t, `{ auditTrail { totalCount } }`, &wm)
	var em, all struct {
		AuditTrail struct {
			TotalCount int
			Nodes      []struct {
				Action, Actor, EntityKind string
				Region                    *struct{ Code string }
				Before, After             json.RawMessage
			}
		}
	}
	ws.as(editorEM).query(t, `{ auditTrail(first: 100) { totalCount nodes { action actor entityKind region { code } before after } } }`, &em)
	ws.as(admin).query(t, `{ auditTrail(first: 100) { totalCount nodes { action actor entityKind region { code } before after } } }`, &all)
	if wm.AuditTrail.TotalCount != 0 {
		t.Errorf("HI-WM's editor sees %d of HI-EM's events", wm.AuditTrail.TotalCount)
	}
	if em.AuditTrail.TotalCount == 0 || all.AuditTrail.TotalCount <= em.AuditTrail.TotalCount {
		t.Errorf("HI-EM sees %d events, the admin %d (national ones too)", em.AuditTrail.TotalCount, all.AuditTrail.TotalCount)
	}
	for _, e := range em.AuditTrail.Nodes {
		if e.Region == nil || e.Region.Code != "HI-EM" || e.Actor != "admin" || len(e.After) == 0 {
			t.Errorf("event %+v", e)
		}
	}
	for _, who := range []hin.Principal{anonymous, analyst} {
		errs := ws.as(who).queryErr(t, `{ auditTrail { totalCount } }`)
		if c := codeOf(errs); c != "UNAUTHENTICATED" && c != "FORBIDDEN" {
			t.Errorf("%s reading the audit trail: %+v", who.Role, errs)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Concurrent writes into one rollup group (same metric, region and month)
// must neither fail nor leave the rollups off from the outcomes.
func TestConcurrentWritesKeepRollupsExact(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	srv := ws.as(editorEM)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := srv.c.RawPost(fmt.Sprintf(`mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM",
				periodStart: "2024-01-%02d", periodEnd: "2024-01-%02d", value: 1}) { id } }`, i+1, i+1))
			if err != nil {
				errs <- err.Error()
			} else if len(resp.Errors) > 0 {
				errs <- string(resp.Errors)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a concurrent write failed: %s", e)
	}
	var raw, rolled float64
	err := ws.db.QueryRow(`SELECT (SELECT coalesce(sum(value), 0) FROM outcome WHERE period_start >= '2024-01-01' AND period_start < '2024-02-01'),
		(SELECT coalesce(sum(sum_value), 0) FROM outcome_region_month WHERE start_month = '2024-01-01'),
		(SELECT coalesce(sum(sum_value), 0) FROM outcome_detail_month WHERE start_month = '2024-01-01')`).Scan(&raw, &rolled, new(float64))
	if err != nil || raw != 16 || rolled != 16 {
		t.Errorf("outcomes sum to %v, rollup to %v (%v); want 16", raw, rolled, err)
	}
	var detail float64
	_ = ws.db.QueryRow(`SELECT coalesce(sum(sum_value), 0) FROM outcome_detail_month WHERE start_month = '2024-01-01'`).Scan(&detail)
	if detail != 16 {
		t.Errorf("detail rollup sums to %v, want 16", detail)
	}
}

// Outcomes may be recorded as PUBLISHED at once, and then count; never as
// WITHDRAWN.
func TestRecordPublishedOutcome(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	srv := ws.as(editorEM)
	var rec struct {
		RecordOutcome struct{ Status, PublishedAt string }
	}
	srv.query(t, `mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2024-01-01",
		periodEnd: "2024-01-31", value: 7, status: PUBLISHED}) { status publishedAt } }`, &rec)
	if rec.RecordOutcome.Status != "PUBLISHED" || rec.RecordOutcome.PublishedAt == "" {
		t.Errorf("recorded %+v", rec.RecordOutcome)
	}
	var fig struct{ Figure struct{ Value *float64 } }
	ws.as(anonymous).query(t, `{ figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value } }`, &fig)
	if !near(fig.Figure.Value, 7) {
		t.Errorf("published figure = %v, want 7", deref(fig.Figure.Value))
	}
	errs := srv.queryErr(t, `mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2024-01-01",
		periodEnd: "2024-01-31", value: 7, status: WITHDRAWN}) { id } }`)
	if codeOf(errs) != "INVALID_ARGUMENT" || errs[0].Extensions["field"] != "status" {
		t.Errorf("recording a WITHDRAWN outcome: %+v", errs)
	}
}
