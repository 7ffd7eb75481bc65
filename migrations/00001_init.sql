-- +goose Up
CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    policy      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations (id),
    email               text NOT NULL CHECK (email <> ''),
    email_verified      boolean NOT NULL DEFAULT false,
    name                text NOT NULL DEFAULT '',
    password_hash       text,
    password_changed_at timestamptz,
    phone_sealed        bytea,
    status              text NOT NULL CHECK (status IN ('active', 'disabled', 'pending', 'deleted')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    purge_after         timestamptz
);
-- Email is unique across Sesame, case-insensitively: it is the login name.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_org_id_idx ON users (org_id);

CREATE TABLE clients (
    id                        uuid PRIMARY KEY,
    org_id                    uuid NOT NULL REFERENCES organizations (id),
    client_id                 text NOT NULL UNIQUE,
    name                      text NOT NULL CHECK (name <> ''),
    type                      text NOT NULL CHECK (type IN ('confidential', 'public')),
    secret_hash               bytea CHECK ((type = 'public') = (secret_hash IS NULL)),
    redirect_uris             text[] NOT NULL DEFAULT '{}',
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    grant_types               text[] NOT NULL,
    access_token_format       text NOT NULL DEFAULT 'jwt' CHECK (access_token_format IN ('jwt', 'opaque')),
    access_token_ttl          interval NOT NULL DEFAULT '5 minutes',
    id_token_ttl              interval NOT NULL DEFAULT '5 minutes',
    refresh_token_idle_ttl    interval NOT NULL DEFAULT '24 hours',
    refresh_token_absolute_ttl interval NOT NULL DEFAULT '30 days',
    consent_required          boolean NOT NULL DEFAULT false,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz
);
CREATE INDEX clients_org_id_idx ON clients (org_id);

CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    alg          text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    private_key_sealed bytea NOT NULL,
    public_jwk   jsonb NOT NULL,
    not_before   timestamptz NOT NULL,
    retired_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    family_id   uuid NOT NULL,
    grant_id    text NOT NULL,
    client_id   uuid NOT NULL REFERENCES clients (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    scopes      text[] NOT NULL,
    auth_time   timestamptz NOT NULL,
    amr         text[] NOT NULL DEFAULT '{}',
    expires_at  timestamptz NOT NULL,
    family_expires_at timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_grant_id_idx ON refresh_tokens (grant_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE signing_keys;
DROP TABLE clients;
DROP TABLE users;
DROP TABLE organizations;
