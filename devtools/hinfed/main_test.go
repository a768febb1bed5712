package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/pgcluster"
)

// TestFreshClusterBehindAPrivateParent is make run-federated in a clone
// made with `mktemp -d` (mode 0700) as root: PostgreSQL runs as another
// user, who cannot enter the clone, so each cluster must move to its
// fallback directory rather than fail. A second run starts empty again.
func TestFreshClusterBehindAPrivateParent(t *testing.T) {
	if _, err := pgcluster.FindBinDir(os.Getenv("PG_BINDIR")); err != nil {
		t.Skipf("no PostgreSQL binaries: %v", err)
	}
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "p", ".data", "federated", "national")
	want := dir
	if os.Geteuid() == 0 {
		want = pgcluster.FallbackFor(dir)
	}
	ctx := context.Background()
	start := func() *sql.DB {
		c, err := freshCluster(ctx, dir, 0)
		if err != nil {
			t.Fatalf("fresh cluster behind a 0700 parent: %v", err)
		}
		t.Cleanup(func() {
			_ = c.Stop(context.Background())
			if c.Dir != dir {
				_ = os.RemoveAll(c.Dir)
			}
		})
		if c.Dir != want {
			t.Fatalf("cluster in %s, want %s", c.Dir, want)
		}
		db, err := sql.Open("postgres", c.URL("hingraph"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		var level string
		if err := db.QueryRow(`SHOW wal_level`).Scan(&level); err != nil || level != "logical" {
			t.Fatalf("wal_level %q, %v", level, err)
		}
		return db
	}
	db := start()
	if _, err := db.Exec(`CREATE TABLE leftover (id int)`); err != nil {
		t.Fatal(err)
	}
	db = start()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the second run kept the first run's table (%d, %v)", n, err)
	}
}
