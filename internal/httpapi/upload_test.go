package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// openServer starts the real server (its own listener, read and write
// timeouts) on a free loopback port with cfg changed by edit.
func openServer(t *testing.T, edit func(*httpapi.Config)) (string, *sql.DB, func(role, region string) string) {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	cfg := httpapi.DefaultConfig()
	cfg.Addr, cfg.MetricsAddr = "127.0.0.1:0", ""
	cfg.Tokens.HMACSecret = []byte(csvSecret)
	if edit != nil {
		edit(&cfg)
	}
	srv, err := httpapi.New(context.Background(), cfg, store.NewFromDB(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	token := func(role, region string) string {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(csvSecret), Subject: "up-" + role, Role: role, RegionCode: region, TTL: time.Hour, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return strings.TrimPrefix(srv.URL(), "http://"), db, token
}

// rawRequest writes a request head and the first part of a chunked body,
// holding the rest back, then returns the status and body of the answer,
// or fails if none comes within wait.
func rawRequest(t *testing.T, addr, path, token string, first string, trickle func(w io.Writer) bool, wait time.Duration) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	fmt.Fprintf(c, "%s\r\n%x\r\n%s\r\n", head, len(first), first)
	done := make(chan struct{})
	defer close(done)
	if trickle != nil {
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if !trickle(c) {
					return
				}
			}
		}()
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: no answer within %v: %v", path, wait, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.Errors) == 0 {
		t.Fatalf("not an error answer: %.300s", body)
	}
	return e.Errors[0].Extensions.Code
}

// TestUploadCallerCheckedBeforeBody: a refused caller is answered while
// its body is still held back, on every upload route and on /graphql.
func TestUploadCallerCheckedBeforeBody(t *testing.T) {
	t.Parallel()
	addr, _, _ := openServer(t, func(c *httpapi.Config) { c.AnonymousRate.Burst = 4 })
	for _, path := range []string{"/returns.csv?region=HI-EM", "/collections/submission?region=HI-EM&period=x", "/graphql"} {
		// a bad token: 401 at once
		if code, body := rawRequest(t, addr, path, "not-a-token", "metric_code,value\n", nil, 3*time.Second); code != http.StatusUnauthorized ||
			errorCode(t, body) != hin.EUNAUTHORIZED {
			t.Errorf("%s with a bad token: %d %.200s", path, code, body)
		}
	}
	// an anonymous caller over its rate: 429 at once, the body unread
	var last int
	for range 8 {
		last, _ = rawRequest(t, addr, "/returns.csv?region=HI-EM", "", "metric_code,value\n", nil, 3*time.Second)
		if last == http.StatusTooManyRequests {
			break
		}
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("anonymous uploads over the rate: last answer %d, want 429", last)
	}
}

// TestSlowUploadIsAnsweredTimeout: a client trickling its body past the
// upload deadline gets TIMEOUT, and nothing is written.
func TestSlowUploadIsAnsweredTimeout(t *testing.T) {
	t.Parallel()
	addr, db, token := openServer(t, func(c *httpapi.Config) { c.RequestTimeout, c.BulkTimeout = 500*time.Millisecond, time.Second })
	editor := token("REGION_EDITOR", "HI-EM")
	n := 0
	start := time.Now()
	code, body := rawRequest(t, addr, "/returns.csv?region=HI-EM", editor, "metric_code,period_start,period_end,value,status\n", func(w io.Writer) bool {
		d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
		line := fmt.Sprintf("patients_benefiting,%s,%s,1,PUBLISHED\n", d.Format(time.DateOnly), d.Format(time.DateOnly))
		n++
		_, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(line), line)
		return err == nil
	}, 20*time.Second)
	if code != http.StatusServiceUnavailable || errorCode(t, body) != hin.ETIMEOUT {
		t.Fatalf("slow upload: %d %.300s", code, body)
	}
	if took := time.Since(start); took > 1*time.Second+10*time.Second {
		t.Errorf("the answer took %v", took)
	}
	var written int
	if err := db.QueryRow(`SELECT count(*) FROM outcome`).Scan(&written); err != nil || written != 0 {
		t.Errorf("a timed-out upload wrote %d outcomes (%v)", written, err)
	}
}

