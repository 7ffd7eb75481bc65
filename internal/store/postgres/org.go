package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/org"
)

var _ org.Store = (*Store)(nil)

// CreateOrg inserts o.
func (s *Store) CreateOrg(ctx context.Context, o org.Organization) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx,
		`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		o.ID, o.Name, o.Slug, o.CreatedAt)
	if code, name := constraint(err); code == uniqueViolation && name == "organizations_slug_key" {
		return fmt.Errorf("%w: %s", org.ErrSlugTaken, o.Slug)
	}
	if err != nil {
		return fail("create organization", err)
	}
	return nil
}

// OrgBySlug returns the live organization with slug.
func (s *Store) OrgBySlug(ctx context.Context, slug string) (org.Organization, error) {
	return s.orgWhere(ctx, "slug", slug)
}

// orgColumns are the columns orgRow.fields scans, in order: the password policy override
// is the "password" key of the policy column.
const orgColumns = `id, name, slug, created_at, policy->'password'`

type orgRow struct{ *org.Organization }

func (o *orgRow) fields() []any {
	return []any{&o.ID, &o.Name, &o.Slug, &o.CreatedAt, &o.PasswordPolicy}
}

// OrgByID returns the live organization with id.
func (s *Store) OrgByID(ctx context.Context, id uuid.UUID) (org.Organization, error) {
	return s.orgWhere(ctx, "id", id)
}

// orgWhere returns the live organization whose column (id or slug: a constant) is value.
func (s *Store) orgWhere(ctx context.Context, column string, value any) (org.Organization, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	var o org.Organization
	err := s.pool.QueryRow(ctx,
		`SELECT `+orgColumns+` FROM organizations WHERE `+column+` = $1 AND deleted_at IS NULL`,
		value).Scan((&orgRow{&o}).fields()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return org.Organization{}, fmt.Errorf("%w: %v", org.ErrNotFound, value)
	}
	if err != nil {
		return org.Organization{}, fail("organization by "+column, err)
	}
	return o, nil
}

// SetOrgPasswordPolicy stores override as the "password" key of the live organization's
// policy column, keeping its other keys.
func (s *Store) SetOrgPasswordPolicy(ctx context.Context, id uuid.UUID, override json.RawMessage, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE organizations SET policy = jsonb_set(policy, '{password}', $2::jsonb), updated_at = $3
		WHERE id = $1 AND deleted_at IS NULL`, id, string(override), now)
	if err != nil {
		return fail("set organization password policy", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", org.ErrNotFound, id)
	}
	return nil
}

// Orgs lists the live organizations, oldest first.
func (s *Store) Orgs(ctx context.Context) ([]org.Organization, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+orgColumns+` FROM organizations
		WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, fail("list organizations", err)
	}
	orgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (org.Organization, error) {
		var o org.Organization
		err := r.Scan((&orgRow{&o}).fields()...)
		return o, err
	})
	if err != nil {
		return nil, fail("list organizations", err)
	}
	return orgs, nil
}
