package graph_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// returnsServer serves the real schema, counting statements, with one
// client per caller.
type returnsServer struct {
	db         *sql.DB
	h          http.Handler
	statements *server
}

func newReturnsServer(t *testing.T) *returnsServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	s := store.NewFromDB(db)
	rs := &returnsServer{db: db, statements: &server{}}
	s.AddHook(func(ctx context.Context, _ string) (context.Context, func(error)) {
		rs.statements.statements.Add(1)
		return ctx, func(error) {}
	})
	rs.h = graph.NewHandler(s, graph.Options{Introspection: true})
	return rs
}

func (rs *returnsServer) as(who hin.Principal) *server {
	return &server{c: client.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.h.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), who)))
	}))}
}

const yearReturn = `mutation($rows: [ReturnRow!]!, $reason: String) {
  submitReturn(input: {regionCode: "HI-EM", status: PUBLISHED, reason: $reason, rows: $rows}) { id value periodStart version } }`

func monthRows(values ...float64) []map[string]any {
	var rows []map[string]any
	for i, v := range values {
		start := time.Date(2024, time.Month(4+i), 1, 0, 0, 0, 0, time.UTC)
		rows = append(rows, map[string]any{"metricCode": "patients_benefiting", "periodStart": start.Format(time.DateOnly),
			"periodEnd": start.AddDate(0, 1, -1).Format(time.DateOnly), "value": v})
	}
	return rows
}

type submitted struct {
	SubmitReturn []struct {
		ID          string
		Value       float64
		PeriodStart string
		Version     int
	}
}

