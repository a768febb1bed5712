package pgcluster

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// clusterDir returns a fresh directory the cluster owner can reach: as
// root the cluster runs as postgres, and t.TempDir is private to root.
func clusterDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newCluster(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	if _, err := FindBinDir(os.Getenv("PG_BINDIR")); err != nil {
		t.Skipf("no PostgreSQL binaries: %v", err)
	}
	if cfg.Dir == "" {
		cfg.Dir = clusterDir(t)
	}
	cfg.BinDir = os.Getenv("PG_BINDIR")
	cfg.Logf = t.Logf
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return c
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func show(t *testing.T, db *sql.DB, setting string) string {
	t.Helper()
	var v string
	if err := db.QueryRow("SHOW " + setting).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLogicalReplicationBetweenClusters starts two clusters side by side,
// one with wal_level=logical, and replicates a table from it to the other:
// what tests of a national and regional nodes will need.
func TestLogicalReplicationBetweenClusters(t *testing.T) {
	ctx := context.Background()
	national := newCluster(t, Config{WALLevel: "logical"})
	regional := newCluster(t, Config{})
	for _, c := range []*Cluster{national, regional} {
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.CreateDatabase(ctx, "hin"); err != nil {
			t.Fatal(err)
		}
	}
	if national.Port == regional.Port {
		t.Fatalf("both clusters on port %d", national.Port)
	}
	pub, sub := open(t, national.URL("hin")), open(t, regional.URL("hin"))
	if got := show(t, pub, "wal_level"); got != "logical" {
		t.Fatalf("wal_level = %s on the publisher", got)
	}
	if got := show(t, sub, "wal_level"); got != "replica" {
		t.Fatalf("wal_level = %s on the default cluster, want PostgreSQL's default replica", got)
	}
	if got := show(t, pub, "listen_addresses"); got != "127.0.0.1" {
		t.Fatalf("listen_addresses = %s", got)
	}
	for _, db := range []*sql.DB{pub, sub} {
		if _, err := db.Exec(`CREATE TABLE figure (id int PRIMARY KEY, value int)`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pub.Exec(`CREATE PUBLICATION figures FOR TABLE figure`); err != nil {
		t.Fatal(err)
	}
	conn := "host=127.0.0.1 port=" + strconv.Itoa(national.Port) + " user=postgres dbname=hin"
	if _, err := sub.Exec(`CREATE SUBSCRIPTION figures CONNECTION '` + conn + `' PUBLICATION figures`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sub.Exec(`DROP SUBSCRIPTION figures`) })
	if _, err := pub.Exec(`INSERT INTO figure VALUES (1, 10), (2, 20)`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var sum sql.NullInt64
		if err := sub.QueryRow(`SELECT sum(value) FROM figure`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if sum.Int64 == 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows never replicated (sum %v)", sum)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRestartKeepsDataAndTakesAFreePort stops and starts a cluster: the
// data survives, initdb does not run again, and a taken port is skipped.
func TestRestartKeepsDataAndTakesAFreePort(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	c := newCluster(t, Config{Port: taken})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Port == taken {
		t.Fatalf("started on the taken port %d", taken)
	}
	if err := c.CreateDatabase(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "kept"); err != nil {
		t.Fatalf("creating an existing database again: %v", err)
	}
	pid, ok := c.Running()
	if !ok || pid <= 0 {
		t.Fatal("not running after Start")
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Running(); ok {
		t.Fatal("still running after Stop")
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stopping a stopped cluster: %v", err)
	}
	stamp, err := os.Stat(filepath.Join(c.DataDir, "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := os.Stat(filepath.Join(c.DataDir, "PG_VERSION"))
	if err != nil || !again.ModTime().Equal(stamp.ModTime()) {
		t.Fatalf("the cluster was initialised again (%v)", err)
	}
	var n int
	if err := open(t, c.URL("postgres")).QueryRow(`SELECT count(*) FROM pg_database WHERE datname = 'kept'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("database after restart: %d, %v", n, err)
	}

	t.Run("a stale pid file is not a running cluster", func(t *testing.T) {
		other := newCluster(t, Config{})
		if err := os.MkdirAll(other.DataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		// Our own PID is alive but works elsewhere.
		pidFile := strconv.Itoa(os.Getpid()) + "\n" + other.DataDir + "\n0\n5432\n"
		if err := os.WriteFile(filepath.Join(other.DataDir, "postmaster.pid"), []byte(pidFile), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := other.Running(); ok {
			t.Fatal("a PID file naming another process counts as running")
		}
	})
}

// TestLeases checks that the cluster stops with its last user, and only
// then, and that a kept cluster outlives its users.
func TestLeases(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Config{})
	first, err := c.Acquire(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !first.AutoStop || first.Reused {
		t.Fatalf("first lease: AutoStop %v, Reused %v", first.AutoStop, first.Reused)
	}
	second, err := c.Acquire(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Reused || !second.AutoStop {
		t.Fatalf("second lease: AutoStop %v, Reused %v", second.AutoStop, second.Reused)
	}
	if stopped, err := first.Release(ctx); err != nil || stopped {
		t.Fatalf("release with another user left: stopped %v, %v", stopped, err)
	}
	if _, ok := c.Running(); !ok {
		t.Fatal("stopped underneath the second user")
	}
	if stopped, err := second.Release(ctx); err != nil || !stopped {
		t.Fatalf("release of the last user: stopped %v, %v", stopped, err)
	}
	if _, ok := c.Running(); ok {
		t.Fatal("still running after the last user left")
	}

	kept, err := c.Acquire(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if kept.AutoStop {
		t.Fatal("a kept cluster would stop on its own")
	}
	user, err := c.Acquire(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if user.AutoStop {
		t.Fatal("a user of a kept cluster would stop it")
	}
	_, _ = user.Release(ctx)
	if stopped, err := kept.Release(ctx); err != nil || stopped {
		t.Fatalf("release of a kept cluster: stopped %v, %v", stopped, err)
	}
	if _, ok := c.Running(); !ok {
		t.Fatal("a kept cluster was stopped")
	}
	if err := c.StopShared(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Running(); ok {
		t.Fatal("StopShared left it running")
	}
}

func TestFindBinDirOrder(t *testing.T) {
	if got := compareVersions("9.6", "10"); got >= 0 {
		t.Errorf("9.6 vs 10: %d", got)
	}
	if got := compareVersions("15", "15"); got != 0 {
		t.Errorf("15 vs 15: %d", got)
	}
	if _, err := FindBinDir(t.TempDir()); err == nil {
		t.Error("an empty directory passes for a bin directory")
	}
}

// TestFallbackForNamesTheDirectory: the fallback is named for the absolute
// directory asked for (so a relative .data/federated/x in two checkouts
// never shares one), and reachable by any account.
func TestFallbackForNamesTheDirectory(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join(".data", "x")
	if FallbackFor(rel) != FallbackFor(filepath.Join(wd, rel)) {
		t.Error("a relative and an absolute spelling of one directory get different fallbacks")
	}
	if FallbackFor("/a/.data") == FallbackFor("/b/.data") {
		t.Error("two directories share a fallback")
	}
	if filepath.Dir(FallbackFor("/a/.data")) != "/var/tmp" {
		t.Errorf("fallback %s is not in /var/tmp", FallbackFor("/a/.data"))
	}
}
