package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Sessions and sign-ins are keyed by the SHA-256 of the random value in the
// browser's cookie (idHash); the value itself is never stored.

// CreateSignIn records a sign-in under way, clearing long-expired ones.
func (s *Store) CreateSignIn(ctx context.Context, idHash []byte, in hin.SignIn) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const clear = `DELETE FROM web_sign_in WHERE expires_at < now() - interval '1 hour'`
		if _, err := s.exec(ctx, tx, clear); err != nil {
			return fmt.Errorf("clear sign-ins: %w", err)
		}
		const q = `INSERT INTO web_sign_in (id_hash, state, nonce, verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`
		if _, err := s.exec(ctx, tx, q, idHash, in.State, in.Nonce, in.Verifier, in.ReturnTo, in.Expires); err != nil {
			return fmt.Errorf("create sign-in: %w", err)
		}
		return nil
	})
}

// TakeSignIn returns a sign-in under way and deletes it, so that it is used
// once; an expired or unknown one is NOT_FOUND.
func (s *Store) TakeSignIn(ctx context.Context, idHash []byte) (hin.SignIn, error) {
	const q = `DELETE FROM web_sign_in WHERE id_hash = $1
		RETURNING state, nonce, verifier, return_to, expires_at, expires_at > now() AS live`
	var row struct {
		State    string    `db:"state"`
		Nonce    string    `db:"nonce"`
		Verifier string    `db:"verifier"`
		ReturnTo string    `db:"return_to"`
		Expires  time.Time `db:"expires_at"`
		Live     bool      `db:"live"`
	}
	if err := s.getOne(ctx, s.db, &row, q, idHash); err != nil {
		return hin.SignIn{}, err
	}
	if !row.Live {
		return hin.SignIn{}, hin.Errorf(hin.ENOTFOUND, "the sign-in has expired")
	}
	return hin.SignIn{State: row.State, Nonce: row.Nonce, Verifier: row.Verifier, ReturnTo: row.ReturnTo, Expires: row.Expires}, nil
}

// CreateSession starts a session for p until p.Expires, clearing expired ones.
func (s *Store) CreateSession(ctx context.Context, idHash []byte, p hin.Principal) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const clear = `DELETE FROM web_session WHERE expires_at < now()`
		if _, err := s.exec(ctx, tx, clear); err != nil {
			return fmt.Errorf("clear sessions: %w", err)
		}
		const q = `INSERT INTO web_session (id_hash, subject, name, role, region_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`
		region := sql.NullString{String: p.RegionID, Valid: p.RegionID != ""}
		if _, err := s.exec(ctx, tx, q, idHash, p.Subject, p.Name, string(p.Role), region, p.Expires); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
}

// Session returns a live session; an expired or unknown one is NOT_FOUND.
func (s *Store) Session(ctx context.Context, idHash []byte) (hin.Session, error) {
	const q = `SELECT ws.subject, ws.name, ws.role, coalesce(ws.region_id::text, '') AS region_id,
			coalesce(r.code, '') AS region_code, ws.expires_at
		FROM web_session ws LEFT JOIN region r ON r.id = ws.region_id
		WHERE ws.id_hash = $1 AND ws.expires_at > now()`
	var row struct {
		Subject    string    `db:"subject"`
		Name       string    `db:"name"`
		Role       string    `db:"role"`
		RegionID   string    `db:"region_id"`
		RegionCode string    `db:"region_code"`
		Expires    time.Time `db:"expires_at"`
	}
	if err := s.getOne(ctx, s.db, &row, q, idHash); err != nil {
		return hin.Session{}, err
	}
	return hin.Session{
		Principal:  hin.Principal{Subject: row.Subject, Name: row.Name, Role: hin.Role(row.Role), RegionID: row.RegionID, Expires: row.Expires},
		RegionCode: row.RegionCode,
	}, nil
}

// DeleteSession ends a session (signing out); an unknown one is no error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	const q = `DELETE FROM web_session WHERE id_hash = $1`
	if _, err := s.exec(ctx, s.db, q, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
