package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/org"
)

var _ client.Store = (*Store)(nil)

// CreateClient inserts c.
func (s *Store) CreateClient(ctx context.Context, c client.Client) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `
		INSERT INTO clients (id, org_id, client_id, name, type, secret_hash, redirect_uris,
			post_logout_redirect_uris, grant_types, access_token_format, access_token_ttl, id_token_ttl,
			refresh_token_idle_ttl, refresh_token_absolute_ttl, allowed_org_ids, any_org, scopes, introspect,
			created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)`,
		c.ID, c.OrgID, c.ClientID, c.Name, string(c.Type), c.SecretHash, c.RedirectURIs,
		c.PostLogoutRedirectURIs, c.GrantTypes, c.AccessTokenFormat, c.AccessTokenTTL, c.IDTokenTTL,
		c.RefreshIdleTTL, c.RefreshAbsoluteTTL, nonNil(c.AllowedOrgs), c.AnyOrg, nonNil(c.Scopes), c.Introspect,
		c.CreatedAt)
	if code, _ := constraint(err); code == foreignKeyViolation {
		return org.ErrNotFound
	}
	if err != nil {
		return fail("create client", err)
	}
	return nil
}

const clientColumns = `id, org_id, client_id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris,
	grant_types, access_token_format, access_token_ttl, id_token_ttl, refresh_token_idle_ttl,
	refresh_token_absolute_ttl, allowed_org_ids, any_org, scopes, introspect, created_at`

func scanClient(r pgx.Row) (client.Client, error) {
	var c client.Client
	err := r.Scan(&c.ID, &c.OrgID, &c.ClientID, &c.Name, &c.Type, &c.SecretHash, &c.RedirectURIs,
		&c.PostLogoutRedirectURIs, &c.GrantTypes, &c.AccessTokenFormat, &c.AccessTokenTTL, &c.IDTokenTTL,
		&c.RefreshIdleTTL, &c.RefreshAbsoluteTTL, &c.AllowedOrgs, &c.AnyOrg, &c.Scopes, &c.Introspect, &c.CreatedAt)
	return c, err
}

// nonNil makes a nil slice an empty array: the columns are NOT NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ClientByClientID returns the live client with the public identifier clientID.
func (s *Store) ClientByClientID(ctx context.Context, clientID string) (client.Client, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := scanClient(s.pool.QueryRow(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE client_id = $1 AND deleted_at IS NULL`, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return client.Client{}, client.ErrNotFound
	}
	if err != nil {
		return client.Client{}, fail("client by client_id", err)
	}
	return c, nil
}

// ClientsByOrg lists the organization's clients that are not deleted, oldest first.
func (s *Store) ClientsByOrg(ctx context.Context, orgID uuid.UUID) ([]client.Client, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+clientColumns+`
		FROM clients WHERE org_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fail("list clients", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (client.Client, error) { return scanClient(r) })
	if err != nil {
		return nil, fail("list clients", err)
	}
	return cs, nil
}