func TestReturnsThroughGraphQL(t *testing.T) {
	t.Parallel()
	rs := newReturnsServer(t)
	em := rs.as(editorEM)
	var first submitted
	em.query(t, yearReturn, &first, client.Var("rows", monthRows(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120)))
	if len(first.SubmitReturn) != 12 || first.SubmitReturn[3].PeriodStart != "2024-07-01" {
		t.Fatalf("a year in one return: %+v", first.SubmitReturn)
	}
	fy := `figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}%s) { value outcomeCount }`
	figure := func(srv *server, args string) (float64, int) {
		t.Helper()
		var r struct {
			Figure struct {
				Value        *float64
				OutcomeCount int
			}
		}
		srv.query(t, "{ "+fmt.Sprintf(fy, args)+" }", &r)
		if r.Figure.Value == nil {
			return 0, r.Figure.OutcomeCount
		}
		return *r.Figure.Value, r.Figure.OutcomeCount
	}
	if v, n := figure(em, ""); v != 780 || n != 12 {
		t.Fatalf("after the first return: %v from %d outcomes", v, n)
	}
	// the same return again: the same outcomes, nothing counted twice
	var again submitted
	em.query(t, yearReturn, &again, client.Var("rows", monthRows(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120)))
	for i := range again.SubmitReturn {
		if again.SubmitReturn[i].ID != first.SubmitReturn[i].ID || again.SubmitReturn[i].Version != 1 {
			t.Fatalf("resent row %d: %+v", i, again.SubmitReturn[i])
		}
	}
	if v, _ := figure(em, ""); v != 780 {
		t.Fatalf("after resending: %v", v)
	}
	beforeRestate := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	// a correction of April without a reason: refused, naming the row and the outcome
	errs := em.queryErr(t, yearReturn, client.Var("rows", monthRows(15)))
	if codeOf(errs) != hin.EINVALID || !strings.Contains(errs[0].Message, first.SubmitReturn[0].ID) {
		t.Fatalf("restating without a reason: %+v", errs)
	}
	var fixed submitted
	em.query(t, yearReturn, &fixed, client.Var("rows", monthRows(15)), client.Var("reason", "April recounted"))
	if fixed.SubmitReturn[0].ID != first.SubmitReturn[0].ID || fixed.SubmitReturn[0].Value != 15 || fixed.SubmitReturn[0].Version != 2 {
		t.Fatalf("restated: %+v", fixed.SubmitReturn)
	}
	time.Sleep(10 * time.Millisecond)
	afterRestate := time.Now().UTC()
	if v, _ := figure(em, ""); v != 785 {
		t.Errorf("current: %v, want 785", v)
	}
	asOf := func(at time.Time) string { return fmt.Sprintf(`, asOf: %q`, at.Format(time.RFC3339Nano)) }
	if v, _ := figure(em, asOf(beforeRestate)); v != 780 {
		t.Errorf("as of before the restatement: %v, want 780", v)
	}
	if v, _ := figure(em, asOf(afterRestate)); v != 785 {
		t.Errorf("as of after it: %v, want 785", v)
	}
	// the other figure fields take asOf too
	var r struct {
		Series struct {
			Points []struct{ Value *float64 }
		}
		FigureBreakdown []struct {
			Value  *float64
			Period struct{ Start string }
		}
		RegionComparison struct {
			National []struct{ Value *float64 }
		}
		Regions []struct {
			Code   string
			Figure struct{ Value *float64 }
			Series struct {
				Points []struct{ Value *float64 }
			}
			FigureBreakdown []struct{ Value *float64 }
		}
	}
	q := `query($at: DateTime) {
	  series(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}, interval: MONTH, asOf: $at) { points { value } }
	  figureBreakdown(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}, groupBy: [QUARTER], asOf: $at) { value period { start } }
	  regionComparison(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}, asOf: $at) { national { value } }
	  regions {
	    code
	    figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}, asOf: $at) { value }
	    series(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}, interval: QUARTER, asOf: $at) { points { value } }
	    figureBreakdown(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}, groupBy: [QUARTER], asOf: $at) { value }
	  } }`
	for _, c := range []struct {
		at    time.Time
		april float64
		q1    float64
		total float64
	}{{beforeRestate, 10, 60, 780}, {afterRestate, 15, 65, 785}} {
		before := rs.statements.statements.Load()
		em.query(t, q, &r, client.Var("at", c.at.Format(time.RFC3339Nano)))
		statements := rs.statements.statements.Load() - before
		if v := r.Series.Points[0].Value; v == nil || *v != c.april {
			t.Errorf("series as of %v: April %v, want %v", c.at, v, c.april)
		}
		for _, g := range r.FigureBreakdown {
			if v := g.Value; g.Period.Start == "2024-04-01" && (v == nil || *v != c.q1) {
				t.Errorf("breakdown as of %v: Q1 %v, want %v", c.at, v, c.q1)
			}
		}
		if v := r.RegionComparison.National[0].Value; v == nil || *v != c.total {
			t.Errorf("comparison as of %v: %v, want %v", c.at, v, c.total)
		}
		for _, reg := range r.Regions {
			if reg.Code != "HI-EM" {
				continue
			}
			if v := reg.Figure.Value; v == nil || *v != c.total {
				t.Errorf("HI-EM figure as of %v: %v, want %v", c.at, v, c.total)
			}
			if v := reg.Series.Points[0].Value; v == nil || *v != c.q1 {
				t.Errorf("HI-EM series as of %v: %v, want %v", c.at, v, c.q1)
			}
		}
		// one statement per figure field, whatever the number of regions
		// (plus the catalogue and the regions, read once)
		if statements > 10 {
			t.Errorf("%d statements for seven figure fields over 15 regions", statements)
		}
	}

	// Outcome.history: the replaced April, with who and why
	var h struct {
		Node struct {
			Value   float64
			History []struct {
				Value     float64
				Status    string
				Change    string
				ChangedBy string
				Reason    *string
				ValidFrom string
				ValidTo   string
			}
		}
	}
	em.query(t, `query($id: ID!) { node(id: $id) { ... on Outcome { value history { value status change changedBy reason validFrom validTo } } } }`, &h,
		client.Var("id", first.SubmitReturn[0].ID))
	if h.Node.Value != 15 || len(h.Node.History) != 1 || h.Node.History[0].Value != 10 || h.Node.History[0].Change != "RESTATED" ||
		h.Node.History[0].ChangedBy != "editor-em" || h.Node.History[0].Reason == nil || *h.Node.History[0].Reason != "April recounted" {
		t.Errorf("history: %+v", h.Node)
	}
	// changedBy names a token subject, as the audit trail does, and follows
	// its rule: the region's editors and national admins see it; anonymous
	// callers, analysts and other regions' editors are refused it with the
	// audit trail's codes, and may read the rest of the history.
	const whoChanged = `query($id: ID!) { node(id: $id) { ... on Outcome { history { changedBy } } } }`
	for _, c := range []struct {
		who  hin.Principal
		code string
	}{{anonymous, hin.EUNAUTHORIZED}, {analyst, hin.EFORBIDDEN}, {editorWM, hin.EFORBIDDEN}, {admin, ""}, {editorEM, ""}} {
		raw, err := rs.as(c.who).c.RawPost(whoChanged, client.Var("id", first.SubmitReturn[0].ID))
		if err != nil {
			t.Fatal(err)
		}
		var errs []gqlError
		_ = json.Unmarshal(raw.Errors, &errs)
		data, _ := json.Marshal(raw.Data)
		if got := codeOf(errs); got != c.code || (c.code != "" && strings.Contains(string(data), "editor-em")) {
			t.Errorf("%s asking changedBy: code %q (want %q), data %s", c.who.Role, got, c.code, data)
		}
		if c.code == "" && !strings.Contains(string(data), `"changedBy":"editor-em"`) {
			t.Errorf("%s: changedBy missing: %s", c.who.Role, data)
		}
	}
	var values struct {
		Node struct{ History []struct{ Value float64 } }
	}
	rs.as(anonymous).query(t, `query($id: ID!) { node(id: $id) { ... on Outcome { history { value } } } }`, &values, client.Var("id", first.SubmitReturn[0].ID))
	if len(values.Node.History) != 1 || values.Node.History[0].Value != 10 {
		t.Errorf("history without changedBy, anonymous: %+v", values.Node)
	}

	// a quarter over the months: OVERLAPPING_PERIOD, naming April's outcome
	errs = em.queryErr(t, `mutation { recordOutcome(input: {metricCode: "patients_benefiting", regionCode: "HI-EM", periodStart: "2024-04-01",
	  periodEnd: "2024-06-30", value: 1, status: PUBLISHED}) { id } }`)
	if codeOf(errs) != hin.EOVERLAP || errs[0].Extensions["outcomeId"] != first.SubmitReturn[0].ID {
		t.Errorf("overlap: %+v", errs)
	}
	// a key twice in one return: a problem of the second row
	errs = em.queryErr(t, yearReturn, client.Var("rows", append(monthRows(15), monthRows(15)...)), client.Var("reason", "x"))
	problems, _ := errs[0].Extensions["problems"].([]any)
	if codeOf(errs) != hin.EINVALID || len(problems) != 1 || fmt.Sprint(problems[0].(map[string]any)["row"]) != "1" {
		t.Errorf("repeated key: %+v", errs)
	}
	// metric codes are forgiven their case
	var v struct{ Figure struct{ Value float64 } }
	em.query(t, `{ figure(metrics: ["Patients_Benefiting"], window: {financialYear: "FY2024-25"}) { value } }`, &v)
	if v.Figure.Value != 785 {
		t.Errorf("figure by a code in another case: %v", v.Figure.Value)
	}
}
