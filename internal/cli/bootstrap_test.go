package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// run is one in-process sesame invocation.
type run struct {
	code           int
	stdout, stderr string
}

func sesame(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, func(k string) string { return env[k] },
		strings.NewReader(stdin), &out, &errb)
	return run{code, out.String(), errb.String()}
}

// dbEnv returns an environment pointing at a fresh migrated database.
func dbEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{"SESAME_DATABASE_URL": testenv.PostgresURL(t)}
}

func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	r := sesame(t, env, stdin, args...)
	if r.code != cli.ExitOK {
		t.Fatalf("sesame %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

func TestBootstrapCommands(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	pool := testenv.PoolOn(t, env["SESAME_DATABASE_URL"], 2)
	ctx := context.Background()

	var o struct{ ID, Slug, Name string }
	if err := json.Unmarshal([]byte(mustRun(t, env, "", "org", "create", "--name", "Acme Inc", "--slug", "acme", "--json").stdout), &o); err != nil {
		t.Fatal(err)
	}
	if o.Slug != "acme" || o.Name != "Acme Inc" || o.ID == "" {
		t.Errorf("org create --json = %+v", o)
	}

	r := mustRun(t, env, "Correct horse battery 7\n", "user", "create", "--org", "acme", "--email", "Ada@Example.com", "--name", "Ada", "--password-stdin", "--json")
	var u struct{ ID, Email, Status string }
	if err := json.Unmarshal([]byte(r.stdout), &u); err != nil {
		t.Fatal(err)
	}
	if u.Email != "Ada@Example.com" || u.Status != "active" {
		t.Errorf("user create --json = %+v", u)
	}
	var phc string
	if err := pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&phc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("stored hash %q is not argon2id PHC with the default parameters", phc)
	}
	if ok, _, err := account.NewHasher(account.DefaultParams, 1, time.Minute).Verify(ctx, "Correct horse battery 7", phc); !ok || err != nil {
		t.Errorf("stored hash does not verify the password read from stdin: %v", err)
	}
	mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "bob@example.com")

	r = mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "Web",
		"--redirect-uri", "https://rp.example/cb", "--redirect-uri", "https://rp.example/cb2",
		"--post-logout-redirect-uri", "https://rp.example/", "--grant-type", "authorization_code",
		"--grant-type", "refresh_token", "--grant-type", "client_credentials", "--json")
	var c map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatal(err)
	}
	if len(c) != 2 || c["client_id"] == "" || len(c["client_secret"]) != 43 {
		t.Fatalf("client create --json = %v, want exactly client_id and a 256-bit client_secret", c)
	}
	var hash []byte
	if err := pool.QueryRow(ctx, `SELECT secret_hash FROM clients WHERE client_id = $1`, c["client_id"]).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(c["client_secret"])); string(hash) != string(sum[:]) {
		t.Error("stored secret_hash is not SHA-256 of the printed secret")
	}
	var stored int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM clients WHERE secret_hash = $1`, []byte(c["client_secret"])).Scan(&stored)
	if stored != 0 {
		t.Error("client secret stored in clear")
	}

	r = mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "CLI", "--public", "--redirect-uri", "http://127.0.0.1:7777/cb")
	if !strings.Contains(r.stdout, "client_id:") || strings.Contains(r.stdout, "client_secret") {
		t.Errorf("public client create printed:\n%s", r.stdout)
	}

	var users []struct{ Email string }
	if err := json.Unmarshal([]byte(mustRun(t, env, "", "user", "list", "--org", "acme", "--json").stdout), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Email != "Ada@Example.com" || users[1].Email != "bob@example.com" {
		t.Errorf("user list --json = %+v", users)
	}
	if out := mustRun(t, env, "", "user", "list", "--org", "acme").stdout; !strings.Contains(out, "bob@example.com") || !strings.Contains(out, "pending") {
		t.Errorf("user list:\n%s", out)
	}
	var clients []struct {
		ClientID   string   `json:"client_id"`
		GrantTypes []string `json:"grant_types"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "", "client", "list", "--org", "acme", "--json").stdout), &clients); err != nil {
		t.Fatal(err)
	}
	if len(clients) != 2 || clients[0].ClientID != c["client_id"] || len(clients[0].GrantTypes) != 3 {
		t.Errorf("client list --json = %+v", clients)
	}
	if out := mustRun(t, env, "", "client", "list", "--org", "acme").stdout; strings.Contains(out, c["client_secret"]) {
		t.Error("client list shows the secret")
	}
	mustRun(t, env, "", "org", "create", "--name", "Empty", "--slug", "empty")
	if out := mustRun(t, env, "", "client", "list", "--org", "empty", "--json").stdout; strings.TrimSpace(out) != "[]" {
		t.Errorf("client list of an empty org = %q, want []", out)
	}
}

