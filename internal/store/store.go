// Package store is hin-graph's PostgreSQL adapter: the only package that
// speaks SQL. One file per entity, each query a const next to the method
// that runs it.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Config is how to reach the database.
// Defaults for a deployment that sets nothing (hingraph's flags and the
// bench tool start from these).
const (
	DefaultStatementTimeout = 10 * time.Second
	DefaultMaxOpenConns     = 20
)

type Config struct {
	URL              string
	StatementTimeout time.Duration // per statement, enforced by PostgreSQL
	MaxOpenConns     int
	MaxIdleConns     int
	// OnStatement, when set, sees every statement before it is sent (for
	// debug logging of the SQL actually run).
	OnStatement func(ctx context.Context, query string, args []any)
	// ReadURL, when set, is a streaming replica of URL: figures and lists
	// run there, writes and everything else on URL. A replica lags its
	// primary a little, so a list read right after a write may not show it.
	ReadURL string
	// StaleAfter is how far behind a replicated region may be before it is
	// marked stale (0: hin.DefaultStaleAfter).
	StaleAfter time.Duration
}

// StatementHook observes one SQL statement: it is called before the
// statement with its context and text, may return a derived context (a
// trace span), and returns a function called with the statement's error
// when it ends.
type StatementHook func(ctx context.Context, query string) (context.Context, func(err error))

// Store runs the queries and writes of hin-graph.
type Store struct {
	db          *sqlx.DB
	readDB      *sqlx.DB // figures and lists; nil: db
	staleAfter  time.Duration
	url         string // for the change listener's own connection; "" from NewFromDB
	onStatement func(ctx context.Context, query string, args []any)
	hooks       []StatementHook
	prepared    stmtCache
}

// AddHook installs a statement hook (metrics, tracing). Install hooks
// before serving: the list is not guarded for concurrent change.
func (s *Store) AddHook(h StatementHook) { s.hooks = append(s.hooks, h) }

// DB returns the pool, for observers that report its use.
func (s *Store) DB() *sql.DB { return s.db.DB }

// Open connects to PostgreSQL. The statement timeout is set on every session
// so that no query outlives its budget, even if a client context is lost.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	db, err := openPool(ctx, cfg, cfg.URL)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, url: cfg.URL, onStatement: cfg.OnStatement, staleAfter: cfg.StaleAfter}
	if cfg.ReadURL != "" {
		if s.readDB, err = openPool(ctx, cfg, cfg.ReadURL); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("read replica: %w", err)
		}
	}
	return s, nil
}

