package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/mfa"
)

var _ mfa.Store = (*Store)(nil)

const factorColumns = `id, user_id, kind, secret_sealed, confirmed_at, last_step, created_at`

func scanFactor(r pgx.CollectableRow) (mfa.Factor, error) {
	var f mfa.Factor
	err := r.Scan(&f.ID, &f.UserID, &f.Kind, &f.Sealed, &f.ConfirmedAt, &f.LastStep, &f.CreatedAt)
	return f, err
}

// CreateFactor inserts f; mfa.ErrExists if the user has a factor of its kind.
func (s *Store) CreateFactor(ctx context.Context, f mfa.Factor) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO user_factors (id, user_id, kind, secret_sealed, confirmed_at, last_step, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.ID, f.UserID, f.Kind, f.Sealed, f.ConfirmedAt, f.LastStep, f.CreatedAt)
	if code, name := constraint(err); code == uniqueViolation && name == "user_factors_user_id_kind_key" {
		return mfa.ErrExists
	}
	return fail("create factor", err)
}

// Factor returns the user's factor of kind k, or mfa.ErrNotFound.
func (s *Store) Factor(ctx context.Context, userID uuid.UUID, k string) (mfa.Factor, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `SELECT `+factorColumns+` FROM user_factors WHERE user_id = $1 AND kind = $2`, userID, k)
	f, err := pgx.CollectExactlyOneRow(rows, scanFactor)
	if errors.Is(err, pgx.ErrNoRows) {
		return mfa.Factor{}, mfa.ErrNotFound
	}
	return f, fail("factor", err)
}

// Factors returns the user's factors, oldest first.
func (s *Store) Factors(ctx context.Context, userID uuid.UUID) ([]mfa.Factor, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+factorColumns+` FROM user_factors WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fail("factors", err)
	}
	fs, err := pgx.CollectRows(rows, scanFactor)
	return fs, fail("factors", err)
}

// UseFactorStep advances factor id's last used step to step in one conditional UPDATE: of
// concurrent callers with the same step, one wins. confirmed false confirms a pending factor
// at now; true requires a confirmed one.
func (s *Store) UseFactorStep(ctx context.Context, id uuid.UUID, step int64, confirmed bool, now time.Time) (bool, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `UPDATE user_factors SET last_step = $2, confirmed_at = COALESCE(confirmed_at, $4)
		WHERE id = $1 AND last_step < $2 AND (confirmed_at IS NOT NULL) = $3 RETURNING id`, id, step, confirmed, now)
	_, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[uuid.UUID])
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fail("use factor step", err)
	}
	return true, nil
}

// DeleteFactor removes factor id; mfa.ErrNotFound if there is none.
func (s *Store) DeleteFactor(ctx context.Context, id uuid.UUID) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM user_factors WHERE id = $1`, id)
	if err != nil {
		return fail("delete factor", err)
	}
	if tag.RowsAffected() == 0 {
		return mfa.ErrNotFound
	}
	return nil
}
