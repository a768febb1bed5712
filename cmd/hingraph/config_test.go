package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestBadConfigStopsStartup: a value that does not parse, from the
// environment or a flag, stops the command with a message naming the
// variable (or flag) and the value, before any database is opened; it is
// never replaced by the default.
func TestBadConfigStopsStartup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // all in the error
	}{
		{"int env", []string{"serve"}, map[string]string{"HINGRAPH_MAX_DEPTH": "abc"}, []string{"HINGRAPH_MAX_DEPTH", `"abc"`, "--max-depth"}},
		{"float env", []string{"serve"}, map[string]string{"HINGRAPH_RATE": "fast"}, []string{"HINGRAPH_RATE", `"fast"`}},
		{"bool env", []string{"serve"}, map[string]string{"HINGRAPH_INTROSPECTION": "maybe"}, []string{"HINGRAPH_INTROSPECTION", `"maybe"`}},
		{"duration env", []string{"serve"}, map[string]string{"HINGRAPH_REQUEST_TIMEOUT": "15"}, []string{"HINGRAPH_REQUEST_TIMEOUT", `"15"`}},
		{"db env, migrate", []string{"migrate"}, map[string]string{"HINGRAPH_MAX_OPEN_CONNS": "twenty"}, []string{"HINGRAPH_MAX_OPEN_CONNS", `"twenty"`}},
		{"seed env", []string{"seed"}, map[string]string{"HINGRAPH_DEMO_SCALE": "big"}, []string{"HINGRAPH_DEMO_SCALE", `"big"`}},
		{"two bad env", []string{"serve"}, map[string]string{"HINGRAPH_MAX_DEPTH": "abc", "HINGRAPH_BURST": "1.5"}, []string{"HINGRAPH_MAX_DEPTH", "HINGRAPH_BURST"}},
		{"int flag", []string{"serve", "--max-depth", "abc"}, nil, []string{"max-depth", `"abc"`}},
		{"negative limit", []string{"serve", "--max-depth", "-1"}, nil, []string{"negative"}},
		{"same port twice", []string{"serve", "--addr", "127.0.0.1:9999", "--metrics-addr", "127.0.0.1:9999"}, nil, []string{"metrics address"}},
		{"collector target off", []string{"serve", "--gc-percent", "0"}, nil, []string{"--gc-percent"}},
		{"unknown node role", []string{"serve", "--node-role", "county"}, nil, []string{"--node-role", `"county"`}},
		{"regional node without region", []string{"serve"}, map[string]string{"HINGRAPH_NODE_ROLE": "regional"}, []string{"--region"}},
		{"trusted proxy not an address", []string{"serve"}, map[string]string{"HINGRAPH_TRUSTED_PROXIES": "10.0.0.0/8, ingress"}, []string{"HINGRAPH_TRUSTED_PROXIES", `"ingress"`}},
		{"region on a national node", []string{"serve", "--node-role", "national", "--region", "HI-EM"}, nil, []string{"--region"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, func(k string) string { return env[k] }, &stdout, &stderr)
			if err == nil {
				t.Fatal("started with a bad value")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "database") {
				t.Errorf("got as far as the database: %v", err)
			}
		})
	}
}

// TestEnvAndFlags: a flag wins over its variable, and a good variable is
// used, with spaces around a number forgiven.
func TestEnvAndFlags(t *testing.T) {
	t.Parallel()
	var c config
	fs := newFlagSet("serve", &bytes.Buffer{})
	c.bindServe(fs)
	env := map[string]string{"HINGRAPH_MAX_DEPTH": " 7 ", "HINGRAPH_MAX_COST": "100", "HINGRAPH_METRICS_ADDR": "127.0.0.1:9999"}
	if err := fs.Parse([]string{"--max-cost", "200"}); err != nil {
		t.Fatal(err)
	}
	if err := c.applyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Limits.MaxDepth != 7 || c.HTTP.Limits.MaxCost != 200 || c.HTTP.MetricsAddr != "127.0.0.1:9999" {
		t.Fatalf("depth %d cost %d metrics %q, want 7, 200 (the flag) and 127.0.0.1:9999", c.HTTP.Limits.MaxDepth, c.HTTP.Limits.MaxCost, c.HTTP.MetricsAddr)
	}
	if c.HTTP.Limits.MaxAliases != 15 {
		t.Errorf("unset max-aliases = %d, want the default 15", c.HTTP.Limits.MaxAliases)
	}
}

// TestZeroSubscriptionCap: --max-subscriptions 0 is accepted and reaches
// the server as 0 (no cap, see graph.TestZeroSubscriptionCapIsNoCap), not
// replaced by the default; a negative value is refused.
func TestZeroSubscriptionCap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arg  string
		want int
		ok   bool
	}{{"0", 0, true}, {"3", 3, true}, {"-1", 0, false}} {
		var c config
		fs := newFlagSet("serve", &bytes.Buffer{})
		c.bindServe(fs)
		if err := fs.Parse([]string{"--max-subscriptions", tc.arg}); err != nil {
			t.Fatal(err)
		}
		err := c.HTTP.Validate()
		if tc.ok && (err != nil || c.HTTP.Subscriptions.MaxPerCaller != tc.want) {
			t.Errorf("--max-subscriptions %s: cap %d, %v; want %d", tc.arg, c.HTTP.Subscriptions.MaxPerCaller, err, tc.want)
		}
		if !tc.ok && err == nil {
			t.Errorf("--max-subscriptions %s accepted", tc.arg)
		}
	}
}

// TestVersion: the version and commit given at link time are printed; a
// binary built without them still answers, from its build info or
// "unknown", never with an empty field.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "hingraph ") || lines[0] == "hingraph " || !strings.HasPrefix(lines[1], "commit ") || lines[1] == "commit " {
		t.Fatalf("version without ldflags printed %q", out.String())
	}

	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.4.0", "0123456789abcdef0123456789abcdef01234567"
	out.Reset()
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "hingraph v1.4.0\ncommit 0123456789abcdef0123456789abcdef01234567") {
		t.Errorf("version with ldflags printed %q", out.String())
	}
}
