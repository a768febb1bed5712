package store

import (
	lru "container/list"
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Pages, counts and lookups by id run as prepared statements, one per
// distinct query text, so that PostgreSQL parses and plans each once per
// connection instead of once per request: planning the list page's
// statement took longer than running it (ARCHITECTURE.md, "Where a read's
// time goes"). Their plans do not depend on the values of their arguments
// (a page's LIMIT is a parameter too, so page sizes share a statement); the
// figures' aggregates, whose plans do, are planned each time. database/sql
// prepares a statement on each connection when it is first used there, and
// again after a reconnect. Transactions run their statements unprepared.

// maxPrepared bounds the statements kept, each prepared on every connection
// that ran it: the least recently used is closed when a new one comes.
const maxPrepared = 128

type stmtKey struct {
	db    *sqlx.DB
	query string
}

type stmtCache struct {
	mu    sync.Mutex
	stmts map[stmtKey]*lru.Element // of *cachedStmt
	order lru.List                 // most recently used first
}

type cachedStmt struct {
	key  stmtKey
	stmt *sqlx.Stmt
}

// stmt returns the prepared statement for query on q when q is a pool, or
// nil: q is a transaction, or preparing failed (the statement then runs
// unprepared and reports its own error).
func (c *stmtCache) stmt(ctx context.Context, q queryer, query string) *sqlx.Stmt {
	db, ok := q.(*sqlx.DB)
	if !ok {
		return nil
	}
	k := stmtKey{db, query}
	c.mu.Lock()
	if e, found := c.stmts[k]; found {
		c.order.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*cachedStmt).stmt
	}
	c.mu.Unlock()
	st, err := db.PreparexContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, raced := c.stmts[k]; raced {
		go st.Close()
		return e.Value.(*cachedStmt).stmt
	}
	if c.stmts == nil {
		c.stmts = map[stmtKey]*lru.Element{}
	}
	c.stmts[k] = c.order.PushFront(&cachedStmt{k, st})
	if c.order.Len() > maxPrepared {
		c.drop(c.order.Back())
	}
	return st
}

// drop forgets a statement and closes it; database/sql finishes the close
// once queries still running on it are done.
func (c *stmtCache) drop(e *lru.Element) {
	cs := c.order.Remove(e).(*cachedStmt)
	delete(c.stmts, cs.key)
	go cs.stmt.Close()
}

// forget drops query's statement after PostgreSQL refused to run it, so the
// next use prepares it afresh.
func (c *stmtCache) forget(q queryer, query string) {
	db, ok := q.(*sqlx.DB)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, found := c.stmts[stmtKey{db, query}]; found {
		c.drop(e)
	}
}

// stalePlan reports PostgreSQL's refusal to run a prepared statement whose
// result columns changed type since it was prepared (a migration altered a
// column while the server ran); prepared afresh, it runs.
func stalePlan(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan must not change result type")
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.order.Len() > 0 {
		cs := c.order.Remove(c.order.Front()).(*cachedStmt)
		delete(c.stmts, cs.key)
		_ = cs.stmt.Close()
	}
}
