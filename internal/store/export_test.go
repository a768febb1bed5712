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

// MaxPrepared is the bound of the prepared-statement cache.
const MaxPrepared = maxPrepared

// SelectPrepared runs a read as a prepared statement on the pool.
func (s *Store) SelectPrepared(ctx context.Context, dest any, query string, args ...any) error {
	return s.selectPrepared(ctx, s.db, dest, query, args...)
}

// Prepared says how many statements the cache holds, and whether it holds
// query's.
func (s *Store) Prepared(query string) (n int, holds bool) {
	s.prepared.mu.Lock()
	defer s.prepared.mu.Unlock()
	_, holds = s.prepared.stmts[stmtKey{s.db, query}]
	return s.prepared.order.Len(), holds
}
