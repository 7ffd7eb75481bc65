package postgres

import (
	"context"
	"errors"
	"fmt"

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
	ctx, cancel := s.call(ctx)
	defer cancel()
	var o org.Organization
	err := s.pool.QueryRow(ctx,
		`SELECT id, name, slug, created_at FROM organizations WHERE slug = $1 AND deleted_at IS NULL`,
		slug).Scan(&o.ID, &o.Name, &o.Slug, &o.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return org.Organization{}, fmt.Errorf("%w: %s", org.ErrNotFound, slug)
	}
	if err != nil {
		return org.Organization{}, fail("organization by slug", err)
	}
	return o, nil
}

// Orgs lists the live organizations, oldest first.
func (s *Store) Orgs(ctx context.Context) ([]org.Organization, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, name, slug, created_at FROM organizations
		WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, fail("list organizations", err)
	}
	orgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (org.Organization, error) {
		var o org.Organization
		err := r.Scan(&o.ID, &o.Name, &o.Slug, &o.CreatedAt)
		return o, err
	})
	if err != nil {
		return nil, fail("list organizations", err)
	}
	return orgs, nil
}
