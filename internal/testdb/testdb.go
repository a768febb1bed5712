// Package testdb gives each test its own PostgreSQL database: a cheap copy
// of a template that is migrated (and seeded) once per distinct content, so
// tests run in parallel and leave nothing behind.
package testdb

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/peterldowns/pgtestdb"

	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Data says what a test database starts with.
type Data struct {
	Seed bool           // load the reference data
	Demo *seed.DemoSize // also load demo data of this size (implies Seed)
}

// Empty is a migrated database with no rows.
var Empty = Data{}

// Reference is the shipped reference data.
var Reference = Data{Seed: true}

// Demo returns reference data plus demo data of the given size.
func Demo(size seed.DemoSize) Data { return Data{Seed: true, Demo: &size} }

// migrator builds a template: migrations, then the requested data. Its hash
// covers both, so a change to either builds a new template.
type migrator struct{ data Data }

func (m migrator) Hash() (string, error) {
	h, err := store.MigrationsHash()
	if err != nil {
		return "", err
	}
	if m.data.Seed || m.data.Demo != nil {
		h += "|" + seed.Fingerprint(m.data.Demo)
	}
	return h, nil
}

func (m migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	if err := store.Migrate(ctx, db); err != nil {
		return err
	}
	if !m.data.Seed && m.data.Demo == nil {
		return nil
	}
	s := store.NewFromDB(db)
	if err := s.ReplaceAll(ctx, seed.Build(m.data.Demo), seed.Fingerprint(m.data.Demo)); err != nil {
		return err
	}
	return s.Analyze(ctx)
}

// config reads the server to use from DATABASE_URL (make test sets it).
func config(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		t.Fatal("DATABASE_URL is not set: run `make test`, which starts a throwaway PostgreSQL, or point DATABASE_URL at a server where you may create databases")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		t.Fatalf("DATABASE_URL must be a postgres:// URL: %v", err)
	}
	pass, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	return pgtestdb.Config{
		DriverName: "postgres",
		Host:       u.Hostname(),
		Port:       port,
		User:       u.User.Username(),
		Password:   pass,
		Database:   strings.TrimPrefix(u.Path, "/"),
		Options:    q.Encode(),
		// tests that stop servers mid-request may leave a connection behind
		ForceTerminateConnections: true,
	}
}

// New returns a store on a fresh database holding data.
func New(t testing.TB, data Data) *store.Store {
	t.Helper()
	db := pgtestdb.New(t, config(t), migrator{data})
	return store.NewFromDB(db)
}

// NewDB returns a fresh database holding data, for tests that also need to
// write rows the API cannot write yet.
func NewDB(t testing.TB, data Data) *sql.DB {
	t.Helper()
	return pgtestdb.New(t, config(t), migrator{data})
}

// URL returns the URL of a fresh database holding data, for tests that
// start the whole server.
func URL(t testing.TB, data Data) string {
	t.Helper()
	return pgtestdb.Custom(t, config(t), migrator{data}).URL()
}
