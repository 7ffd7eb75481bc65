package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/org"
)

var _ client.Store = (*Store)(nil)

// CreateClient inserts c.
func (s *Store) CreateClient(ctx context.Context, c client.Client) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO clients (id, org_id, client_id, name, type, secret_hash, redirect_uris,
			post_logout_redirect_uris, grant_types, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
		c.ID, c.OrgID, c.ClientID, c.Name, string(c.Type), c.SecretHash, c.RedirectURIs,
		c.PostLogoutRedirectURIs, c.GrantTypes, c.CreatedAt)
	if code, _ := constraint(err); code == foreignKeyViolation {
		return org.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	return nil
}

// ClientsByOrg lists the organization's clients that are not deleted, oldest first.
func (s *Store) ClientsByOrg(ctx context.Context, orgID uuid.UUID) ([]client.Client, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, org_id, client_id, name, type, redirect_uris, post_logout_redirect_uris, grant_types, created_at
		FROM clients WHERE org_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (client.Client, error) {
		var c client.Client
		err := r.Scan(&c.ID, &c.OrgID, &c.ClientID, &c.Name, &c.Type, &c.RedirectURIs,
			&c.PostLogoutRedirectURIs, &c.GrantTypes, &c.CreatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return cs, nil
}
