package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Every write runs in one transaction through a writer: it locks what it
// changes, checks the caller's rights against the locked row, checks the
// version, validates, writes, and records the change in the audit trail,
// so a mutation happens whole or not at all.

type writer struct {
	s   *Store
	tx  *sqlx.Tx
	ctx context.Context
	who hin.Principal
	// dbErr is the first failure of a lookup that reports an unknown
	// reference as a validation problem (regionID, exists). When the
	// database failed, the reference is not known to be missing: the write
	// fails with this error (UNAVAILABLE, retryable), not INVALID_ARGUMENT.
	dbErr error
}

func (s *Store) write(ctx context.Context, f func(w *writer) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		w := &writer{s: s, tx: tx, ctx: ctx, who: hin.PrincipalFrom(ctx)}
		err := f(w)
		if w.dbErr != nil {
			return w.dbErr
		}
		return err
	})
}

// lookupFailed keeps the first database error of a problem-reporting lookup.
func (w *writer) lookupFailed(err error) {
	if w.dbErr == nil {
		w.dbErr = err
	}
}

func (w *writer) get(dest any, q string, args ...any) error {
	return w.s.getOne(w.ctx, w.tx, dest, q, args...)
}

func (w *writer) all(dest any, q string, args ...any) error {
	return w.s.selectAll(w.ctx, w.tx, dest, q, args...)
}

func (w *writer) exec(q string, args ...any) error {
	_, err := w.s.exec(w.ctx, w.tx, q, args...)
	return err
}

// lock reads a record for update; a missing record is NOT_FOUND naming it.
func (w *writer) lock(dest any, q, kind, id string) error {
	err := w.get(dest, q, id)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return notFound(kind, id)
	}
	return err
}

// notFound is the answer for a record that does not exist, and for one the
// caller may not see.
func notFound(kind, id string) error {
	return hin.Errorf(hin.ENOTFOUND, "no %s has the ID %s", kind, hin.GlobalID(kind, id))
}

// uuidOf decodes a global ID argument of a kind.
func uuidOf(kind, field, id string) (string, error) { return hin.ParseIDOf(kind, field, id) }

// regionID resolves a region code, recording a problem when it is unknown.
func (w *writer) regionID(p *hin.Problems, field, code string) *string {
	var id string
	err := w.get(&id, `SELECT id FROM region WHERE code = $1`, code)
	if err != nil {
		if hin.ErrorCode(err) != hin.ENOTFOUND {
			w.lookupFailed(err)
		}
		p.Add(field, "no region has the code %q", code)
		return nil
	}
	return &id
}

// exists checks that a global ID names an existing record of a kind in
// table, recording a problem otherwise, and returns its UUID.
func (w *writer) exists(p *hin.Problems, kind, table, field string, id *string) *string {
	if id == nil {
		return nil
	}
	uuid, err := hin.ParseIDOf(kind, field, *id)
	if err != nil {
		p.Add(field, "%s", hin.ErrorMessage(err))
		return nil
	}
	var ok bool
	err = w.get(&ok, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, uuid)
	if err != nil {
		w.lookupFailed(err) // EXISTS always returns a row: this is the database failing
	}
	if err != nil || !ok {
		p.Add(field, "no %s has the ID %s", kind, *id)
		return nil
	}
	return &uuid
}

// checkVersion refuses a write based on a stale read.
func checkVersion(kind string, current, given int) error {
	if current != given {
		return hin.Conflict(kind, current)
	}
	return nil
}

// audit records a change in the same transaction as the change.
func (w *writer) audit(action, kind string, id *string, regionID *string, before, after any) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	const q = `INSERT INTO audit_event (id, actor, actor_role, action, entity_kind, entity_id, region_id, before, after, request_id)
		VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)`
	return w.exec(q, w.who.Subject, string(w.who.Role), action, kind, id, regionID, b, a, hin.RequestIDFrom(w.ctx))
}

