package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/signing"
)

var _ signing.Store = (*Store)(nil)

const keyColumns = `kid, alg, private_key_sealed, public_jwk, not_before, retired_at, created_at`

func scanKey(r pgx.CollectableRow) (signing.Key, error) {
	var k signing.Key
	err := r.Scan(&k.KID, &k.Alg, &k.Sealed, &k.PublicJWK, &k.NotBefore, &k.RetiredAt, &k.CreatedAt)
	return k, err
}

// SigningKeys returns the keys not retired before since, newest first.
func (s *Store) SigningKeys(ctx context.Context, since time.Time) ([]signing.Key, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > $1 ORDER BY not_before DESC, created_at DESC`, since)
	if err != nil {
		return nil, fail("signing keys", err)
	}
	keys, err := pgx.CollectRows(rows, scanKey)
	if err != nil {
		return nil, fail("signing keys", err)
	}
	return keys, nil
}

// AddFirstSigningKey inserts k unless an unretired key exists. An advisory lock serializes
// concurrent callers: several processes starting at once generate one key, not one each.
func (s *Store) AddFirstSigningKey(ctx context.Context, k signing.Key) (added bool, err error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	err = s.withKeyLock(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM signing_keys WHERE retired_at IS NULL`).Scan(&n); err != nil || n > 0 {
			return err
		}
		added = true
		return insertKey(ctx, tx, k)
	})
	return added, err
}

// RotateSigningKey inserts k and retires every other unretired key as of k.NotBefore (they
// stay published until their tokens expire).
func (s *Store) RotateSigningKey(ctx context.Context, k signing.Key) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return s.withKeyLock(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1, updated_at = $2 WHERE retired_at IS NULL`,
			k.NotBefore, k.CreatedAt); err != nil {
			return err
		}
		return insertKey(ctx, tx, k)
	})
}

func (s *Store) withKeyLock(ctx context.Context, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('sesame.signing_keys'))`); err != nil {
			return err
		}
		return fn(tx)
	})
	return fail("add signing key", err)
}

func insertKey(ctx context.Context, tx pgx.Tx, k signing.Key) error {
	_, err := tx.Exec(ctx, `INSERT INTO signing_keys (kid, alg, private_key_sealed, public_jwk, not_before, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, k.KID, k.Alg, k.Sealed, k.PublicJWK, k.NotBefore, k.CreatedAt)
	return err
}
