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
	"github.com/pressly/goose/v3/lock"
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

// provider holds a PostgreSQL advisory lock while it migrates, so a
// migration Job retried over one still running, or several replicas started
// with --migrate, apply each migration once.
func provider(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrationsFS(), goose.WithSessionLocker(locker))
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

// Migrate applies pending migrations on the store's database, and refuses
// (SchemaTooNewError) one that a newer release already took further.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.CheckSchemaNotNewer(ctx); err != nil {
		return err
	}
	return Migrate(ctx, s.db.DB)
}

// LatestMigration is the newest migration embedded in this binary.
func LatestMigration() (int64, error) {
	names, err := fs.Glob(migrationsFS(), "*.sql")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, n := range names {
		var v int64
		if _, err := fmt.Sscanf(n, "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}

// AppliedMigration is the newest migration applied to the database, 0 when
// none is (goose's table is missing or empty). It only reads: a readiness
// probe must not create goose's table on a database nobody has migrated yet.
func (s *Store) AppliedMigration(ctx context.Context) (int64, error) {
	var exists bool
	if err := s.getOne(ctx, s.db, &exists, `SELECT to_regclass('goose_db_version') IS NOT NULL`); err != nil || !exists {
		return 0, err
	}
	var applied sql.NullInt64
	if err := s.getOne(ctx, s.db, &applied, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`); err != nil {
		return 0, err
	}
	return applied.Int64, nil
}

// MigrationsCurrent reports whether every embedded migration is applied.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	latest, err := LatestMigration()
	if err != nil {
		return false, err
	}
	applied, err := s.AppliedMigration(ctx)
	if err != nil {
		return false, err
	}
	return applied > 0 && applied >= latest, nil
}

// SchemaTooNewError: the database was migrated by a newer release than
// this binary. Serving it would run old queries against a schema they were
// not written for, so commands stop instead.
type SchemaTooNewError struct{ Applied, Known int64 }

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("the database schema is at migration %05d, newer than this build knows (its newest is %05d): "+
		"a newer release migrated it; run that release or a later one, or restore the database to match this one", e.Applied, e.Known)
}

// CheckSchemaNotNewer returns a *SchemaTooNewError when the database holds
// a migration this binary does not embed, and nil otherwise (an older or
// empty schema is for `migrate` to bring up to date).
func (s *Store) CheckSchemaNotNewer(ctx context.Context) error {
	latest, err := LatestMigration()
	if err != nil {
		return err
	}
	applied, err := s.AppliedMigration(ctx)
	if err != nil {
		return fmt.Errorf("read the applied migrations: %w", err)
	}
	if applied > latest {
		return &SchemaTooNewError{Applied: applied, Known: latest}
	}
	return nil
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
