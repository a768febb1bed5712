package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

const csvSecret = "a-test-secret-that-is-long-enough-for-hs256"

func csvServer(t *testing.T) (*httptest.Server, func(role, region string) string) {
	t.Helper()
	s := store.NewFromDB(testdb.NewDB(t, testdb.Reference))
	cfg := httpapi.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Tokens.HMACSecret = []byte(csvSecret)
	srv, err := httpapi.New(context.Background(), cfg, s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	token := func(role, region string) string {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(csvSecret), Subject: "csv-" + role, Role: role, RegionCode: region, TTL: time.Hour, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return ts, token
}

func send(t *testing.T, method, url, token, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestCSVUploadAndExport(t *testing.T) {
	t.Parallel()
	ts, token := csvServer(t)
	editor := token("REGION_EDITOR", "HI-EM")

	var b strings.Builder
	b.WriteString("metric_code,period_start,period_end,value,status\n")
	for m := range 12 {
		start := time.Date(2024, time.Month(4+m), 1, 0, 0, 0, 0, time.UTC)
		fmt.Fprintf(&b, "Patients_Benefiting,%s,%s,%d,PUBLISHED\n", start.Format(time.DateOnly), start.AddDate(0, 1, -1).Format(time.DateOnly), 10*(m+1))
	}
	good := b.String()
	bad := good + "patients_benefiting,2025-04-01,2025-04-30,lots,PUBLISHED\npatients_benefiting,2024-04-01,2024-06-30,5,PUBLISHED\n"

	// anonymous callers may not upload; nothing is read
	if code, body, _ := send(t, "POST", ts.URL+"/returns.csv?region=HI-EM", "", good); code != http.StatusUnauthorized {
		t.Fatalf("anonymous upload: %d %s", code, body)
	}
	// bad lines: refused whole, with their line numbers
	code, body, _ := send(t, "POST", ts.URL+"/returns.csv?region=HI-EM", editor, bad)
	if code != http.StatusBadRequest || !strings.Contains(body, `"line":14`) {
		t.Fatalf("bad upload: %d %s", code, body)
	}
	code, body, _ = send(t, "POST", ts.URL+"/returns.csv?region=hi-em", editor, good)
	var res httpapi.ReturnUploadResult
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Created != 12 {
		t.Fatalf("upload: %d %s", code, body)
	}
	// the same file again changes nothing
	code, body, _ = send(t, "POST", ts.URL+"/returns.csv?region=HI-EM", editor, good)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Unchanged != 12 {
		t.Fatalf("upload again: %d %s", code, body)
	}
	// a quarter over the months: refused, naming the month's outcome
	code, body, _ = send(t, "POST", ts.URL+"/returns.csv?region=HI-EM", editor, "metric_code,period_start,period_end,value\npatients_benefiting,2024-04-01,2024-06-30,5\n")
	if code != http.StatusConflict || !strings.Contains(body, "OVERLAPPING_PERIOD") || !strings.Contains(body, `"line":2`) {
		t.Fatalf("overlap: %d %s", code, body)
	}
	// another region's editor may not upload for HI-EM
	if code, body, _ := send(t, "POST", ts.URL+"/returns.csv?region=HI-EM", token("REGION_EDITOR", "HI-WM"), good); code != http.StatusForbidden {
		t.Fatalf("another region: %d %s", code, body)
	}

	// a draft for May: anonymous exports never show it, the editor's do
	code, body, _ = send(t, "POST", ts.URL+"/returns.csv?region=HI-EM&status=DRAFT", editor, "metric_code,period_start,period_end,value\npatients_benefiting,2024-05-01,2024-05-31,999\n")
	if code != http.StatusOK {
		t.Fatalf("draft: %d %s", code, body)
	}
	export := func(tok string) [][]string {
		t.Helper()
		code, body, h := send(t, "GET", ts.URL+"/outcomes.csv?regionCodes=HI-EM&metricCodes=PATIENTS_BENEFITING&from=2024-04-01", tok, "")
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, "\ufeffid,") {
			t.Fatalf("export: %d %.200s", code, body)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	if recs := export(""); len(recs) != 13 || recs[1][3] != "2024-04-01" || recs[1][5] != "10" {
		t.Errorf("anonymous export: %d rows, first %v", len(recs), recs[1])
	}
	if recs := export(editor); len(recs) != 14 {
		t.Errorf("editor's export: %d rows, want the 12 published and the draft", len(recs))
	}

	// the breakdown by quarter: published only, then with the editor's draft standing in for May
	breakdown := func(tok, extra string) [][]string {
		t.Helper()
		code, body, _ := send(t, "GET", ts.URL+"/figures/breakdown.csv?metrics=patients_benefiting&financialYear=FY2024-25&groupBy=QUARTER"+extra, tok, "")
		if code != http.StatusOK {
			t.Fatalf("breakdown: %d %s", code, body)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	q1 := func(recs [][]string) string {
		for _, r := range recs[1:] {
			if r[6] == "2024-04-01" {
				return r[9]
			}
		}
		return "missing"
	}
	if got := q1(breakdown("", "")); got != "60" {
		t.Errorf("Q1 published: %s, want 60", got)
	}
	if got := q1(breakdown(editor, "&includeDrafts=true")); got != fmt.Sprint(10+999+30) {
		t.Errorf("Q1 with the draft: %s, want %d", got, 10+999+30)
	}
	if code, _, _ := send(t, "GET", ts.URL+"/figures/breakdown.csv?metrics=patients_benefiting&financialYear=FY2024-25&groupBy=QUARTER&includeDrafts=true", "", ""); code != http.StatusForbidden && code != http.StatusUnauthorized {
		t.Errorf("anonymous drafts: %d", code)
	}
}

// TestCSVTenThousandRowsOverHTTP times a 10,000-row return uploaded and
// exported over HTTP (go test -run TenThousand -v ./internal/httpapi/
// prints the times).
func TestCSVTenThousandRowsOverHTTP(t *testing.T) {
	t.Parallel()
	ts, token := csvServer(t)
	admin := token("NATIONAL_ADMIN", "")
	// four years of months for every count metric and innovation, as a data team sends them
	req, _ := http.NewRequest("POST", ts.URL+"/graphql", strings.NewReader(`{"query":"{ innovations(first: 100) { nodes { id } } metrics { code kind } }"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Data struct {
			Innovations struct{ Nodes []struct{ ID string } }
			Metrics     []struct{ Code, Kind string }
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&ref)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("region_code,metric_code,period_start,period_end,value,innovation_id,status\n")
	n := 0
	for _, m := range ref.Data.Metrics {
		for _, inn := range ref.Data.Innovations.Nodes {
			for mo := 0; mo < 48 && n < 10000 && m.Kind == "COUNT"; mo++ {
				start := time.Date(2021, time.Month(4+mo), 1, 0, 0, 0, 0, time.UTC)
				fmt.Fprintf(&b, "HI-EM,%s,%s,%s,%d,%s,PUBLISHED\n", m.Code, start.Format(time.DateOnly),
					start.AddDate(0, 1, -1).Format(time.DateOnly), n%97, inn.ID)
				n++
			}
		}
	}
	if n != 10000 {
		t.Fatalf("the reference data gives %d rows", n)
	}
	start := time.Now()
	code, body, _ := send(t, "POST", ts.URL+"/returns.csv", admin, b.String())
	load := time.Since(start)
	var res httpapi.ReturnUploadResult
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Created != 10000 {
		t.Fatalf("upload: %d %.300s", code, body)
	}
	start = time.Now()
	code, body, _ = send(t, "POST", ts.URL+"/returns.csv", admin, b.String())
	again := time.Since(start)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Unchanged != 10000 {
		t.Fatalf("upload again: %d %.300s", code, body)
	}
	start = time.Now()
	rows, pages, size := exportAll(t, ts.URL, "/outcomes.csv?regionCodes=HI-EM", admin)
	export := time.Since(start)
	if len(rows) != 10000 || pages != 2 {
		t.Fatalf("export: %d rows in %d pages, want 10000 in 2 (of %d)", len(rows), pages, hin.MaxExportPageSize)
	}
	t.Logf("10,000-row CSV return: load %v, the same file again %v, export %v (%d bytes in %d pages)", load, again, export, size, pages)
}

// exportAll follows an export's Link headers from path to its last page
// and returns every row (without the header rows), the pages and the bytes.
// Each row must come once, and each page must say where the next one is.
func exportAll(t *testing.T, base, path, token string) (rows [][]string, pages, size int) {
	t.Helper()
	seen := map[string]bool{}
	for next := path; next != ""; pages++ {
		code, body, h := send(t, "GET", base+next, token, "")
		if code != http.StatusOK {
			t.Fatalf("page %d (%s): %d %.300s", pages+1, next, code, body)
		}
		size += len(body)
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		for _, r := range recs[1:] {
			if seen[r[0]] {
				t.Fatalf("page %d repeats %s", pages+1, r[0])
			}
			seen[r[0]] = true
			rows = append(rows, r)
		}
		next = ""
		if link := h.Get("Link"); link != "" {
			m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(link)
			if m == nil || h.Get("X-Next-Cursor") == "" {
				t.Fatalf("page %d: Link %q, X-Next-Cursor %q", pages+1, link, h.Get("X-Next-Cursor"))
			}
			next = m[1]
		}
	}
	return rows, pages, size
}
