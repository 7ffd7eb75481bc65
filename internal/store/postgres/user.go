package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/org"
)

var _ account.Store = (*Store)(nil)

// CreateUser inserts u.
func (s *Store) CreateUser(ctx context.Context, u account.User) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	var hash *string
	if u.PasswordHash != "" {
		hash = &u.PasswordHash
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO users (id, org_id, email, email_verified, name, password_hash, password_changed_at, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE $7::timestamptz END, $8, $7, $7)`,
		u.ID, u.OrgID, u.Email, u.EmailVerified, u.Name, hash, u.CreatedAt, string(u.Status))
	switch code, name := constraint(err); {
	case code == uniqueViolation && name == "users_email_key":
		return account.ErrEmailTaken
	case code == foreignKeyViolation:
		return org.ErrNotFound
	case err != nil:
		return fail("create user", err)
	}
	return nil
}

// UsersByOrg lists the organization's users that are not deleted, oldest first.
func (s *Store) UsersByOrg(ctx context.Context, orgID uuid.UUID) ([]account.User, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT id, org_id, email, email_verified, name, status, created_at
		FROM users WHERE org_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fail("list users", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.User, error) {
		var u account.User
		err := r.Scan(&u.ID, &u.OrgID, &u.Email, &u.EmailVerified, &u.Name, &u.Status, &u.CreatedAt)
		return u, err
	})
	if err != nil {
		return nil, fail("list users", err)
	}
	return users, nil
}

const userColumns = `id, org_id, email, email_verified, name, coalesce(password_hash, ''), status, created_at`

func scanUser(r pgx.Row) (account.User, error) {
	var u account.User
	err := r.Scan(&u.ID, &u.OrgID, &u.Email, &u.EmailVerified, &u.Name, &u.PasswordHash, &u.Status, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.User{}, account.ErrNotFound
	}
	if err != nil {
		return account.User{}, fail("user", err)
	}
	return u, nil
}

// UserByEmail returns the user whose email matches, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (account.User, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE lower(email) = lower($1) AND deleted_at IS NULL`, email))
}

// UserByID returns the user with id.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (account.User, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE id = $1 AND deleted_at IS NULL`, id))
}

// UpgradePasswordHash replaces the hash of an unchanged password (a parameter upgrade), so
// password_changed_at stays.
func (s *Store) UpgradePasswordHash(ctx context.Context, id uuid.UUID, phc string, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = $3
		WHERE id = $1 AND deleted_at IS NULL`, id, phc, now)
	if err != nil {
		return fail("upgrade password hash", err)
	}
	if tag.RowsAffected() == 0 {
		return account.ErrNotFound
	}
	return nil
}

// SetUserStatus moves the user with email from status from (or already to) to status to.
func (s *Store) SetUserStatus(ctx context.Context, email string, from, to account.Status, now time.Time) (account.User, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return scanUser(s.pool.QueryRow(ctx, `UPDATE users SET status = $3, updated_at = $4
		WHERE lower(email) = lower($1) AND status IN ($2, $3) AND deleted_at IS NULL
		RETURNING `+userColumns, email, string(from), string(to), now))
}

// SetPasswordHash replaces the user's password hash and records when it changed; with keep
// above 0 the replaced hash joins the user's password history, which then keeps its keep
// latest. One transaction: the history never disagrees with the password.
func (s *Store) SetPasswordHash(ctx context.Context, id uuid.UUID, phc string, now time.Time, keep int) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if keep > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO password_history (user_id, password_hash, created_at)
				SELECT id, password_hash, $2 FROM users WHERE id = $1 AND password_hash IS NOT NULL`, id, now); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3
			WHERE id = $1 AND deleted_at IS NULL`, id, phc, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return account.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM password_history WHERE user_id = $1 AND id NOT IN
			(SELECT id FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2)`, id, keep)
		return err
	})
	if errors.Is(err, account.ErrNotFound) {
		return err
	}
	return fail("set password hash", err)
}

// PasswordHistory returns the user's n latest previous password hashes, newest first.
func (s *Store) PasswordHistory(ctx context.Context, id uuid.UUID, n int) ([]string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT password_hash FROM password_history
		WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, id, n)
	if err != nil {
		return nil, fail("password history", err)
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fail("password history", err)
	}
	return hashes, nil
}
