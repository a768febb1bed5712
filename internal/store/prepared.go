package store

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Pages, counts and lookups by id run as prepared statements, one per
// distinct query text, so that PostgreSQL parses and plans each once per
// connection instead of once per request: planning the list page's
// statement took longer than running it (ARCHITECTURE.md, "Where a read's
// time goes"). Their plans do not depend on the values of their arguments;
// the figures' aggregates, whose plans do, are planned each time.
// database/sql prepares a statement on each connection when it is first
// used there, and again after a reconnect. Transactions run their
// statements unprepared.

// maxPrepared bounds the statements kept: query texts vary with their
// filters and page sizes, and past the bound new texts simply run
// unprepared, so nothing is ever closed under a running query.
const maxPrepared = 512

type stmtKey struct {
	db    *sqlx.DB
	query string
}

type stmtCache struct {
	mu    sync.Mutex
	stmts map[stmtKey]*sqlx.Stmt
}

// stmt returns the prepared statement for query on q when q is a pool, or
// nil: q is a transaction, the cache is full, or preparing failed (the
// statement then runs unprepared and reports its own error).
func (c *stmtCache) stmt(ctx context.Context, q queryer, query string) *sqlx.Stmt {
	db, ok := q.(*sqlx.DB)
	if !ok {
		return nil
	}
	k := stmtKey{db, query}
	c.mu.Lock()
	st, found := c.stmts[k]
	full := len(c.stmts) >= maxPrepared
	c.mu.Unlock()
	if found || full {
		return st
	}
	st, err := db.PreparexContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmts == nil {
		c.stmts = map[stmtKey]*sqlx.Stmt{}
	}
	if other, raced := c.stmts[k]; raced || len(c.stmts) >= maxPrepared {
		_ = st.Close()
		return other
	}
	c.stmts[k] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, k)
	}
}
