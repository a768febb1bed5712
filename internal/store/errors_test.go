package store_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// TestErrorMapping sends statements that fail in PostgreSQL for real and
// checks the code each failure maps to. The driver error stays in the chain
// for the logs.
func TestErrorMapping(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	ctx := context.Background()
	var region, metric string
	if err := db.QueryRow(`SELECT id FROM region ORDER BY code LIMIT 1`).Scan(&region); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT id FROM metric ORDER BY code LIMIT 1`).Scan(&metric); err != nil {
		t.Fatal(err)
	}
	raise := func(code string) string {
		return `DO $$ BEGIN RAISE EXCEPTION 'raised for a test' USING ERRCODE = '` + code + `'; END $$`
	}
	cases := []struct {
		name, sql string
		args      []any
		pgCode    string // "" when no *pq.Error is expected
		want      string
	}{
		{"unique violation", `INSERT INTO region (id, code, name) SELECT gen_random_uuid(), code, name || ' again' FROM region LIMIT 1`, nil, "23505", hin.ECONFLICT},
		{"foreign key violation", `INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status)
			VALUES (gen_random_uuid(), gen_random_uuid(), $1, '2024-01-01', '2024-01-31', 1, 'DRAFT')`, []any{region}, "23503", hin.EINVALID},
		{"check violation", `INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status)
			VALUES (gen_random_uuid(), $1, $2, '2024-02-01', '2024-01-01', 1, 'DRAFT')`, []any{metric, region}, "23514", hin.EINVALID},
		{"not a uuid", `SELECT id FROM region WHERE id = $1`, []any{"not-a-uuid"}, "22P02", hin.EINVALID},
		{"not a date", `SELECT $1::date`, []any{"2024-13-45"}, "22008", hin.EINVALID},
		{"bad datetime format", `SELECT to_date('x', 'YYYY-MM-DD')`, nil, "22007", hin.EINVALID},
		{"number out of range", `SELECT 32768::smallint`, nil, "22003", hin.EINVALID},
		{"NUL in a text parameter", `SELECT id FROM region WHERE code = $1`, []any{"HI\x00EM"}, "22021", hin.EINVALID},
		{"text too long for its column", `CREATE TEMP TABLE short_text (c varchar(2)); INSERT INTO short_text VALUES ('abc')`, nil, "22001", hin.EINVALID},
		{"statement timeout", `SET LOCAL statement_timeout = '20ms'; SELECT pg_sleep(1)`, nil, "57014", hin.ETIMEOUT},
		{"admin shutdown", raise("57P01"), nil, "57P01", hin.EUNAVAILABLE},
		{"cannot connect now", raise("57P03"), nil, "57P03", hin.EUNAVAILABLE},
		{"too many connections", raise("53300"), nil, "53300", hin.EUNAVAILABLE},
		{"serialization failure", raise("40001"), nil, "40001", hin.EUNAVAILABLE},
		{"deadlock", raise("40P01"), nil, "40P01", hin.EUNAVAILABLE},
		{"connection failure class", raise("08006"), nil, "08006", hin.EUNAVAILABLE},
		{"anything else is not dressed up", `SELECT * FROM no_such_table`, nil, "42P01", hin.EINTERNAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			_, err = tx.ExecContext(ctx, tc.sql, tc.args...)
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) || string(pqErr.Code) != tc.pgCode {
				t.Fatalf("PostgreSQL error = %v, want SQLSTATE %s", err, tc.pgCode)
			}
			mapped := store.MapError(err)
			if code := hin.ErrorCode(mapped); code != tc.want {
				t.Fatalf("mapped to %s (%v), want %s", code, mapped, tc.want)
			}
			if !errors.As(mapped, &pqErr) {
				t.Errorf("the driver error is no longer in the chain: %v", mapped)
			}
		})
	}

	others := []struct {
		name string
		err  error
		want string
	}{
		{"no rows", sql.ErrNoRows, hin.ENOTFOUND},
		{"wrapped no rows", errors.Join(errors.New("get"), sql.ErrNoRows), hin.ENOTFOUND},
		{"context deadline", context.DeadlineExceeded, hin.ETIMEOUT},
		{"connection done", sql.ErrConnDone, hin.EUNAVAILABLE},
		{"nil", nil, ""},
	}
	for _, tc := range others {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if code := hin.ErrorCode(store.MapError(tc.err)); code != tc.want {
				t.Fatalf("mapped to %q, want %q", code, tc.want)
			}
		})
	}
}

// TestErrorsThroughTheStore checks the mapping on the store's own methods.
func TestErrorsThroughTheStore(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	s := store.NewFromDB(db)
	ctx := context.Background()

	t.Run("no row is NOT_FOUND", func(t *testing.T) {
		_, err := s.RegionByCode(ctx, "HI-NOWHERE")
		if hin.ErrorCode(err) != hin.ENOTFOUND {
			t.Fatalf("error = %v, want NOT_FOUND", err)
		}
	})
	t.Run("a cancelled context is TIMEOUT", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
		defer cancel()
		<-ctx.Done()
		_, err := s.Regions(ctx, hin.RegionFilter{})
		if hin.ErrorCode(err) != hin.ETIMEOUT {
			t.Fatalf("error = %v, want TIMEOUT", err)
		}
	})
	t.Run("a killed connection is UNAVAILABLE", func(t *testing.T) {
		// One connection, killed from outside between two statements: the
		// store's next statement meets a dead socket.
		db := testdb.NewDB(t, testdb.Reference)
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		s := store.NewFromDB(db)
		var pid int
		if err := db.QueryRow(`SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		other := testdb.NewDB(t, testdb.Empty)
		if _, err := other.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			// database/sql may retry a bad idle connection by itself; what
			// must never come back is INTERNAL.
			_, err := s.Regions(ctx, hin.RegionFilter{})
			if err == nil {
				return
			}
			if code := hin.ErrorCode(err); code != hin.EUNAVAILABLE {
				t.Fatalf("error = %v (%s), want UNAVAILABLE", err, code)
			}
			if time.Now().After(deadline) {
				t.Fatal("the pool never recovered")
			}
		}
	})
	t.Run("a refused connection is UNAVAILABLE", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close() // nothing listens there now
		// A pool on a port where nothing listens: each statement fails to dial.
		dead, err := sql.Open("postgres", "postgres://nobody@"+addr+"/x?sslmode=disable&connect_timeout=2")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dead.Close() })
		_, err = store.NewFromDB(dead).RegionByCode(ctx, "HI-EM")
		if hin.ErrorCode(err) != hin.EUNAVAILABLE {
			t.Fatalf("a statement on a closed port: %v, want UNAVAILABLE", err)
		}
	})
}
