package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testenv"
)

// serve purges the refresh-token families that expired (past the longest access-token
// lifetime) as it starts, and keeps the others.
func TestServePurgesRefreshTokens(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	env := serveEnv(t, testenv.PostgresURL(t), rURL)
	pool := testenv.PoolOn(t, env["SESAME_DATABASE_URL"], 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mustRun(t, env, "", "org", "create", "--name", "Acme", "--slug", "acme")
	mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "ada@example.com")
	mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "Web", "--redirect-uri", "https://rp.example/cb")
	// Two families: one whose tokens expired two hours ago, one whose token expired a
	// minute ago (an access token issued with it may still live).
	if _, err := pool.Exec(ctx, `
		INSERT INTO refresh_tokens (id, token_hash, family_id, grant_id, client_id, user_id, scopes, auth_time, expires_at, family_expires_at)
		SELECT gen_random_uuid(), uuid_send(gen_random_uuid()), f.id, 'g', c.id, u.id, '{openid}', now(), now() - f.ago, now() + interval '1 day'
		FROM clients c, users u, (VALUES (gen_random_uuid(), interval '2 hours'), (gen_random_uuid(), interval '2 hours'),
			(gen_random_uuid(), interval '1 minute')) f(id, ago)`); err != nil {
		t.Fatal(err)
	}
	rows := func() (n int) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	startServer(t, env)
	deadline := time.Now().Add(30 * time.Second)
	for n := rows(); n != 1; n = rows() {
		if time.Now().After(deadline) {
			t.Fatalf("%d refresh tokens left 30 s after serve started, want 1 (the recently expired one)", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var ago time.Duration
	if err := pool.QueryRow(ctx, `SELECT extract(epoch FROM now() - expires_at)::bigint * 1000000000 FROM refresh_tokens`).Scan(&ago); err != nil {
		t.Fatal(err)
	}
	if ago > 10*time.Minute {
		t.Errorf("the token left expired %s ago, want the recently expired one", ago)
	}
}
