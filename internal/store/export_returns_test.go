package store

import (
	"context"
	"database/sql"
)

// MigrateDownTo rolls back the migrations after version, so a test can put
// a database in the state a later migration starts from.
func MigrateDownTo(ctx context.Context, db *sql.DB, version int64) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
