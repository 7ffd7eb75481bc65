-- +goose Up
-- The organization rule of a client (client.Audience), the scopes it may receive beyond the
-- OpenID ones, and whether it is a resource server allowed to introspect its organization's
-- tokens.
ALTER TABLE clients
    ADD COLUMN allowed_org_ids uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN any_org         boolean NOT NULL DEFAULT false,
    ADD COLUMN scopes          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN introspect      boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT clients_any_org_alone CHECK (NOT any_org OR cardinality(allowed_org_ids) = 0);

-- +goose Down
ALTER TABLE clients
    DROP CONSTRAINT clients_any_org_alone,
    DROP COLUMN introspect,
    DROP COLUMN scopes,
    DROP COLUMN any_org,
    DROP COLUMN allowed_org_ids;
