package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

// queryResult is everything measured for one query at one scale.
type queryResult struct {
	q      *benchQuery
	load   *runStats // at the configured concurrency
	seq    *runStats // sequential, for the baseline comparison
	sqlP50 time.Duration
	check  string // OK, MISMATCH or ERROR; "" without a baseline
	diffs  []string
}

type scaleResult struct {
	scale    int
	outcomes int64
	queries  []*queryResult
	failed   bool // hostile and peer: a request failed or the servers disagreed
}

func (r *scaleResult) ok() bool {
	if r.failed {
		return false
	}
	for _, q := range r.queries {
		if q.load.errors > 0 || (q.seq != nil && q.seq.errors > 0) || (q.check != "" && q.check != "OK") {
			return false
		}
	}
	return true
}

func (r *scaleResult) result(name string) *queryResult {
	for _, q := range r.queries {
		if q.q.name == name {
			return q
		}
	}
	return nil
}

func benchScale(ctx context.Context, o *options, scale int, out, progress io.Writer) (*scaleResult, error) {
	name := fmt.Sprintf("hinbench_s%d", scale)
	dsn, err := withDatabase(o.DatabaseURL, name)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "\n== scale %d (database %s)\n", scale, name)
	created, err := ensureDatabase(ctx, o.DatabaseURL, name, o.Reset)
	if err != nil {
		return nil, err
	}
	if !created {
		current, err := schemaCurrent(ctx, dsn)
		if err != nil {
			return nil, err
		}
		if !current {
			fmt.Fprintf(out, "schema:      %s was not made from these migrations (or never finished); making it again\n", name)
			if created, err = ensureDatabase(ctx, o.DatabaseURL, name, true); err != nil {
				return nil, err
			}
		}
	}
	if created {
		fmt.Fprintf(progress, "hinbench: created database %s; seeding scale %d (scale 100 takes minutes the first time)\n", name, scale)
	}
	res := &scaleResult{scale: scale}
	if res.outcomes, err = prepareDatabase(ctx, dsn, scale, out); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "outcomes:    %d rows\n", res.outcomes)

	if err := o.Mode.measure(ctx, o, dsn, res, out, progress); err != nil {
		return nil, err
	}
	if !o.Keep {
		if err := dropDatabase(ctx, o.DatabaseURL, name); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "dropped database %s (--keep=false)\n", name)
	}
	return res, nil
}

