package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// hostileMode measures signed-in dashboards alone and then with anonymous
// hostile requests mixed in, against the API wired as hingraph serve wires
// it (hostile.go, hostile_queries.go, hostile_server.go).
var hostileMode = &mode{
	name: "hostile",
	summary: "normal dashboard traffic alone, then with hostile requests mixed in, against the API wired with hingraph's " +
		"default limits, timeouts and rate limits; fails if any normal request fails",
	flags: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.HostileWorkers, "hostile-workers", 8, "concurrent hostile clients, each sending back to back")
		fs.Func("hostile-kinds", "comma-separated hostile kinds to mix: "+strings.Join(hostileKindNames(false), ", ")+
			" (default all of those); also "+strings.Join(hostileKindNames(true), ", "), func(v string) error {
			o.HostileKinds = hin.SplitList(v)
			return nil
		})
		fs.IntVar(&o.HostileAddrs, "hostile-addrs", 1, "loopback addresses the hostile clients come from (127.0.0.1 to 127.0.0.N), each an anonymous caller of its own (Linux: all of 127/8 is loopback)")
		fs.Float64Var(&o.HostileRate, "hostile-rate", 0, "cap on all hostile requests per second (0: no pause between requests)")
		fs.BoolVar(&o.HostileIsolate, "hostile-isolate", false, "also run the normal traffic with each hostile kind alone, one phase each")
		fs.Float64Var(&o.NormalRate, "normal-rate", 5, "requests per second of each dashboard (0: back to back; above 50 meets the signed-in rate limit)")
	},
	check: func(o *options, set map[string]bool) error {
		// a modest dashboard load, unless told otherwise
		if !set["concurrency"] {
			o.Concurrency = 4
		}
		if len(o.Queries) == 0 {
			o.Queries = defaultHostileQueries
		}
		for _, k := range o.HostileKinds {
			if findHostileKind(k) == nil {
				return fmt.Errorf("--hostile-kinds: unknown kind %q; known: %s", k, strings.Join(append(hostileKindNames(false), hostileKindNames(true)...), ", "))
			}
		}
		if len(o.HostileKinds) == 0 {
			o.HostileKinds = hostileKindNames(false)
		}
		if o.HostileWorkers < 1 || o.HostileAddrs < 1 || o.HostileAddrs > 254 || o.HostileRate < 0 || o.NormalRate < 0 {
			return errors.New("--hostile-workers must be positive, --hostile-addrs from 1 to 254, --hostile-rate and --normal-rate not negative")
		}
		return nil
	},
	header: func(w io.Writer, o *options) {
		fmt.Fprintf(w, "scales:      %s; queries: %s\n", joinInts(o.Scales), strings.Join(o.Queries, ", "))
	},
	measure: judged(measureHostile),
	verdict: result("no normal request failed", "normal requests failed; see above"),
}