// TestUploadOutOfTimeInSQLIsRolledBack: an upload whose writing runs past
// its deadline (here, waiting on a key another transaction holds) is rolled
// back and answered TIMEOUT.
func TestUploadOutOfTimeInSQLIsRolledBack(t *testing.T) {
	t.Parallel()
	addr, db, token := openServer(t, func(c *httpapi.Config) { c.RequestTimeout, c.BulkTimeout = 500*time.Millisecond, time.Second })
	editor := token("REGION_EDITOR", "HI-EM")
	// hold the key lock of (patients_benefiting, HI-EM) as a writer would
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended('outcome-key/' || m.id::text || '/' || r.id::text, 0))
		FROM metric m, region r WHERE m.code = 'patients_benefiting' AND r.code = 'HI-EM'`); err != nil {
		t.Fatal(err)
	}
	csv := "metric_code,period_start,period_end,value,status\npatients_benefiting,2024-04-01,2024-04-30,5,PUBLISHED\n"
	code, body, _ := send(t, "POST", "http://"+addr+"/returns.csv?region=HI-EM", editor, csv)
	if code != http.StatusServiceUnavailable || errorCode(t, body) != hin.ETIMEOUT {
		t.Fatalf("upload out of time: %d %.300s", code, body)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		t.Fatal(err)
	}
	var written int
	if err := db.QueryRow(`SELECT count(*) FROM outcome`).Scan(&written); err != nil || written != 0 {
		t.Errorf("a timed-out upload wrote %d outcomes (%v)", written, err)
	}
	// with time enough, the same upload goes through
	time.Sleep(100 * time.Millisecond)
	if code, body, _ := send(t, "POST", "http://"+addr+"/returns.csv?region=HI-EM", editor, csv); code != http.StatusOK {
		t.Fatalf("upload: %d %.300s", code, body)
	}
}

// TestUploadProblemsAreCapped: 30,000 bad rows are answered with the first
// problems and the count of the rest, not megabytes of them.
func TestUploadProblemsAreCapped(t *testing.T) {
	t.Parallel()
	addr, _, token := openServer(t, nil)
	var b strings.Builder
	b.WriteString("metric_code,period_start,period_end,value\n")
	for range 30000 {
		b.WriteString("patients_benefiting,someday,2024-04-30,lots\n")
	}
	code, body, _ := send(t, "POST", "http://"+addr+"/returns.csv?region=HI-EM", token("REGION_EDITOR", "HI-EM"), b.String())
	var e struct {
		Errors []struct {
			Message    string
			Extensions struct {
				Code              string
				Problems          []hin.Problem
				ProblemCount      int
				ProblemsNotListed int
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || code != http.StatusBadRequest || len(e.Errors) != 1 {
		t.Fatalf("%d %.300s", code, body)
	}
	x := e.Errors[0].Extensions
	if len(x.Problems) != hin.MaxProblems || x.ProblemCount != 60000 || x.ProblemsNotListed != 60000-hin.MaxProblems {
		t.Errorf("problems: %d listed, count %d, not listed %d", len(x.Problems), x.ProblemCount, x.ProblemsNotListed)
	}
	if x.Problems[0].Line == nil || *x.Problems[0].Line != 2 || !strings.Contains(e.Errors[0].Message, "60000 invalid values") {
		t.Errorf("first problem %+v, message %q", x.Problems[0], e.Errors[0].Message)
	}
	if len(body) > 64<<10 {
		t.Errorf("the answer is %d bytes", len(body))
	}
}

// workbook is an .xlsx file with one sheet "Figures": a title row, then
// rows (the first is the header).
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Figures"); err != nil {
		t.Fatal(err)
	}
	_ = f.SetCellValue("Figures", "A1", "HI-EM return, kept by the data team")
	for i, r := range rows {
		c, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := f.SetSheetRow("Figures", c, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestExcelReturn: an .xlsx return of the CSV columns, in any order and
// with dates typed as dates, is recorded as the CSV would be; each problem
// names the sheet, the row and the cell.
func TestExcelReturn(t *testing.T) {
	t.Parallel()
	addr, db, token := openServer(t, nil)
	editor := token("REGION_EDITOR", "HI-EM")
	post := func(body []byte) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/returns.csv?region=HI-EM", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+editor)
		req.Header.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	header := []any{"status", "value", "period_end", "period_start", "metric_code"}
	april := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	good := [][]any{header,
		{"PUBLISHED", 10, "2024-04-30", april, "patients_benefiting"}, // a date cell, as Excel keeps a typed date
		{"PUBLISHED", 12.5, "2024-05-31", "2024-05-01", "patients_benefiting"},
	}
	code, body := post(workbook(t, good))
	var res httpapi.ReturnUploadResult
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Created != 2 {
		t.Fatalf("workbook upload: %d %.300s", code, body)
	}
	var april10 float64
	if err := db.QueryRow(`SELECT value FROM outcome WHERE period_start = '2024-04-01'`).Scan(&april10); err != nil || april10 != 10 {
		t.Fatalf("April's value %v (%v)", april10, err)
	}
	if code, body := post(workbook(t, good)); code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Unchanged != 2 {
		t.Fatalf("the same workbook again: %d %.300s", code, body)
	}

	// a value that is not a number (found reading), then a period that
	// overlaps April's figure (found writing)
	for _, c := range []struct {
		rows           [][]any
		wantCode, cell string
	}{
		{[][]any{header, {"PUBLISHED", "lots", "2024-06-30", "2024-06-01", "patients_benefiting"}}, hin.EINVALID, "B4"},
		{[][]any{header, {"PUBLISHED", 3, "2024-04-30", "2024-04-15", "patients_benefiting"}}, hin.EOVERLAP, "D4"},
	} {
		code, body := post(workbook(t, c.rows))
		var e struct {
			Errors []struct {
				Message    string
				Extensions struct {
					Code     string
					Problems []hin.Problem
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || code == http.StatusOK || len(e.Errors) != 1 {
			t.Fatalf("%d %.300s", code, body)
		}
		x := e.Errors[0].Extensions
		if x.Code != c.wantCode || len(x.Problems) != 1 {
			t.Fatalf("%s: %.300s", c.wantCode, body)
		}
		if p := x.Problems[0]; p.Sheet != "Figures" || p.Line == nil || *p.Line != 4 || p.Cell != c.cell {
			t.Errorf("%s: problem %+v: want sheet Figures, row 4, cell %s", c.wantCode, p, c.cell)
		}
		if !strings.Contains(e.Errors[0].Message, `sheet "Figures", cell `+c.cell) {
			t.Errorf("message %q does not name the cell", e.Errors[0].Message)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outcome`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d outcomes after refused workbooks (%v)", n, err)
	}
}

// TestUploadOverTheLimit: a body over --max-csv-bytes, declared or not
// (chunked), is refused with 413 and nothing is written.
func TestUploadOverTheLimit(t *testing.T) {
	t.Parallel()
	addr, db, token := openServer(t, func(c *httpapi.Config) { c.MaxCSVBytes = 2000 })
	var b strings.Builder
	b.WriteString("metric_code,period_start,period_end,value,status\n")
	for i := range 100 {
		d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
		fmt.Fprintf(&b, "patients_benefiting,%s,%s,1,PUBLISHED\n", d, d)
	}
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(b.String())
		if chunked {
			body = io.MultiReader(body) // no length: sent chunked
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/returns.csv?region=HI-EM", body)
		req.Header.Set("Authorization", "Bearer "+token("REGION_EDITOR", "HI-EM"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || errorCode(t, string(got)) != hin.ETOOLARGE {
			t.Errorf("chunked %v: %d %.200s", chunked, resp.StatusCode, got)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outcome`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d outcomes written (%v)", n, err)
	}
}