// claimKey makes a create idempotent. With no key it does nothing. With a
// new key it records the request and returns "". With a key already used
// for the same request it returns the ID the first request created; used
// for a different request, it is a CONFLICT. A concurrent retry waits on
// the key's row until the first transaction ends.
func (w *writer) claimKey(key *string, op string, request any) (string, error) {
	if key == nil {
		return "", nil
	}
	if err := hin.CheckKey(*key); err != nil {
		return "", err
	}
	body, err := json.Marshal(request)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(op+"\x00"), body...))
	hash := hex.EncodeToString(sum[:])
	var claimed bool
	err = w.get(&claimed, `INSERT INTO idempotency_key (subject, key, operation, request_hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING RETURNING true`, w.who.Subject, *key, op, hash)
	if err == nil && claimed {
		return "", nil
	}
	if err != nil && hin.ErrorCode(err) != hin.ENOTFOUND {
		return "", err
	}
	var prior struct {
		Operation   string  `db:"operation"`
		RequestHash string  `db:"request_hash"`
		ResultID    *string `db:"result_id"`
	}
	if err := w.get(&prior, `SELECT operation, request_hash, result_id FROM idempotency_key WHERE subject = $1 AND key = $2`, w.who.Subject, *key); err != nil {
		return "", err
	}
	if prior.Operation != op || prior.RequestHash != hash || prior.ResultID == nil {
		return "", &hin.Error{Code: hin.ECONFLICT, Field: "idempotencyKey", Message: "this idempotency key was already used for a different request; use a new key for a new request"}
	}
	return *prior.ResultID, nil
}

// keyResult stores what a create made under its key.
func (w *writer) keyResult(key *string, id string) error {
	if key == nil {
		return nil
	}
	return w.exec(`UPDATE idempotency_key SET result_id = $3 WHERE subject = $1 AND key = $2`, w.who.Subject, *key, id)
}

func archivedError(kind string) error {
	return hin.Errorf(hin.ECONFLICT, "this %s is already archived", kind)
}

func sameID(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// today is the current date in UTC, the default date of a change.
func today() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with maps of plain values
	}
	return string(b)
}

// regional describes a record kind that belongs to a region, for the
// shared steps of changing one.
type regional[T any] struct {
	kind     string // node kind, e.g. hin.KindPilot
	noun     string // for messages, e.g. "pilot"
	lock     string // SELECT ... FOR UPDATE by id
	archive  string // UPDATE setting archived_at, RETURNING the columns
	region   func(T) *string
	version  func(T) int
	archived func(T) *time.Time
	// visible, when set, says whether the caller may see the record (a
	// draft outcome of another region is hidden from its editors).
	visible func(T, hin.DraftScope) bool
}

// lockToChange locks a record and checks, in this order, that the caller
// may write at all, that it exists, that the caller may change its region,
// and that the client read its current version.
func lockToChange[T any](w *writer, r regional[T], id string, version int, doing string) (string, T, error) {
	var before T
	if err := w.who.MayWrite(doing + " a " + r.noun); err != nil {
		return "", before, err
	}
	uuid, err := uuidOf(r.kind, "id", id)
	if err != nil {
		return "", before, err
	}
	if err := w.lock(&before, r.lock, r.kind, uuid); err != nil {
		return "", before, err
	}
	if r.visible != nil && !r.visible(before, w.who.DraftScope()) {
		// answered as if it did not exist: FORBIDDEN would reveal that it does
		var zero T
		return "", zero, notFound(r.kind, uuid)
	}
	if err := w.who.CanWriteRegion(r.region(before), doing+" this "+r.noun); err != nil {
		return "", before, err
	}
	return uuid, before, checkVersion(r.noun, r.version(before), version)
}

// archiveRecord hides a record from lists; it stays reachable by ID and
// its history is kept.
func archiveRecord[T any](s *Store, ctx context.Context, r regional[T], id string, version int) (T, error) {
	var out T
	err := s.write(ctx, func(w *writer) error {
		uuid, before, err := lockToChange(w, r, id, version, "archiving")
		if err != nil {
			return err
		}
		if r.archived(before) != nil {
			return archivedError(r.noun)
		}
		if err := w.get(&out, r.archive, uuid); err != nil {
			return err
		}
		return w.audit("ARCHIVE", r.kind, &uuid, r.region(before), before, out)
	})
	return out, err
}
