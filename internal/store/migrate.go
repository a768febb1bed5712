package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded path is fixed at build time
	}
	return sub
}

func provider(db *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectPostgres, db, migrationsFS())
}

// Migrate applies every pending migration.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Migrate applies pending migrations on the store's database.
func (s *Store) Migrate(ctx context.Context) error { return Migrate(ctx, s.db.DB) }

// MigrationsCurrent reports whether every embedded migration is applied.
// It only reads: a readiness probe must not create goose's table on a
// database nobody has migrated yet.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	names, err := fs.Glob(migrationsFS(), "*.sql")
	if err != nil {
		return false, err
	}
	var latest int64
	for _, n := range names {
		var v int64
		if _, err := fmt.Sscanf(n, "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	var exists bool
	if err := s.getOne(ctx, s.db, &exists, `SELECT to_regclass('goose_db_version') IS NOT NULL`); err != nil || !exists {
		return false, err
	}
	var applied sql.NullInt64
	if err := s.getOne(ctx, s.db, &applied, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`); err != nil {
		return false, err
	}
	return applied.Valid && applied.Int64 >= latest, nil
}

// MigrationsHash identifies the embedded migrations, so test templates are
// rebuilt whenever a migration changes.
func MigrationsHash() (string, error) {
	h := sha256.New()
	names, err := fs.Glob(migrationsFS(), "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrationsFS(), n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
