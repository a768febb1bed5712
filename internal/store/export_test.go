package store

import (
	"context"
	"database/sql"
)

// MapError lets the external tests check the error mapping on errors that a
// real PostgreSQL returned.
var MapError = mapError

// MigrateTo moves a database's schema up or down to a migration version,
// for tests of what a migration does to existing rows.
func MigrateTo(ctx context.Context, db *sql.DB, version int64) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if current > version {
		_, err = p.DownTo(ctx, version)
	} else {
		_, err = p.UpTo(ctx, version)
	}
	return err
}
