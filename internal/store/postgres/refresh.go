package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/token"
)

var _ token.RefreshStore = (*Store)(nil)

// CreateRefreshToken inserts the first token of a new family. The clients row is found by
// the OAuth client_id: its UUID never leaves this package.
func (s *Store) CreateRefreshToken(ctx context.Context, t token.RefreshToken, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO refresh_tokens (id, token_hash, family_id, grant_id, client_id, user_id, scopes,
			auth_time, amr, expires_at, family_expires_at, created_at, updated_at)
		SELECT $1, $2, $3, $4, c.id, $6, $7, $8, $9, $10, $11, $12, $12
		FROM clients c WHERE c.client_id = $5`,
		t.ID, t.Hash, t.FamilyID, t.GrantID, t.ClientID, t.UserID, t.Scopes, t.AuthTime, t.AMR,
		t.ExpiresAt, t.FamilyExpiresAt, now)
	if err != nil {
		return fail("create refresh token", err)
	}
	if tag.RowsAffected() == 0 {
		return errors.New("create refresh token: unknown client")
	}
	return nil
}

const refreshColumns = `r.id, r.token_hash, r.family_id, r.grant_id, c.client_id, r.user_id,
	r.scopes, r.auth_time, r.amr, r.expires_at, r.family_expires_at, r.rotated_at, r.revoked_at`

// RefreshToken returns the token with hash, whatever its state: the rules of which token is
// usable are token.RefreshToken.Check's. It writes nothing.
func (s *Store) RefreshToken(ctx context.Context, hash []byte) (token.RefreshToken, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	var t token.RefreshToken
	err := s.pool.QueryRow(ctx, `SELECT `+refreshColumns+`
		FROM refresh_tokens r JOIN clients c ON c.id = r.client_id WHERE r.token_hash = $1`, hash).
		Scan(&t.ID, &t.Hash, &t.FamilyID, &t.GrantID, &t.ClientID, &t.UserID, &t.Scopes, &t.AuthTime, &t.AMR,
			&t.ExpiresAt, &t.FamilyExpiresAt, &t.RotatedAt, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return token.RefreshToken{}, token.ErrNotFound
	}
	if err != nil {
		return token.RefreshToken{}, fail("refresh token", err)
	}
	return t, nil
}

// RotateRefreshToken retires the token with oldHash, if it is usable at now, and inserts
// next (same family, grant, client and user; next's scopes) in one statement: the conditional UPDATE
// is the lock, so of two concurrent rotations one inserts a successor and the other finds
// no usable row and gets token.ErrReused. One round trip, no transaction held open, no
// second connection, no serialization retries.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, next token.RefreshToken, now time.Time) (token.RefreshToken, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	err := s.pool.QueryRow(ctx, `
		WITH old AS (
			UPDATE refresh_tokens SET rotated_at = $3, updated_at = $3
			WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL
				AND expires_at > $3 AND family_expires_at > $3
			RETURNING family_id, grant_id, client_id, user_id, auth_time, amr, family_expires_at)
		INSERT INTO refresh_tokens (id, token_hash, family_id, grant_id, client_id, user_id, scopes,
			auth_time, amr, expires_at, family_expires_at, created_at, updated_at)
		SELECT $1, $4, family_id, grant_id, client_id, user_id, $6, auth_time, amr,
			least($5::timestamptz, family_expires_at), family_expires_at, $3, $3
		FROM old
		RETURNING expires_at`, next.ID, oldHash, now, next.Hash, next.ExpiresAt, next.Scopes).Scan(&next.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return token.RefreshToken{}, token.ErrReused
	}
	if err != nil {
		return token.RefreshToken{}, fail("rotate refresh token", err)
	}
	return next, nil
}

// RevokeRefreshFamily revokes every token of a family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID uuid.UUID, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2, updated_at = $2
		WHERE family_id = $1 AND revoked_at IS NULL`, familyID, now)
	return fail("revoke refresh family", err)
}

// RevokeGrantRefreshTokens revokes every refresh token issued from one authorization.
func (s *Store) RevokeGrantRefreshTokens(ctx context.Context, grantID string, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2, updated_at = $2
		WHERE grant_id = $1 AND revoked_at IS NULL`, grantID, now)
	return fail("revoke grant refresh tokens", err)
}

// RevokeUserRefreshTokens revokes every refresh token of a user.
func (s *Store) RevokeUserRefreshTokens(ctx context.Context, userID uuid.UUID, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2, updated_at = $2
		WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)
	return fail("revoke user refresh tokens", err)
}
