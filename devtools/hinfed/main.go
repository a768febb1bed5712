// Command hinfed runs the federated network on one machine for local use
// (`make run-federated`): a national node on :8080 and regional nodes for
// HI-EM on :8081, HI-WEST on :8082 and UCLP on :8083, each with its own
// private PostgreSQL cluster (internal/pgcluster) with wal_level=logical.
// The national node is seeded with reference and demo data, each region is
// moved out to its node with `hingraph region move-out`, and every node is
// served by `bin/hingraph dev` with the development token secret, so
// tokens from `bin/hingraph token` work on all of them. Ctrl-C stops the
// servers and the clusters. Each run starts from fresh clusters.
//
// Environment: HINGRAPH_FED_DIR (default .data/federated), HINGRAPH_PG_PORT
// (first cluster port, default 54340; the next ones follow),
// HINGRAPH_FED_API_PORT (the national node's API port, default 8080; the
// regional nodes take the next ones), HINGRAPH_FED_METRICS_PORT (the
// national node's metrics port, default 9464; likewise), HINGRAPH_DEMO_SCALE (demo data size,
// default 1), PG_BINDIR.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hin-graph/hin-graph/devtools/internal/devserver"
	"github.com/hin-graph/hin-graph/internal/pgcluster"
)

// node is one node of the demo network.
type node struct {
	name   string // cluster directory
	region string // "" for the national node
	port   int    // API port
}

var nodes = []node{
	{name: "national", port: 8080},
	{name: "hi-em", region: "HI-EM", port: 8081},
	{name: "hi-west", region: "HI-WEST", port: 8082},
	{name: "uclp", region: "UCLP", port: 8083},
}

// settings let one machine run the four clusters' replication, and let an
// idle subscription hear from its publisher every 5 s, so coverage shows
// freshness within seconds.
var settings = map[string]string{
	"max_replication_slots":           "20",
	"max_wal_senders":                 "20",
	"max_logical_replication_workers": "16",
	"max_worker_processes":            "32",
	"wal_receiver_timeout":            "'10s'",
	"wal_retrieve_retry_interval":     "'2s'",
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hinfed:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hinfed: "+format+"\n", args...)
}

// ports are where the network listens, from the environment.
type ports struct{ pg, api, metrics int }

func portsFromEnv() (ports, error) {
	var p ports
	for _, v := range []struct {
		env, def string
		to       *int
	}{{"HINGRAPH_PG_PORT", "54340", &p.pg}, {"HINGRAPH_FED_API_PORT", "8080", &p.api}, {"HINGRAPH_FED_METRICS_PORT", "9464", &p.metrics}} {
		n, err := strconv.Atoi(envOr(v.env, v.def))
		if err != nil {
			return p, fmt.Errorf("%s: %w", v.env, err)
		}
		*v.to = n
	}
	return p, nil
}

func run(ctx context.Context) error {
	dir := envOr("HINGRAPH_FED_DIR", filepath.Join(".data", "federated"))
	p, err := portsFromEnv()
	if err != nil {
		return err
	}
	for i := range nodes {
		nodes[i].port = p.api + i
	}
	bin, err := filepath.Abs(filepath.Join("bin", "hingraph"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: build it first (make build)", bin)
	}

	clusters := make([]*pgcluster.Cluster, len(nodes))
	defer stopClusters(clusters)
	for i, n := range nodes {
		c, err := freshCluster(ctx, filepath.Join(dir, n.name), p.pg+i)
		if err != nil {
			return err
		}
		clusters[i] = c
		logf("%s: PostgreSQL on 127.0.0.1:%d", n.name, c.Port)
	}
	dbURL := func(i int) string { return clusters[i].URL("hingraph") }
	scale := envOr("HINGRAPH_DEMO_SCALE", "1")
	if err := setUp(ctx, bin, dbURL, scale); err != nil {
		return err
	}
	return serve(ctx, bin, dbURL, scale, p.metrics)
}

// stopClusters stops every cluster, even after a second Ctrl-C.
func stopClusters(clusters []*pgcluster.Cluster) {
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	for _, c := range clusters {
		if c != nil {
			if err := c.Stop(context.Background()); err != nil {
				logf("stop %s: %v", c.Dir, err)
			}
		}
	}
	logf("clusters stopped")
}

func nodeURL(n node) string { return fmt.Sprintf("http://localhost:%d", n.port) }

// setUp migrates and seeds the national node and moves each region out to
// its node.
func setUp(ctx context.Context, bin string, dbURL func(int) string, scale string) error {
	steps := [][]string{
		{"migrate", "--database-url", dbURL(0)},
		{"seed", "--database-url", dbURL(0), "--demo", "--scale", scale, "--reset"},
	}
	for i, n := range nodes[1:] {
		steps = append(steps, []string{"region", "move-out", "--database-url", dbURL(0), "--region", n.region,
			"--node-url", nodeURL(n), "--node-database-url", dbURL(i + 1), "--national-url", nodeURL(nodes[0])})
	}
	for _, args := range steps {
		logf("hingraph %s %s", args[0], args[1])
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("hingraph %s: %w", args[0], err)
		}
	}
	return nil
}