func openPool(ctx context.Context, cfg Config, rawURL string) (*sqlx.DB, error) {
	dsn, err := withStatementTimeout(rawURL, cfg.StatementTimeout)
	if err != nil {
		return nil, err
	}
	// An acknowledged write must survive a crash of the database. With
	// synchronous_commit off (as in the throwaway dev cluster) COMMIT
	// returns before its WAL is written, and a crash then loses it. The URL
	// may still ask for another level (e.g. remote_apply).
	if dsn, err = withSessionSetting(dsn, "synchronous_commit", "on"); err != nil {
		return nil, err
	}
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	if cfg.MaxOpenConns > 0 {
		db.SetMaxOpenConns(cfg.MaxOpenConns)
	}
	if cfg.MaxIdleConns > 0 {
		db.SetMaxIdleConns(cfg.MaxIdleConns)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// reads is the pool figures and lists run on: the read replica if any.
func (s *Store) reads() *sqlx.DB {
	if s.readDB != nil {
		return s.readDB
	}
	return s.db
}

// NewFromDB wraps an open *sql.DB (tests get theirs from the test database helper).
func NewFromDB(db *sql.DB) *Store {
	return &Store{db: sqlx.NewDb(db, "postgres")}
}

// Close releases the pools.
func (s *Store) Close() error {
	s.prepared.close()
	if s.readDB != nil {
		_ = s.readDB.Close()
	}
	return s.db.Close()
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func withStatementTimeout(rawURL string, d time.Duration) (string, error) {
	if d <= 0 {
		return rawURL, nil
	}
	return withSessionSetting(rawURL, "statement_timeout", fmt.Sprint(d.Milliseconds()))
}

// withSessionSetting sets a PostgreSQL run-time parameter for every session
// in the connection string, unless the string already sets it.
func withSessionSetting(rawURL, key, value string) (string, error) {
	if strings.Contains(rawURL, "://") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return "", fmt.Errorf("database url: %w", err)
		}
		q := u.Query()
		if q.Get(key) == "" {
			q.Set(key, value)
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	if strings.Contains(rawURL, key) {
		return rawURL, nil
	}
	return rawURL + " " + key + "=" + value, nil
}

// StatementCounter counts the SQL statements run for one context (one
// GraphQL request), so tests and benchmarks can see how many a query costs.
type StatementCounter struct{ n atomic.Int64 }

// Count is the number of statements so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

type counterKey struct{}

// WithStatementCounter returns a context whose statements are counted.
func WithStatementCounter(ctx context.Context) (context.Context, *StatementCounter) {
	c := &StatementCounter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// StatementCounterFrom returns the counter on ctx, or nil.
func StatementCounterFrom(ctx context.Context) *StatementCounter {
	c, _ := ctx.Value(counterKey{}).(*StatementCounter)
	return c
}

// observe runs before every statement; the returned function after it.
func (s *Store) observe(ctx context.Context, query string, args []any) (context.Context, func(error)) {
	if c := StatementCounterFrom(ctx); c != nil {
		c.n.Add(1)
	}
	if s.onStatement != nil {
		s.onStatement(ctx, query, args)
	}
	if len(s.hooks) == 0 {
		return ctx, func(error) {}
	}
	ends := make([]func(error), len(s.hooks))
	for i, h := range s.hooks {
		ctx, ends[i] = h(ctx, query)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}

// queryer is what both the pool and a transaction offer.
type queryer interface {
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) selectAll(ctx context.Context, q queryer, dest any, query string, args ...any) error {
	ctx, end := s.observe(ctx, query, args)
	err := mapError(q.SelectContext(ctx, dest, query, args...))
	end(err)
	return err
}

// selectPrepared is selectAll as a prepared statement (prepared.go), for
// the reads whose plan does not depend on their arguments' values: counts
// and lookups by id.
func (s *Store) selectPrepared(ctx context.Context, q queryer, dest any, query string, args ...any) error {
	return s.readPrepared(ctx, q, query, args, func(rows *sqlx.Rows) error { return sqlx.StructScan(rows, dest) })
}

// selectRows is selectPrepared for a slice with room for the rows (a
// page's): it scans each row in place, where sqlx's Select makes and
// appends a value per row.
func selectRows[R any](ctx context.Context, s *Store, q queryer, dest *[]R, query string, args ...any) error {
	return s.readPrepared(ctx, q, query, args, func(rows *sqlx.Rows) error {
		for rows.Next() {
			*dest = append(*dest, *new(R))
			if err := rows.StructScan(&(*dest)[len(*dest)-1]); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// readPrepared runs a read through queryPrepared and hands its rows to
// scan, observed and with its errors mapped like every other statement.
func (s *Store) readPrepared(ctx context.Context, q queryer, query string, args []any, scan func(*sqlx.Rows) error) error {
	ctx, end := s.observe(ctx, query, args)
	rows, err := s.queryPrepared(ctx, q, query, args)
	if err == nil {
		err = scan(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}
	err = mapError(err)
	end(err)
	return err
}

// queryPrepared runs query as its prepared statement, or unprepared when
// there is none (in a transaction), or when PostgreSQL refuses the one it
// has because a migration changed a column's type under it.
func (s *Store) queryPrepared(ctx context.Context, q queryer, query string, args []any) (*sqlx.Rows, error) {
	if st := s.prepared.stmt(ctx, q, query); st != nil {
		rows, err := st.QueryxContext(ctx, args...)
		if !stalePlan(err) {
			return rows, err
		}
		s.prepared.forget(q, query)
	}
	return q.QueryxContext(ctx, query, args...)
}

func (s *Store) getOne(ctx context.Context, q queryer, dest any, query string, args ...any) error {
	ctx, end := s.observe(ctx, query, args)
	err := mapError(q.GetContext(ctx, dest, query, args...))
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		end(nil) // no row is an answer, not a failure
	} else {
		end(err)
	}
	return err
}

func (s *Store) exec(ctx context.Context, q queryer, query string, args ...any) (sql.Result, error) {
	ctx, end := s.observe(ctx, query, args)
	res, err := q.ExecContext(ctx, query, args...)
	err = mapError(err)
	end(err)
	return res, err
}

// mapError turns driver errors into the domain vocabulary; anything it does
// not recognise is passed on and reported as an internal error at the edge.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &hin.Error{Code: hin.ENOTFOUND, Message: "not found"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", &hin.Error{Code: hin.ETIMEOUT, Message: "the request took too long and was cancelled"}, err)
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505":
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.ECONFLICT, Message: "a record with the same unique value already exists"}, err)
		case "23503":
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EINVALID, Message: "a referenced record does not exist"}, err)
		case "23514", "22P02", "22007", "22008", "22003":
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EINVALID, Message: "a value is out of range or malformed"}, err)
		case "22021", "22P05":
			// a NUL or bytes not UTF-8 in a text parameter that no edge
			// checked (a query-string filter): the caller's input, not ours
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EINVALID, Message: "text must not contain NUL characters or bytes that are not UTF-8"}, err)
		case "22001":
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EINVALID, Message: "a text value is longer than its column allows"}, err)
		case "57014":
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.ETIMEOUT, Message: "the request took too long and was cancelled"}, err)
		case "57P01", "57P02", "57P03", "53300":
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EUNAVAILABLE, Message: "the database is unavailable; retry shortly"}, err)
		case "40001", "40P01":
			// serialization failure, deadlock: PostgreSQL rolled the transaction back; a retry succeeds
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EUNAVAILABLE, Message: "the request collided with a concurrent change; retry it"}, err)
		case "HN001": // region_writer_guard (migration 00007)
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EREGIONELSEWHERE, Message: pqErr.Message, Details: map[string]any{"ownerNode": pqErr.Detail}}, err)
		case "HN002": // catalogue_guard
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.ECATALOGUEREADONLY, Message: pqErr.Message, Details: map[string]any{"ownerNode": pqErr.Detail}}, err)
		case "HN003": // collection_guard (migration 00010): a submitted or approved figure
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EFROZEN, Message: pqErr.Message}, err)
		case "HN004": // collection_guard: a collected figure published other than by approval
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.ECONTROLLED, Message: pqErr.Message}, err)
		}
		if strings.HasPrefix(string(pqErr.Code), "08") {
			return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EUNAVAILABLE, Message: "the database is unavailable; retry shortly"}, err)
		}
	}
	if isConnectionError(err) {
		return fmt.Errorf("%w: %w", &hin.Error{Code: hin.EUNAVAILABLE, Message: "the database is unavailable; retry shortly"}, err)
	}
	return err
}

// isConnectionError reports a database that cannot be reached or a
// connection that broke: PostgreSQL is down, restarting or shutting down.
// These rarely arrive as a *pq.Error: lib/pq turns FATAL server errors
// (57P01 on shutdown) into driver.ErrBadConn and returns socket errors
// as they are; database/sql retries a bad pooled connection by itself only
// before a statement runs, never inside a transaction; and a refused dial
// is a *net.OpError. A retry succeeds once the database is back, and
// writes carry idempotency keys, so a retry after a commit whose answer
// was lost is safe.
func isConnectionError(err error) bool {
	var opErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &opErr)
}

// inTx runs f in a transaction that commits only if f succeeds.
func (s *Store) inTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := f(tx); err != nil {
		return err
	}
	return mapError(tx.Commit())
}
