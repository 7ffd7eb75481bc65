-- +goose Up
-- Hashes of a user's previous passwords, for the policy's history rule (account.Policy.History):
-- at most that many minus one per user (the current password is the users row's).
CREATE TABLE password_history (
    id            bigserial PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX password_history_user_id_idx ON password_history (user_id, id DESC);

-- +goose Down
DROP TABLE password_history;
