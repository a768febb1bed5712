package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(k string) string {
	if k == "DATABASE_URL" {
		return "postgres://localhost/x"
	}
	return ""
}

// Each mode is a subcommand with its own flags and defaults; the old
// --hostile and --peer spellings still choose theirs.
func TestModes(t *testing.T) {
	for _, c := range []struct {
		args  string
		mode  *mode
		check func(*options) bool
	}{
		{"", queriesMode, func(o *options) bool { return slices.Equal(o.Scales, []int{10, 100}) && o.Concurrency == 8 }},
		{"queries --scales 10", queriesMode, func(o *options) bool { return slices.Equal(o.Scales, []int{10}) }},
		{"peer", peerMode, func(o *options) bool {
			return slices.Equal(o.Scales, []int{10}) && o.Duration == 5*time.Second && o.SeqRequests == 20 && slices.Equal(o.PeerShapes, peerShapeNames())
		}},
		{"--scales 10 --peer --peer-shapes nested,list", peerMode, func(o *options) bool { return slices.Equal(o.PeerShapes, []string{"nested", "list"}) }},
		{"hostile", hostileMode, func(o *options) bool {
			return o.Concurrency == 4 && slices.Equal(o.Queries, defaultHostileQueries) && slices.Equal(o.HostileKinds, hostileKindNames(false))
		}},
		{"--scales 10 --hostile --concurrency 2", hostileMode, func(o *options) bool { return o.Concurrency == 2 }},
	} {
		o, err := parseFlags(strings.Fields(c.args), env, io.Discard)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if o.Mode != c.mode || !c.check(o) {
			t.Errorf("%q: mode %s, options %+v", c.args, o.Mode.name, o)
		}
	}
	for _, args := range []string{"--peer-rounds 2", "hostile --peer-shapes nested", "peer --peer-shapes nope", "hostile --hostile-kinds nope", "queries --queries nope"} {
		if _, err := parseFlags(strings.Fields(args), env, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// A mode's verdict is the run's exit status and its last line.
func TestVerdictLines(t *testing.T) {
	var b strings.Builder
	if !hostileMode.verdict(&b, nil, true, nil) || b.String() != "\nresult: OK (no normal request failed)\n" {
		t.Errorf("hostile pass: %q", b.String())
	}
	b.Reset()
	if peerMode.verdict(&b, nil, false, nil) || b.String() != "\nresult: FAILED (see MISMATCH or ERRORS above)\n" {
		t.Errorf("peer fail: %q", b.String())
	}
	b.Reset()
	if queriesMode.verdict(&b, &options{}, false, nil) || !strings.HasSuffix(b.String(), "result: FAILED (see errors and MISMATCH above)\n") {
		t.Errorf("queries fail: %q", b.String())
	}
}
