package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// table prints aligned plain-text columns: the first `left` (default 1)
// left-aligned, the others right-aligned (they are numbers).
type table struct {
	head     []string
	rows     [][]string
	left     int
	leftAlso []int // further columns to left-align (text among the numbers)
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(w io.Writer) {
	width := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(c))
			if i < max(1, t.left) || slices.Contains(t.leftAlso, i) {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.head)
	dashes := make([]string, len(width))
	for i, n := range width {
		dashes[i] = strings.Repeat("-", n)
	}
	line(dashes)
	for _, r := range t.rows {
		line(r)
	}
}

func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d <= 0:
		return "-"
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}

func fmtRatio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	r := a / b
	if r < 10 {
		return fmt.Sprintf("%.2fx", r)
	}
	return fmt.Sprintf("%.1fx", r)
}

func fmtStmts(st *runStats) string {
	lo, hi := st.stmtRange()
	switch {
	case lo < 0:
		return "-"
	case lo == hi:
		return fmt.Sprintf("%d", lo)
	}
	return fmt.Sprintf("%d..%d *", lo, hi)
}

func printScale(w io.Writer, o *options, res *scaleResult) {
	fmt.Fprintf(w, "\nAPI under load: concurrency %d, %s per query (after %s warm-up)\n", o.Concurrency, o.Duration, o.Warmup)
	t := &table{head: []string{"query", "requests", "errors", "req/s", "p50", "p99", "in SQL p50", "sql/req", "resp bytes"}}
	var errs []string
	varying := false
	for _, r := range res.queries {
		st := r.load
		t.add(r.q.name, fmt.Sprint(st.requests), fmt.Sprint(st.errors), fmt.Sprintf("%.1f", st.throughput()),
			fmtDur(st.p(0.50)), fmtDur(st.p(0.99)), fmtDur(percentile(st.sqlTimes, 0.5)), fmtStmts(st), fmt.Sprint(st.avgBytes()))
		if lo, hi := st.stmtRange(); lo != hi {
			varying = true
		}
		if st.firstErr != "" {
			errs = append(errs, fmt.Sprintf("  %s (load): %d errors; first: %s", r.q.name, st.errors, st.firstErr))
		}
		if r.seq != nil && r.seq.firstErr != "" {
			errs = append(errs, fmt.Sprintf("  %s (sequential): %d errors; first: %s", r.q.name, r.seq.errors, r.seq.firstErr))
		}
	}
	t.print(w)
	fmt.Fprintln(w, "  in SQL: the time a request's statements took (summed); sql/req: statements per request (min..max)")
	if varying {
		fmt.Fprintln(w, "  * SQL statements per request varied between requests (min..max)")
	}
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}

	b := &table{head: []string{"query", "api p50 (c=1)", "in SQL p50", "sql/req", "plain sql p50", "api/sql", "figures vs SQL"}}
	var diffs []string
	for _, r := range res.queries {
		if r.q.baseline == nil {
			b.add(r.q.name, fmtDur(r.seq.p(0.50)), fmtDur(percentile(r.seq.sqlTimes, 0.5)), fmtStmts(r.seq), "-", "-", "(no baseline)")
			continue
		}
		b.add(r.q.name, fmtDur(r.seq.p(0.50)), fmtDur(percentile(r.seq.sqlTimes, 0.5)), fmtStmts(r.seq),
			fmtDur(r.sqlP50), fmtRatio(float64(r.seq.p(0.50)), float64(r.sqlP50)), r.check)
		for i, d := range r.diffs {
			if i == 10 {
				diffs = append(diffs, fmt.Sprintf("  %s: ... %d more", r.q.name, len(r.diffs)-10))
				break
			}
			diffs = append(diffs, fmt.Sprintf("  %s: %s", r.q.name, d))
		}
	}
	if len(b.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nSequential (concurrency 1): API %d requests; plain SQL over the outcome table %d runs, figures compared with the API's\n", o.SeqRequests, o.SQLRuns)
	b.print(w)
	for _, d := range diffs {
		fmt.Fprintln(w, d)
	}
}

// printGrowth compares every scale with the first: the API's dashboard
// queries should stay about flat while plain SQL grows with the rows.
func printGrowth(w io.Writer, o *options, all []*scaleResult) {
	if len(all) < 2 {
		return
	}
	first, last := all[0], all[len(all)-1]
	head := []string{"query", "measure"}
	for _, r := range all {
		head = append(head, fmt.Sprintf("scale %d", r.scale))
	}
	head = append(head, fmt.Sprintf("%d/%d", last.scale, first.scale))
	t := &table{head: head, left: 2}
	row := []string{"outcome rows", ""}
	for _, r := range all {
		row = append(row, fmt.Sprint(r.outcomes))
	}
	t.add(append(row, fmtRatio(float64(last.outcomes), float64(first.outcomes)))...)

	series := func(name, measure string, pick func(*queryResult) time.Duration) {
		row := []string{name, measure}
		var a, z time.Duration
		for i, r := range all {
			var d time.Duration
			if q := r.result(name); q != nil {
				d = pick(q)
			}
			row = append(row, fmtDur(d))
			if i == 0 {
				a = d
			}
			z = d
		}
		t.add(append(row, fmtRatio(float64(z), float64(a)))...)
	}
	for _, name := range o.Queries {
		series(name, fmt.Sprintf("api p50 c=%d", o.Concurrency), func(q *queryResult) time.Duration { return q.load.p(0.50) })
		series(name, "api p50 c=1", func(q *queryResult) time.Duration { return q.seq.p(0.50) })
		if findQuery(name).baseline != nil {
			series(name, "plain sql p50", func(q *queryResult) time.Duration { return q.sqlP50 })
		}
	}
	fmt.Fprintf(w, "\n== growth: scale %d -> %d (p50 latency; goal: API ~flat, plain SQL ~rows)\n", first.scale, last.scale)
	t.print(w)
}
