package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
)

// withDatabase points a PostgreSQL URL (or key=value DSN) at another
// database on the same server, keeping credentials and options.
func withDatabase(raw, name string) (string, error) {
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("database url: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	re := regexp.MustCompile(`(^|\s)dbname=('(?:[^'\\]|\\.)*'|\S*)`)
	if re.MatchString(raw) {
		return re.ReplaceAllString(raw, "${1}dbname="+name), nil
	}
	return strings.TrimSpace(raw + " dbname=" + name), nil
}

func openDB(dsn string) (*sql.DB, error) {
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	return sql.OpenDB(connector), nil
}

func serverVersion(ctx context.Context, dsn string) (string, error) {
	db, err := openDB(dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, `SELECT version()`).Scan(&v); err != nil {
		return "", fmt.Errorf("connect to %s: %w", redact(dsn), err)
	}
	return v, nil
}

// redact hides a password in error messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return regexp.MustCompile(`password=\S+`).ReplaceAllString(dsn, "password=xxxxx")
}

// ensureDatabase creates the database on the server of adminDSN unless it
// exists; with reset it is dropped first.
func ensureDatabase(ctx context.Context, adminDSN, name string, reset bool) (created bool, err error) {
	db, err := openDB(adminDSN)
	if err != nil {
		return false, err
	}
	defer db.Close()
	if reset {
		if err := dropDatabaseOn(ctx, db, name); err != nil {
			return false, err
		}
	}
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return false, nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "42P04" {
			return false, nil // created meanwhile by another run
		}
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}

func dropDatabase(ctx context.Context, adminDSN, name string) error {
	db, err := openDB(adminDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	return dropDatabaseOn(ctx, db, name)
}

func dropDatabaseOn(ctx context.Context, db *sql.DB, name string) error {
	// FORCE (PostgreSQL 13+) ends sessions a crashed run may have left behind.
	_, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42601" {
		_, err = db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name))
	}
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Bench databases are reused across runs, but goose only records which
// migrations ran, not what they said: a migration edited since the database
// was made would leave a stale schema. The hash of the embedded migrations
// is kept in a table of our own, and a database made from other migrations
// is made again.
const benchInfoTable = `CREATE TABLE IF NOT EXISTS hinbench_info (key text PRIMARY KEY, value text NOT NULL)`

// schemaCurrent reports whether the bench database was prepared from the
// migrations this binary embeds.
func schemaCurrent(ctx context.Context, dsn string) (bool, error) {
	want, err := store.MigrationsHash()
	if err != nil {
		return false, err
	}
	db, err := openDB(dsn)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var have string
	err = db.QueryRowContext(ctx, `SELECT value FROM hinbench_info WHERE key = 'migrations'`).Scan(&have)
	var pqErr *pq.Error
	switch {
	case errors.Is(err, sql.ErrNoRows), errors.As(err, &pqErr) && pqErr.Code == "42P01":
		return false, nil // never completed, or not made by hinbench
	case err != nil:
		return false, err
	}
	return have == want, nil
}

// prepareDatabase migrates the bench database and seeds it with the demo
// data of the scale, unless a previous run already did (same fingerprint).
// It reports what it did in one line and returns the outcome row count.
func prepareDatabase(ctx context.Context, dsn string, scale int, out io.Writer) (int64, error) {
	// no statement timeout: loading and vacuuming millions of rows is not a request
	s, err := store.Open(ctx, store.Config{URL: dsn, MaxOpenConns: 2})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return 0, err
	}
	size := seed.Scale(scale)
	want := seed.Fingerprint(&size)
	have, err := s.SeedFingerprint(ctx)
	if err != nil {
		return 0, fmt.Errorf("read seed state: %w", err)
	}
	db, err := openDB(dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if have == want {
		fmt.Fprintf(out, "seed:        reused (%s)\n", want)
	} else {
		start := time.Now()
		if err := s.ReplaceAll(ctx, seed.Build(&size), want); err != nil {
			return 0, fmt.Errorf("seed: %w", err)
		}
		loaded := time.Since(start)
		// VACUUM as well as ANALYZE: a freshly loaded table has no visibility
		// map, which would make index-only scans visit the heap until
		// autovacuum runs; measure the steady state both sides will see.
		vstart := time.Now()
		if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
			return 0, fmt.Errorf("vacuum: %w", err)
		}
		fmt.Fprintf(out, "seed:        seeded in %s, then VACUUM (ANALYZE) in %s (%s)\n",
			loaded.Round(100*time.Millisecond), time.Since(vstart).Round(100*time.Millisecond), want)
	}
	hash, err := store.MigrationsHash()
	if err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, benchInfoTable); err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO hinbench_info (key, value) VALUES ('migrations', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, hash); err != nil {
		return 0, err
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM outcome`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outcomes: %w", err)
	}
	return n, nil
}
