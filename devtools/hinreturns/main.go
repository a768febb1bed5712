// Command hinreturns measures bulk returns against the database's own
// speed: for each size, rows per second of a CSV return uploaded new, sent
// again unchanged, and sent again with every value restated (with a
// reason), beside one bare INSERT ... SELECT of as many outcome rows into
// the same table with the same triggers, measured in the same run, and
// the ratio of each to it.
//
// It makes a database hinreturns on the server of DATABASE_URL (dropped
// first), migrates it, loads the reference data, and serves the API in
// this process on --addr. The returns are shaped as the issue's: two count
// metrics, distinct daily periods, PUBLISHED, one region.
//
//	make bench-returns                      (scripts/with-postgres.sh, then this)
//	DATABASE_URL=postgres://... go run ./devtools/hinreturns --rows 5000,50000
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
)

const secret = "hinreturns-secret-long-enough-for-hs256"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hinreturns:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("hinreturns", flag.ContinueOnError)
	sizes := fs.String("rows", "5000,50000", "return sizes, comma-separated (at most 50,000: the CSV limit)")
	addr := fs.String("addr", "127.0.0.1:19101", "where the API listens while measuring")
	keep := fs.Bool("keep", false, "keep the database hinreturns afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 || n > 50000 {
			return fmt.Errorf("--rows: %q is not a size from 2 to 50000", s)
		}
		ns = append(ns, n&^1) // two metrics, half the rows each
	}
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		return fmt.Errorf("DATABASE_URL is not set (make bench-returns starts a throwaway PostgreSQL)")
	}
	dsn, err := freshDatabase(ctx, raw, "hinreturns")
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, store.Config{URL: dsn, StatementTimeout: store.DefaultStatementTimeout})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	if err := s.ReplaceAll(ctx, seed.Build(nil), seed.Fingerprint(nil)); err != nil {
		return err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()

	cfg := httpapi.DefaultConfig()
	cfg.Addr, cfg.MetricsAddr = *addr, ""
	cfg.Tokens.HMACSecret = []byte(secret)
	srv, err := httpapi.New(ctx, cfg, s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	if err := srv.Open(ctx); err != nil {
		return err
	}
	defer func() { _ = srv.Close(context.Background()) }()
	token, err := auth.Mint(auth.MintConfig{Secret: []byte(secret), Subject: "hinreturns", Role: "NATIONAL_ADMIN",
		TTL: time.Hour, Now: time.Now()})
	if err != nil {
		return err
	}

	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	var pgVersion string
	_ = db.QueryRowContext(ctx, `SHOW server_version`).Scan(&pgVersion)
	fmt.Fprintf(out, "hinreturns: commit %s, PostgreSQL %s, %s\n\n", strings.TrimSpace(string(commit)), pgVersion, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintln(out, "| rows | what | seconds | rows/s | × bare INSERT ... SELECT |")
	fmt.Fprintln(out, "|---:|---|---:|---:|---:|")
	for _, n := range ns {
		if err := measureSize(ctx, out, db, srv.URL(), token, n); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nEach return is one region's (HI-EM): two count metrics, distinct daily periods, PUBLISHED, sent as CSV to POST /returns.csv")
	fmt.Fprintln(out, "(and the same rows for HI-EAST as submitReturn mutations of at most 5,000 rows, one after another);")
	fmt.Fprintln(out, "seconds are the whole request (upload, checks, write, answer). The bare insert is one statement of as many rows of the")
	fmt.Fprintln(out, "same shape for another region, through the same triggers (rollups, change notices, collections guard, foreign keys).")
	if !*keep {
		_ = s.Close()
		_ = dropDatabase(ctx, raw, "hinreturns")
	}
	return nil
}

// measureSize times returns of n rows: a bare insert, the CSV upload new,
// unchanged and restated, and submitReturn's batches new and unchanged.
func measureSize(ctx context.Context, out io.Writer, db *sql.DB, url, token string, n int) error {
	// each size starts from reference data only, as a fresh build does
	if _, err := db.ExecContext(ctx, `TRUNCATE outcome`); err != nil {
		return err
	}
	bare, err := bareInsert(ctx, db, n)
	if err != nil {
		return err
	}
	row := func(what string, d time.Duration) {
		fmt.Fprintf(out, "| %d | %s | %.2f | %.0f | %.2f |\n", n, what, d.Seconds(), float64(n)/d.Seconds(), d.Seconds()/bare.Seconds())
	}
	row("bare `INSERT ... SELECT` (region HI-WM)", bare)
	for _, c := range []struct {
		what, file string
		want       func(httpapi.ReturnUploadResult) bool
	}{
		{"CSV return, new", csvReturn(n, 0, false), func(r httpapi.ReturnUploadResult) bool { return r.Created == n }},
		{"the same file again (unchanged)", csvReturn(n, 0, false), func(r httpapi.ReturnUploadResult) bool { return r.Unchanged == n }},
		{"every value restated, with a reason", csvReturn(n, 1, true), func(r httpapi.ReturnUploadResult) bool { return r.Restated == n }},
	} {
		d, res, err := upload(url, token, c.file)
		if err != nil {
			return fmt.Errorf("%d rows, %s: %w", n, c.what, err)
		}
		if !c.want(res) {
			return fmt.Errorf("%d rows, %s: the answer counts %+v", n, c.what, res)
		}
		row(c.what, d)
	}
	// the same through GraphQL, in submitReturn's batches, for another region
	for _, c := range []struct {
		what string
		want func(created int) bool
	}{
		{fmt.Sprintf("`submitReturn` in batches of %d, new (region HI-EAST)", hin.MaxReturnRows), func(c int) bool { return c == n }},
		{"the same batches again (unchanged)", func(c int) bool { return c == 0 }},
	} {
		before, err := count(ctx, db)
		if err != nil {
			return err
		}
		d, err := submitBatches(url, token, n)
		if err != nil {
			return fmt.Errorf("%d rows, %s: %w", n, c.what, err)
		}
		after, err := count(ctx, db)
		if err != nil {
			return err
		}
		if !c.want(after - before) {
			return fmt.Errorf("%d rows, %s: %d outcomes made", n, c.what, after-before)
		}
		row(c.what, d)
	}
	return nil
}

// csvReturn is a return of n rows: two metrics, n/2 days each; bump adds
// to every value, and reason gives the restatement's reason.
func csvReturn(n, bump int, reason bool) string {
	var b strings.Builder
	b.WriteString("metric_code,period_start,period_end,value,status")
	if reason {
		b.WriteString(",reason")
	}
	b.WriteString("\n")
	start := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, m := range []string{"patients_benefiting", "cost_savings"} {
		for i := range n / 2 {
			d := start.AddDate(0, 0, i).Format(time.DateOnly)
			fmt.Fprintf(&b, "%s,%s,%s,%d,PUBLISHED", m, d, d, i%97+bump)
			if reason {
				b.WriteString(",corrected after audit")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func count(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM outcome`).Scan(&n)
	return n, err
}

// submitBatches sends the rows of csvReturn(n) for HI-EAST as submitReturn
// mutations of at most hin.MaxReturnRows rows, one after another.
func submitBatches(base, token string, n int) (time.Duration, error) {
	type row struct {
		MetricCode  string  `json:"metricCode"`
		PeriodStart string  `json:"periodStart"`
		PeriodEnd   string  `json:"periodEnd"`
		Value       float64 `json:"value"`
	}
	var rows []row
	start := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, m := range []string{"patients_benefiting", "cost_savings"} {
		for i := range n / 2 {
			d := start.AddDate(0, 0, i).Format(time.DateOnly)
			rows = append(rows, row{m, d, d, float64(i % 97)})
		}
	}
	const q = `mutation($in: ReturnInput!) { submitReturn(input: $in) { id } }`
	began := time.Now()
	for from := 0; from < len(rows); from += hin.MaxReturnRows {
		batch := rows[from:min(from+hin.MaxReturnRows, len(rows))]
		body, err := json.Marshal(map[string]any{"query": q, "variables": map[string]any{
			"in": map[string]any{"regionCode": "HI-EAST", "status": "PUBLISHED", "rows": batch}}})
		if err != nil {
			return 0, err
		}
		req, err := http.NewRequest("POST", base+"/graphql", strings.NewReader(string(body)))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return 0, err
		}
		var res struct {
			Errors []json.RawMessage
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil || len(res.Errors) > 0 {
			return 0, fmt.Errorf("submitReturn: %d %.300s", resp.StatusCode, b)
		}
	}
	return time.Since(began), nil
}

// bareInsert is the database's own speed: one INSERT ... SELECT of n
// outcome rows shaped as the returns, into the same table.
func bareInsert(ctx context.Context, db *sql.DB, n int) (time.Duration, error) {
	const q = `INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, source, status, published_at, valid_from)
		SELECT gen_random_uuid(), m.id, r.id, date '1960-01-01' + i, date '1960-01-01' + i, i % 97, '', 'PUBLISHED', now(), now()
		FROM region r, metric m, generate_series(0, $1 - 1) i
		WHERE r.code = 'HI-WM' AND m.code IN ('patients_benefiting', 'cost_savings')`
	start := time.Now()
	res, err := db.ExecContext(ctx, q, n/2)
	if err != nil {
		return 0, fmt.Errorf("bare insert: %w", err)
	}
	d := time.Since(start)
	if got, _ := res.RowsAffected(); got != int64(n) {
		return 0, fmt.Errorf("bare insert wrote %d rows, not %d", got, n)
	}
	return d, nil
}

func upload(base, token, body string) (time.Duration, httpapi.ReturnUploadResult, error) {
	var res httpapi.ReturnUploadResult
	req, err := http.NewRequest("POST", base+"/returns.csv?region=HI-EM", strings.NewReader(body))
	if err != nil {
		return 0, res, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, res, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, res, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, res, fmt.Errorf("%d %.300s", resp.StatusCode, b)
	}
	return d, res, json.Unmarshal(b, &res)
}

// freshDatabase makes an empty database name on the server of raw and
// returns its URL.
func freshDatabase(ctx context.Context, raw, name string) (string, error) {
	if err := dropDatabase(ctx, raw, name); err != nil {
		return "", err
	}
	admin, err := sql.Open("postgres", raw)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(ctx context.Context, raw, name string) error {
	admin, err := sql.Open("postgres", raw)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
