-- +goose Up
-- A user's second factors (internal/mfa). One per kind per user; 'totp' only for now. The
-- secret is sealed with the master key (context "totp:<id>"); confirmed_at stays NULL until
-- the first valid code; last_step is the last TOTP time step used (a code of that step or an
-- earlier one is refused), advanced only by one conditional UPDATE.
CREATE TABLE user_factors (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('totp')),
    secret_sealed bytea NOT NULL,
    confirmed_at  timestamptz,
    last_step     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    UNIQUE (user_id, kind)
);

-- +goose Down
DROP TABLE user_factors;
