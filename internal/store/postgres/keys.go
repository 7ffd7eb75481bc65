package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/grant"
)

const keyColumns = `kid, alg, private_key_sealed, public_jwk, not_before, retired_at, created_at`

func scanKey(r pgx.CollectableRow) (grant.SigningKey, error) {
	var k grant.SigningKey
	err := r.Scan(&k.KID, &k.Alg, &k.Sealed, &k.PublicJWK, &k.NotBefore, &k.RetiredAt, &k.CreatedAt)
	return k, err
}

// SigningKeys returns the keys not retired before since, newest first.
func (s *Store) SigningKeys(ctx context.Context, since time.Time) ([]grant.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > $1 ORDER BY not_before DESC, created_at DESC`, since)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, scanKey)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return keys, nil
}

// AddSigningKey inserts k. With retireOthers, every other unretired key is retired as of
// k.NotBefore (it stays published until its tokens expire). With onlyIfNone, nothing is
// inserted when an unretired key exists. An advisory lock serializes concurrent callers
// (several processes starting at once generate one key, not one each).
func (s *Store) AddSigningKey(ctx context.Context, k grant.SigningKey, retireOthers, onlyIfNone bool) (added bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('sesame.signing_keys'))`); err != nil {
			return err
		}
		if onlyIfNone {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM signing_keys WHERE retired_at IS NULL`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
		}
		if retireOthers {
			if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1, updated_at = now() WHERE retired_at IS NULL`, k.NotBefore); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO signing_keys (kid, alg, private_key_sealed, public_jwk, not_before)
			VALUES ($1, $2, $3, $4, $5)`, k.KID, k.Alg, k.Sealed, k.PublicJWK, k.NotBefore)
		added = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("add signing key: %w", err)
	}
	return added, nil
}
