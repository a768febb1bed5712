package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// queriesMode is the default benchmark: each dashboard query under load at
// every scale, its figures checked against plain SQL (bench.go, load.go).
var queriesMode = &mode{
	name:    "queries",
	summary: "each dashboard query under load at every scale, its figures checked against plain SQL (the default)",
	flags:   func(*flag.FlagSet, *options) {},
	check:   func(*options, map[string]bool) error { return nil },
	header: func(w io.Writer, o *options) {
		fmt.Fprintf(w, "load:        concurrency %d, %s per query after %s warm-up; API, client and PostgreSQL share this machine\n", o.Concurrency, o.Duration, o.Warmup)
		fmt.Fprintf(w, "baseline:    API %d sequential requests vs plain SQL %d runs (after 2 warm-ups), p50 of each\n", o.SeqRequests, o.SQLRuns)
		fmt.Fprintf(w, "scales:      %s; queries: %s\n", joinInts(o.Scales), strings.Join(o.Queries, ", "))
	},
	measure: func(ctx context.Context, o *options, dsn string, res *scaleResult, out, progress io.Writer) error {
		return measure(ctx, o, dsn, res, out, progress)
	},
	verdict: func(w io.Writer, o *options, ok bool, all []*scaleResult) bool {
		printGrowth(w, o, all)
		if ok {
			fmt.Fprintln(w, "\nresult: OK (no failed requests, every checked figure equals plain SQL)")
		} else {
			fmt.Fprintln(w, "\nresult: FAILED (see errors and MISMATCH above)")
		}
		return ok
	},
}
