package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// peerMode runs the built hingraph and PostGraphile V5 over the same
// database, checks that they answer alike and loads them in interleaved
// rounds (peer.go, peer_queries.go).
var peerMode = &mode{
	name: "peer",
	summary: "hin-graph against PostGraphile V5 over the same database, answers checked equal, " +
		"then interleaved rounds of closed-loop load (defaults: scale 10, 5s per phase)",
	flags: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.PeerRounds, "peer-rounds", 3, "interleaved rounds")
		fs.DurationVar(&o.PeerWarmup, "peer-warmup", 5*time.Second, "load per shape and server before the first round, so that Node's JIT (and both servers' caches) are warm")
		fs.StringVar(&o.PeerDir, "peer-dir", "bench/postgraphile", "directory of server.mjs and the installed postgraphile package")
		fs.StringVar(&o.PeerHingraph, "peer-hingraph", "", "hingraph binary to run (default: go build ./cmd/hingraph into a temporary directory)")
		fs.Func("peer-shapes", "comma-separated shapes: "+strings.Join(peerShapeNames(), ", ")+" (default all)", func(v string) error {
			o.PeerShapes = hin.SplitList(v)
			return nil
		})
	},
	check: func(o *options, set map[string]bool) error {
		if !set["scales"] {
			o.Scales = []int{10}
		}
		if !set["duration"] {
			o.Duration = 5 * time.Second
		}
		if !set["seq-requests"] {
			o.SeqRequests = 20
		}
		for _, s := range o.PeerShapes {
			if findPeerShape(s) == nil {
				return fmt.Errorf("--peer-shapes: unknown shape %q; known: %s", s, strings.Join(peerShapeNames(), ", "))
			}
		}
		if len(o.PeerShapes) == 0 {
			o.PeerShapes = peerShapeNames()
		}
		if o.PeerRounds < 1 {
			return errors.New("--peer-rounds must be positive")
		}
		return nil
	},
	header: func(w io.Writer, o *options) {
		fmt.Fprintf(w, "scales:      %s; shapes: %s\n", joinInts(o.Scales), strings.Join(o.PeerShapes, ", "))
	},
	measure: judged(measurePeer),
	verdict: result("same rows from both servers, no failed requests", "see MISMATCH or ERRORS above"),
}
