package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sesameid/sesame/internal/grant"
)

// CreateRefreshToken inserts the first token of a new family.
func (s *Store) CreateRefreshToken(ctx context.Context, t grant.RefreshToken) error {
	_, err := s.pool.Exec(ctx, insertRefresh, refreshArgs(t)...)
	if err != nil {
		return fmt.Errorf("create refresh token: %w", err)
	}
	return nil
}

const insertRefresh = `
	INSERT INTO refresh_tokens (id, token_hash, family_id, grant_id, client_id, user_id, scopes,
		auth_time, amr, expires_at, family_expires_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

func refreshArgs(t grant.RefreshToken) []any {
	return []any{t.ID, t.Hash, t.FamilyID, t.GrantID, t.ClientID, t.UserID, t.Scopes,
		t.AuthTime, t.AMR, t.ExpiresAt, t.FamilyExpiresAt}
}

const refreshColumns = `r.id, r.token_hash, r.family_id, r.grant_id, r.client_id, c.client_id, r.user_id,
	r.scopes, r.auth_time, r.amr, r.expires_at, r.family_expires_at`

func scanRefresh(row pgx.Row) (grant.RefreshToken, error) {
	var t grant.RefreshToken
	err := row.Scan(&t.ID, &t.Hash, &t.FamilyID, &t.GrantID, &t.ClientID, &t.ClientPublicID, &t.UserID,
		&t.Scopes, &t.AuthTime, &t.AMR, &t.ExpiresAt, &t.FamilyExpiresAt)
	return t, err
}

// live is the condition for a usable refresh token row r.
const live = `r.rotated_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > now() AND r.family_expires_at > now()`

// RefreshToken returns the live token with hash. A token that exists but was rotated or
// revoked is a replay: its whole family is revoked and grant.ErrReused returned.
func (s *Store) RefreshToken(ctx context.Context, hash []byte) (grant.RefreshToken, error) {
	t, err := scanRefresh(s.pool.QueryRow(ctx, `SELECT `+refreshColumns+`
		FROM refresh_tokens r JOIN clients c ON c.id = r.client_id
		WHERE r.token_hash = $1 AND `+live, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return grant.RefreshToken{}, s.refreshMiss(ctx, s.pool, hash)
	}
	if err != nil {
		return grant.RefreshToken{}, fmt.Errorf("refresh token: %w", err)
	}
	return t, nil
}

// refreshMiss decides why hash matched no live token: a rotated or revoked token revokes
// its family (RFC 9700 §4.14.2: reuse of a rotated token signals theft).
func (s *Store) refreshMiss(ctx context.Context, q querier, hash []byte) error {
	tag, err := q.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now(), updated_at = now()
		WHERE revoked_at IS NULL AND family_id = (
			SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND (rotated_at IS NOT NULL OR revoked_at IS NOT NULL))`, hash)
	if err != nil {
		return fmt.Errorf("revoke refresh family: %w", err)
	}
	var reused bool
	if tag.RowsAffected() == 0 {
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM refresh_tokens
			WHERE token_hash = $1 AND (rotated_at IS NOT NULL OR revoked_at IS NOT NULL))`, hash).Scan(&reused); err != nil {
			return fmt.Errorf("refresh token: %w", err)
		}
	}
	if tag.RowsAffected() > 0 || reused {
		return grant.ErrReused
	}
	return grant.ErrNotFound
}

type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RotateRefreshToken retires the live token with oldHash and inserts its successor (hash
// newHash, idle lifetime idle, never past the family's absolute expiry) in one transaction
// on one connection: the conditional UPDATE is the lock, so of two concurrent rotations one
// wins and the other finds no live row, is treated as a replay, and revokes the family.
// Nothing here waits for a second connection or retries on serialization failures.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash, newHash []byte, newID uuid.UUID, idle time.Duration) (grant.RefreshToken, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return grant.RefreshToken{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op

	old, err := scanRefresh(tx.QueryRow(ctx, `UPDATE refresh_tokens r SET rotated_at = now(), updated_at = now()
		FROM clients c WHERE c.id = r.client_id AND r.token_hash = $1 AND `+live+`
		RETURNING `+refreshColumns, oldHash))
	if errors.Is(err, pgx.ErrNoRows) {
		miss := s.refreshMiss(ctx, tx, oldHash)
		if err := tx.Commit(ctx); err != nil {
			return grant.RefreshToken{}, fmt.Errorf("rotate refresh token: %w", err)
		}
		return grant.RefreshToken{}, miss
	}
	if err != nil {
		return grant.RefreshToken{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	next := old
	next.ID, next.Hash = newID, newHash
	next.ExpiresAt = time.Now().Add(idle)
	if next.ExpiresAt.After(old.FamilyExpiresAt) {
		next.ExpiresAt = old.FamilyExpiresAt
	}
	if _, err := tx.Exec(ctx, insertRefresh, refreshArgs(next)...); err != nil {
		return grant.RefreshToken{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return grant.RefreshToken{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	return next, nil
}

// RevokeRefreshFamily revokes the family of the token with hash (RFC 7009: revoking a
// refresh token revokes its grant). It reports whether hash named a token.
func (s *Store) RevokeRefreshFamily(ctx context.Context, hash []byte) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `WITH f AS (SELECT family_id FROM refresh_tokens WHERE token_hash = $1),
		u AS (UPDATE refresh_tokens SET revoked_at = now(), updated_at = now()
			WHERE family_id IN (SELECT family_id FROM f) AND revoked_at IS NULL)
		SELECT EXISTS (SELECT 1 FROM f)`, hash).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("revoke refresh family: %w", err)
	}
	return found, nil
}

// RevokeGrantRefreshTokens revokes every refresh token issued from an authorization
// request (a replayed code, RFC 6749 §4.1.2).
func (s *Store) RevokeGrantRefreshTokens(ctx context.Context, grantID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now(), updated_at = now()
		WHERE grant_id = $1 AND revoked_at IS NULL`, grantID)
	if err != nil {
		return fmt.Errorf("revoke grant refresh tokens: %w", err)
	}
	return nil
}