func measure(ctx context.Context, o *options, dsn string, res *scaleResult, out, progress io.Writer) error {
	api, err := startAPI(ctx, dsn, o.MaxOpenConns)
	if err != nil {
		return err
	}
	defer func() { _ = api.stop() }()
	db, err := openDB(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// the baseline is one client running one query at a time
	db.SetMaxOpenConns(1)
	ref, err := loadReference(ctx, db)
	if err != nil {
		return fmt.Errorf("read regions: %w", err)
	}
	c := newClient(api.url, o.Concurrency)
	var explains []string
	for _, name := range o.Queries {
		q := findQuery(name)
		body := requestBody(q)
		tag := fmt.Sprintf("s%d/%s", res.scale, q.name)
		r := &queryResult{q: q}
		res.queries = append(res.queries, r)

		fmt.Fprintf(progress, "hinbench: scale %d: %s: load at concurrency %d for %s\n", res.scale, q.name, o.Concurrency, o.Duration)
		if o.Warmup > 0 {
			load(ctx, c, body, tag+"/warmup", o.Concurrency, o.Warmup)
			api.rec.take(tag + "/warmup")
		}
		r.load = load(ctx, c, body, tag+"/load", o.Concurrency, o.Duration)
		r.load.addServed(api.rec.take(tag + "/load"))

		// every query also runs alone: on a small machine the loaded p50
		// is mostly queueing for CPU, the sequential one is the query's cost
		fmt.Fprintf(progress, "hinbench: scale %d: %s: %d sequential requests\n", res.scale, q.name, o.SeqRequests)
		var last []byte
		r.seq, last = sequential(ctx, c, body, tag+"/seq", o.SeqRequests)
		r.seq.addServed(api.rec.take(tag + "/seq"))
		if q.baseline != nil {
			fmt.Fprintf(progress, "hinbench: scale %d: %s: plain SQL\n", res.scale, q.name)
			var want figures
			r.sqlP50, want, err = timeSQL(ctx, db, ref, q.baseline, o.SQLRuns)
			if err != nil {
				return fmt.Errorf("%s: baseline SQL: %w", q.name, err)
			}
			r.check, r.diffs = verify(q, last, want, ref)
		}
		if o.Explain {
			ex, err := explainQuery(ctx, c, api, db, body, tag+"/explain")
			if err != nil {
				return fmt.Errorf("%s: explain: %w", q.name, err)
			}
			explains = append(explains, fmt.Sprintf("-- %s: %s", q.name, ex))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	printScale(out, o, res)
	if la := loadAverage(); la != "" {
		fmt.Fprintf(out, "load avg after scale %d: %s (%d cores)\n", res.scale, la, runtime.NumCPU())
	}
	for _, e := range explains {
		fmt.Fprintf(out, "\n%s", e)
	}
	return nil
}

// timeSQL runs the baseline twice to warm caches, then n times timed, and
// returns the median time and the figures of the last run.
func timeSQL(ctx context.Context, db *sql.DB, ref *reference, b *baseline, n int) (time.Duration, figures, error) {
	var f figures
	var err error
	times := make([]time.Duration, 0, n)
	for i := 0; i < n+2; i++ {
		t0 := time.Now()
		f, err = b.sql(ctx, db, ref)
		if err != nil {
			return 0, f, err
		}
		if i >= 2 {
			times = append(times, time.Since(t0))
		}
	}
	slices.Sort(times)
	return percentile(times, 0.5), f, nil
}

func verify(q *benchQuery, body []byte, want figures, ref *reference) (string, []string) {
	if body == nil {
		return "ERROR", []string{"no successful API response to check"}
	}
	got, err := q.baseline.api(body, ref)
	if err != nil {
		return "ERROR", []string{err.Error()}
	}
	if diffs := compareFigures(got, want); len(diffs) > 0 {
		return "MISMATCH", diffs
	}
	return "OK", nil
}

// explainQuery sends the query once with its SQL captured, and runs
// EXPLAIN ANALYZE of each statement it sent with the same arguments.
func explainQuery(ctx context.Context, c *client, api *apiServer, db *sql.DB, body []byte, tag string) (string, error) {
	if _, err := c.post(ctx, body, tag, true); err != nil {
		return "", err
	}
	stmts := api.rec.takeCaptured(tag)
	var b strings.Builder
	fmt.Fprintf(&b, "EXPLAIN (ANALYZE, BUFFERS) of the %d statements one request sends\n", len(stmts))
	for i, st := range stmts {
		fmt.Fprintf(&b, "\n[%d] %s\n", i+1, strings.Join(strings.Fields(st.query), " "))
		if len(st.args) > 0 {
			fmt.Fprintf(&b, "    args: %s\n", fmtArgs(st.args))
		}
		head := strings.ToUpper(strings.TrimSpace(st.query))
		if !strings.HasPrefix(head, "SELECT") && !strings.HasPrefix(head, "WITH") {
			b.WriteString("    (not a read; not explained)\n")
			continue
		}
		rows, err := db.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+st.query, st.args...)
		if err != nil {
			return "", err
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return "", err
			}
			fmt.Fprintf(&b, "    %s\n", truncate(line, 240)) // filters repeat whole ID arrays
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return "", err
		}
		rows.Close()
	}
	return b.String(), nil
}

func fmtArgs(args []any) string {
	s := make([]string, len(args))
	for i, a := range args {
		if v, ok := a.(driver.Valuer); ok {
			if dv, err := v.Value(); err == nil {
				a = dv
			}
		}
		switch x := a.(type) {
		case []byte:
			s[i] = fmt.Sprintf("$%d=%s", i+1, x)
		case time.Time:
			s[i] = fmt.Sprintf("$%d=%s", i+1, x.Format(time.DateOnly))
		default:
			s[i] = fmt.Sprintf("$%d=%v", i+1, x)
		}
	}
	return truncate(strings.Join(s, " "), 600)
}