// serve runs `hingraph dev` for every node until ctx ends or one exits,
// then stops them all.
func serve(ctx context.Context, bin string, dbURL func(int) string, scale string, metricsPort int) error {
	procs := make([]*devserver.Proc, 0, len(nodes))
	defer func() { _ = stopNodes(procs) }() // those started, on a failed start
	exited := make(chan error, len(nodes))
	for i, n := range nodes {
		args := []string{bin, "dev", "--database-url", dbURL(i), "--addr", fmt.Sprintf("localhost:%d", n.port),
			"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metricsPort+i), "--node-url", nodeURL(n),
			"--stale-after", "30s", "--scale", scale}
		if n.region == "" {
			args = append(args, "--node-role", "national")
		} else {
			args = append(args, "--node-role", "regional", "--region", n.region, "--national-url", nodeURL(nodes[0]), "--seed=false")
		}
		p, err := devserver.Start(ctx, devserver.Spec{Name: n.name + " node", Argv: args, Log: os.Stdout, Stderr: os.Stderr,
			Ready: devserver.Readyz(nodeURL(n)), Within: 5 * time.Minute})
		if err != nil {
			return err
		}
		procs = append(procs, p)
		go func() {
			<-p.Done()
			exited <- fmt.Errorf("%s node exited: %v", n.name, p.Err())
		}()
	}
	logf("national %s, HI-EM :%d, HI-WEST :%d, UCLP :%d; Ctrl-C stops them all", nodeURL(nodes[0]), nodes[1].port, nodes[2].port, nodes[3].port)
	select {
	case <-ctx.Done():
		return stopNodes(procs)
	case err := <-exited:
		return errors.Join(err, stopNodes(procs))
	}
}

// stopNodes sends every node SIGTERM and waits for them together.
func stopNodes(procs []*devserver.Proc) error {
	deadline := time.Now().Add(30 * time.Second)
	var late error
	for _, p := range procs {
		if !p.Terminate(time.Until(deadline)) {
			p.Stop(0)
			late = errors.New("servers did not stop within 30 s")
		}
	}
	return late
}

// freshCluster starts an empty cluster in dir: the demo always starts
// from scratch, so a move-out never meets rows from a previous run. As
// root, when the cluster's owner cannot reach dir (a clone under /root or
// in a mktemp directory), the cluster lives in pgcluster's fallback
// directory instead, as it does for make run and make test.
func freshCluster(ctx context.Context, dir string, port int) (*pgcluster.Cluster, error) {
	cfg := pgcluster.Config{Dir: dir, FallbackDir: pgcluster.FallbackFor(dir), Port: port, WALLevel: "logical",
		Settings: settings, BinDir: os.Getenv("PG_BINDIR"), Install: true, Logf: logf}
	c, err := pgcluster.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Stop(ctx); err != nil {
		return nil, err
	}
	for _, p := range []string{c.DataDir, c.LogFile} {
		if err := os.RemoveAll(p); err != nil {
			return nil, err
		}
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return c, c.CreateDatabase(ctx, "hingraph")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
