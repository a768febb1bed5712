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
	"sync"
	"syscall"
	"time"

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

func run(ctx context.Context) error {
	dir := envOr("HINGRAPH_FED_DIR", filepath.Join(".data", "federated"))
	basePort, err := strconv.Atoi(envOr("HINGRAPH_PG_PORT", "54340"))
	if err != nil {
		return fmt.Errorf("HINGRAPH_PG_PORT: %w", err)
	}
	apiPort, err := strconv.Atoi(envOr("HINGRAPH_FED_API_PORT", "8080"))
	if err != nil {
		return fmt.Errorf("HINGRAPH_FED_API_PORT: %w", err)
	}
	metricsPort, err := strconv.Atoi(envOr("HINGRAPH_FED_METRICS_PORT", "9464"))
	if err != nil {
		return fmt.Errorf("HINGRAPH_FED_METRICS_PORT: %w", err)
	}
	for i := range nodes {
		nodes[i].port = apiPort + i
	}
	bin, err := filepath.Abs(filepath.Join("bin", "hingraph"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: build it first (make build)", bin)
	}

	clusters := make([]*pgcluster.Cluster, len(nodes))
	defer func() {
		// stop every cluster, even after a second Ctrl-C
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
		for _, c := range clusters {
			if c != nil {
				if err := c.Stop(context.Background()); err != nil {
					logf("stop %s: %v", c.Dir, err)
				}
			}
		}
		logf("clusters stopped")
	}()
	for i, n := range nodes {
		c, err := freshCluster(ctx, filepath.Join(dir, n.name), basePort+i)
		if err != nil {
			return err
		}
		clusters[i] = c
		logf("%s: PostgreSQL on 127.0.0.1:%d", n.name, c.Port)
	}
	dbURL := func(i int) string { return clusters[i].URL("hingraph") }
	nationalAPI := fmt.Sprintf("http://localhost:%d", nodes[0].port)
	scale := envOr("HINGRAPH_DEMO_SCALE", "1")

	steps := [][]string{
		{"migrate", "--database-url", dbURL(0)},
		{"seed", "--database-url", dbURL(0), "--demo", "--scale", scale, "--reset"},
	}
	for i, n := range nodes[1:] {
		steps = append(steps, []string{"region", "move-out", "--database-url", dbURL(0), "--region", n.region,
			"--node-url", fmt.Sprintf("http://localhost:%d", n.port), "--node-database-url", dbURL(i + 1),
			"--national-url", nationalAPI})
	}
	for _, args := range steps {
		logf("hingraph %s %s", args[0], args[1])
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("hingraph %s: %w", args[0], err)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(nodes))
	for i, n := range nodes {
		args := []string{"dev", "--database-url", dbURL(i), "--addr", fmt.Sprintf("localhost:%d", n.port),
			"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metricsPort+i), "--node-url", fmt.Sprintf("http://localhost:%d", n.port),
			"--stale-after", "30s", "--scale", scale}
		if n.region == "" {
			args = append(args, "--node-role", "national")
		} else {
			args = append(args, "--node-role", "regional", "--region", n.region, "--national-url", nationalAPI, "--seed=false")
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		// its own process group: the terminal's Ctrl-C reaches us, and we
		// stop the servers ourselves, before the clusters
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done()
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}()
		go func() {
			err := cmd.Wait()
			if ctx.Err() == nil {
				errs <- fmt.Errorf("%s node exited: %v", n.name, err)
			} else {
				errs <- nil
			}
		}()
	}
	logf("national %s, HI-EM :%d, HI-WEST :%d, UCLP :%d; Ctrl-C stops them all", nationalAPI, nodes[1].port, nodes[2].port, nodes[3].port)
	var firstErr error
	select {
	case <-ctx.Done():
	case firstErr = <-errs:
		stopAll(ctx)
	}
	wg.Wait()
	done := 0
	if firstErr != nil {
		done = 1
	}
	timeout := time.After(30 * time.Second)
	for done < len(nodes) {
		select {
		case err := <-errs:
			if err != nil && firstErr == nil {
				firstErr = err
			}
			done++
		case <-timeout:
			return errors.Join(firstErr, errors.New("servers did not stop within 30 s"))
		}
	}
	return firstErr
}

// stopAll is used when one server fails: the others are stopped by
// cancelling through a signal to ourselves.
func stopAll(ctx context.Context) {
	if ctx.Err() == nil {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
	<-ctx.Done()
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