func counts(t *testing.T, pool *pgxpool.Pool) [3]int {
	t.Helper()
	var n [3]int
	for i, table := range []string{"organizations", "users", "clients"} {
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	pool := testenv.PoolOn(t, env["SESAME_DATABASE_URL"], 2)
	mustRun(t, env, "", "org", "create", "--name", "Acme", "--slug", "acme")
	mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "ada@example.com")
	before := counts(t, pool)

	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"org empty name", "", []string{"org", "create", "--name", " ", "--slug", "x"}, "name must not be empty"},
		{"org bad slug", "", []string{"org", "create", "--name", "X", "--slug", "Not A Slug"}, "slug must be"},
		{"org duplicate slug", "", []string{"org", "create", "--name", "Other", "--slug", "acme"}, "organization slug already taken"},
		{"org no subcommand", "", []string{"org"}, "needs a subcommand"},
		{"org unknown flag", "", []string{"org", "create", "--nam", "X"}, "flag provided but not defined"},
		{"org positional", "", []string{"org", "create", "--name", "X", "--slug", "x", "extra"}, `unexpected argument "extra"`},
		{"org name with a control character", "", []string{"org", "create", "--name", "Acme\x1b[2J", "--slug", "x"}, "name must be text without control characters"},
		{"org name with NUL", "", []string{"org", "create", "--name", "Ac\x00me", "--slug", "x"}, "name must be text without control characters"},
		{"user name with a newline", "", []string{"user", "create", "--org", "acme", "--email", "c@example.com", "--name", "Ada\nroot"}, "name must be text without control characters"},
		{"user name invalid UTF-8", "", []string{"user", "create", "--org", "acme", "--email", "c@example.com", "--name", "Ada\xff"}, "name must be text without control characters"},
		{"user email with a tab", "", []string{"user", "create", "--org", "acme", "--email", "\"c\tx\"@example.com"}, "email must be a plain address"},
		{"user password with a control character", "correct\x7fhorse battery\n", []string{"user", "create", "--org", "acme", "--email", "c@example.com", "--password-stdin"}, "password must not contain control characters"},
		{"user unknown org", "", []string{"user", "create", "--org", "nope", "--email", "x@example.com"}, "organization not found"},
		{"user missing org", "", []string{"user", "create", "--email", "x@example.com"}, "--org is required"},
		{"user duplicate email", "", []string{"user", "create", "--org", "acme", "--email", "ada@example.com"}, "email already registered"},
		{"user duplicate email other case", "", []string{"user", "create", "--org", "acme", "--email", "ADA@example.COM"}, "email already registered"},
		{"user invalid email", "", []string{"user", "create", "--org", "acme", "--email", "Ada <ada2@example.com>"}, "email must be a plain address"},
		{"user short password", "short-pw1\n", []string{"user", "create", "--org", "acme", "--email", "c@example.com", "--password-stdin"}, "password must be at least 10 characters"},
		{"user long password", strings.Repeat("p", 129) + "\n", []string{"user", "create", "--org", "acme", "--email", "c@example.com", "--password-stdin"}, "password must be at most 128 characters"},
		{"user no password on stdin", "", []string{"user", "create", "--org", "acme", "--email", "c@example.com", "--password-stdin"}, "no password on standard input"},
		{"user list unknown org", "", []string{"user", "list", "--org", "nope"}, "organization not found"},
		{"client unknown org", "", []string{"client", "create", "--org", "nope", "--name", "W", "--redirect-uri", "https://rp.example/cb"}, "organization not found"},
		{"client empty name", "", []string{"client", "create", "--org", "acme", "--name", "", "--redirect-uri", "https://rp.example/cb"}, "name must not be empty"},
		{"client name with a control character", "", []string{"client", "create", "--org", "acme", "--name", "W\u0085x", "--redirect-uri", "https://rp.example/cb"}, "name must be text without control characters"},
		{"client invalid URI", "", []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "not a uri"}, "redirect URI"},
		{"client javascript URI", "", []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "javascript:alert(1)"}, "must use https"},
		{"client http confidential", "", []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "http://127.0.0.1:9/cb"}, "only a public (native) client may use http"},
		{"client second URI invalid", "", []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "https://rp.example/cb", "--redirect-uri", "https://rp.example/cb#x"}, "has a fragment"},
		{"client bad post-logout URI", "", []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "https://rp.example/cb", "--post-logout-redirect-uri", "ftp://x"}, "post-logout"},
		{"client no redirect", "", []string{"client", "create", "--org", "acme", "--name", "W"}, "needs at least one redirect URI"},
		{"client unknown grant", "", []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "https://rp.example/cb", "--grant-type", "password"}, `unsupported grant type "password"`},
		{"client public credentials", "", []string{"client", "create", "--org", "acme", "--name", "W", "--public", "--redirect-uri", "https://rp.example/cb", "--grant-type", "client_credentials"}, "public client cannot use client_credentials"},
		{"client list unknown org", "", []string{"client", "list", "--org", "nope"}, "organization not found"},
		{"no database configured", "", []string{"org", "create", "--name", "X", "--slug", "x", "--database-url", ""}, "SESAME_DATABASE_URL (--database-url): required"},
		{"unknown command", "", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"migrate unknown subcommand", "", []string{"migrate", "sideways"}, `unknown subcommand "sideways"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env
			if tt.name == "no database configured" {
				e = map[string]string{}
			}
			r := sesame(t, e, tt.stdin, tt.args...)
			if r.code != cli.ExitBadInput {
				t.Errorf("exit = %d, want %d; stderr:\n%s", r.code, cli.ExitBadInput, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr = %q, want one line containing %q", r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if after := counts(t, pool); after != before {
				t.Errorf("rows (orgs, users, clients) = %v, want unchanged %v", after, before)
			}
		})
	}
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SESAME_DATABASE_URL": testenv.EmptyPostgresURL(t)}
	if out := mustRun(t, env, "", "migrate", "status").stdout; !strings.Contains(out, "00001_init.sql") || !strings.Contains(out, "pending") {
		t.Errorf("status before up:\n%s", out)
	}
	if out := mustRun(t, env, "", "migrate", "up").stdout; !strings.Contains(out, "up   00001_init.sql") {
		t.Errorf("up:\n%s", out)
	}
	if out := mustRun(t, env, "", "migrate", "status").stdout; strings.Contains(out, "pending") {
		t.Errorf("status after up:\n%s", out)
	}
	mustRun(t, env, "", "org", "create", "--name", "A", "--slug", "a")
	if out := mustRun(t, env, "", "migrate", "down").stdout; !strings.Contains(out, "down 00004_user_factors.sql") {
		t.Errorf("down:\n%s", out)
	}
	mustRun(t, env, "", "org", "create", "--name", "B", "--slug", "b")
	// down rolls back later migrations one at a time, then refuses the initial schema.
	r := sesame(t, env, "", "migrate", "down")
	for i := 0; r.code == cli.ExitOK && i < 100; i++ {
		r = sesame(t, env, "", "migrate", "down")
	}
	if r.code != cli.ExitBadInput || !strings.Contains(r.stderr, "00001_init.sql") || !strings.Contains(r.stderr, "organizations: 2") ||
		!strings.Contains(r.stderr, "--force") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("down of the initial schema: exit %d, stderr %q; want 2 and one line naming what it would delete and --force", r.code, r.stderr)
	}
	if out := mustRun(t, env, "", "org", "list", "--json").stdout; !strings.Contains(out, `"slug": "a"`) || !strings.Contains(out, `"slug": "b"`) {
		t.Errorf("org list after the refused down:\n%s", out) // the data is still there
	}
	if out := mustRun(t, env, "", "migrate", "down", "--force").stdout; !strings.Contains(out, "down 00001_init.sql") {
		t.Errorf("down --force:\n%s", out)
	}
	if r := sesame(t, env, "", "org", "create", "--name", "A", "--slug", "a"); r.code != cli.ExitFailure {
		t.Errorf("org create without schema: exit %d, want %d", r.code, cli.ExitFailure)
	}
}
