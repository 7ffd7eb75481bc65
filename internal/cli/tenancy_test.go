package cli_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/testenv"
)

// orgID creates an organization and returns its ID as org create --json prints it.
func orgID(t *testing.T, env map[string]string, name, slug string) string {
	t.Helper()
	var o struct{ ID string }
	if err := json.Unmarshal([]byte(mustRun(t, env, "", "org", "create", "--name", name, "--slug", slug, "--json").stdout), &o); err != nil || o.ID == "" {
		t.Fatalf("org create --json: %v %+v", err, o)
	}
	return o.ID
}

// wantBadInput checks a refused command: exit 2, one stderr line containing want, nothing
// on stdout.
func wantBadInput(t *testing.T, r run, want string) {
	t.Helper()
	if r.code != cli.ExitBadInput {
		t.Errorf("exit = %d, want %d; stderr:\n%s", r.code, cli.ExitBadInput, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("stderr = %q, want one line containing %q", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

// Client registration refuses what would make the organization rule, the registered scopes
// or the resource-server flag mean something else than the operator wrote: exit 2, a line
// saying why, and no client stored.
func TestClientCreateTenancyBadInput(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	pool := testenv.PoolOn(t, env["SESAME_DATABASE_URL"], 2)
	orgID(t, env, "Acme", "acme")
	orgID(t, env, "Globex", "globex")
	before := counts(t, pool)

	base := []string{"client", "create", "--org", "acme", "--name", "W", "--redirect-uri", "https://rp.example/cb"}
	tooMany := slices.Clone(base)
	for i := range 33 {
		tooMany = append(tooMany, "--scope", fmt.Sprintf("s%d", i))
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown allowed org", []string{"--allow-org", "nope"}, "--allow-org nope: organization not found"},
		{"unknown allowed org after a known one", []string{"--allow-org", "globex", "--allow-org", "nope"}, "--allow-org nope: organization not found"},
		{"any-org with allow-org", []string{"--any-org", "--allow-org", "globex"}, "--any-org and --allow-org exclude each other"},
		{"scope with a space", []string{"--scope", "read write"}, "only printable ASCII"},
		{"scope with a quote", []string{"--scope", `re"ad`}, "only printable ASCII"},
		{"scope with a backslash", []string{"--scope", `re\ad`}, "only printable ASCII"},
		{"scope with a control character", []string{"--scope", "re\tad"}, "only printable ASCII"},
		{"scope not ASCII", []string{"--scope", "lecture-é"}, "only printable ASCII"},
		{"scope of 65 characters", []string{"--scope", strings.Repeat("s", 65)}, "a scope must be 1-64 characters"},
		{"empty scope", []string{"--scope", ""}, "a scope must be 1-64 characters"},
		{"scope openid", []string{"--scope", "openid"}, `scope "openid" is granted by the flow, not registered`},
		{"scope offline_access", []string{"--scope", "offline_access"}, `scope "offline_access" is granted by the flow`},
		{"33 scopes", tooMany[len(base):], "at most 32 scopes"},
		{"public resource server", []string{"--public", "--introspect"}, "only a confidential client can introspect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantBadInput(t, sesame(t, env, "", append(slices.Clone(base), tt.args...)...), tt.want)
			if after := counts(t, pool); after != before {
				t.Errorf("rows (orgs, users, clients) = %v, want unchanged %v", after, before)
			}
		})
	}
}

// column returns the cell of the table row whose first cell is key, in the column named
// name (tabwriter aligns every cell of a column at its header's offset).
func column(t *testing.T, table, key, name string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	start := strings.Index(lines[0], name)
	if start < 0 {
		t.Fatalf("no column %s in:\n%s", name, table)
	}
	end := len(lines[0]) + 1<<16
	if rest := strings.TrimLeft(lines[0][start+len(name):], " "); rest != "" {
		end = strings.Index(lines[0], rest)
	}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && f[0] == key {
			return strings.TrimSpace(l[start:min(end, len(l))])
		}
	}
	t.Fatalf("no row %s in:\n%s", key, table)
	return ""
}

// client list shows whose users each client accepts (own, any, or own and the IDs of the
// allowed organizations), its registered scopes and whether it is a resource server, in
// the table and in --json.
func TestClientListTenancy(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	acme := orgID(t, env, "Acme", "acme")
	globex := orgID(t, env, "Globex", "globex")
	initech := orgID(t, env, "Initech", "initech")
	create := func(args ...string) string {
		t.Helper()
		var c struct {
			ClientID string `json:"client_id"`
		}
		out := mustRun(t, env, "", append([]string{"client", "create", "--org", "acme", "--json"}, args...)...).stdout
		if err := json.Unmarshal([]byte(out), &c); err != nil {
			t.Fatal(err)
		}
		return c.ClientID
	}
	scope64 := strings.Repeat("s", 64)
	own := create("--name", "Own", "--redirect-uri", "https://own.example/cb")
	// Its own organization named as allowed adds nothing; repeats are stored once.
	partner := create("--name", "Partner", "--redirect-uri", "https://partner.example/cb", "--allow-org", "globex",
		"--allow-org", "acme", "--allow-org", "initech", "--allow-org", "globex", "--scope", "read", "--scope", "write", "--scope", "read")
	shared := create("--name", "Shared", "--redirect-uri", "https://shared.example/cb", "--any-org", "--scope", scope64)
	api := create("--name", "API", "--grant-type", "client_credentials", "--introspect", "--scope", "items:read")

	type want struct {
		usersFrom, scopes string
		allowed           []string
		anyOrg, intro     bool
	}
	wants := map[string]want{
		own:     {usersFrom: "own", allowed: []string{}},
		partner: {usersFrom: "own," + globex + "," + initech, scopes: "read,write", allowed: []string{globex, initech}},
		shared:  {usersFrom: "any", scopes: scope64, allowed: []string{}, anyOrg: true},
		api:     {usersFrom: "own", scopes: "items:read", allowed: []string{}, intro: true},
	}

	table := mustRun(t, env, "", "client", "list", "--org", "acme").stdout
	for id, w := range wants {
		if got := column(t, table, id, "USERS_FROM"); got != w.usersFrom {
			t.Errorf("client list: USERS_FROM of %s = %q, want %q", id, got, w.usersFrom)
		}
		if got := column(t, table, id, "SCOPES"); got != w.scopes {
			t.Errorf("client list: SCOPES of %s = %q, want %q", id, got, w.scopes)
		}
		if got, want := column(t, table, id, "INTROSPECT"), map[bool]string{true: "yes", false: "no"}[w.intro]; got != want {
			t.Errorf("client list: INTROSPECT of %s = %q, want %q", id, got, want)
		}
	}

	var list []struct {
		ClientID   string   `json:"client_id"`
		OrgID      string   `json:"org_id"`
		Allowed    []string `json:"allowed_org_ids"`
		AnyOrg     bool     `json:"any_org"`
		Scopes     []string `json:"scopes"`
		Introspect bool     `json:"introspect"`
	}
	out := mustRun(t, env, "", "client", "list", "--org", "acme", "--json").stdout
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(wants) {
		t.Fatalf("client list --json: %d clients, want %d", len(list), len(wants))
	}
	raw := decodeJSON[[]map[string]any](t, "client list", out)
	for i, c := range list {
		w := wants[c.ClientID]
		var scopes []string
		if w.scopes != "" {
			scopes = strings.Split(w.scopes, ",")
		}
		if c.OrgID != acme || !slices.Equal(c.Allowed, w.allowed) || c.AnyOrg != w.anyOrg || c.Introspect != w.intro ||
			!slices.Equal(c.Scopes, scopes) {
			t.Errorf("client list --json item %s = %+v, want org %s, %+v", c.ClientID, c, acme, w)
		}
		// Lists are arrays, never null: scripts iterate them.
		for _, k := range []string{"allowed_org_ids", "scopes"} {
			if _, ok := raw[i][k].([]any); !ok {
				t.Errorf("client list --json item %s: %s = %#v, want an array", c.ClientID, k, raw[i][k])
			}
		}
	}
}

// user disable and enable: status printed, exit 0 (again: still 0, so an interrupted
// disabling can be repeated); an unknown email or a user in another state is exit 2; the
// command needs Redis (it ends sessions and revokes tokens there) and says so before it
// changes anything.
func TestUserDisableEnable(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	env["SESAME_REDIS_URL"], env["SESAME_REDIS_KEY_PREFIX"] = testenv.Redis(t)
	orgID(t, env, "Acme", "acme")
	mustRun(t, env, "Correct horse battery 7\n", "user", "create", "--org", "acme", "--email", "ada@example.com", "--password-stdin")
	mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "bob@example.com") // pending: no password yet
	status := func(email string) string {
		t.Helper()
		var users []struct{ Email, Status string }
		if err := json.Unmarshal([]byte(mustRun(t, env, "", "user", "list", "--org", "acme", "--json").stdout), &users); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.Email == email {
				return u.Status
			}
		}
		t.Fatalf("no user %s", email)
		return ""
	}

	// Without Redis: a configuration error naming the setting, and the user untouched.
	noRedis := map[string]string{"SESAME_DATABASE_URL": env["SESAME_DATABASE_URL"]}
	wantBadInput(t, sesame(t, noRedis, "", "user", "disable", "--email", "ada@example.com"), "SESAME_REDIS_URL (--redis-url): required")
	if s := status("ada@example.com"); s != "active" {
		t.Fatalf("after disable without Redis: status %s, want active", s)
	}

	if out := mustRun(t, env, "", "user", "disable", "--email", "ada@example.com").stdout; out != "user ada@example.com is disabled\n" {
		t.Errorf("user disable printed %q", out)
	}
	if s := status("ada@example.com"); s != "disabled" {
		t.Errorf("after disable: status %s", s)
	}
	// Again, with another spelling of the address and --json: the same user, still disabled.
	u := decodeJSON[map[string]any](t, "user disable", mustRun(t, env, "", "user", "disable", "--email", "ADA@Example.com", "--json").stdout)
	wantKeys(t, "user disable --json", u, userKeys)
	if u["status"] != "disabled" || u["email"] != "ada@example.com" {
		t.Errorf("user disable --json = %v", u)
	}
	if out := mustRun(t, env, "", "user", "enable", "--email", "ada@example.com").stdout; out != "user ada@example.com is active\n" {
		t.Errorf("user enable printed %q", out)
	}
	if s := status("ada@example.com"); s != "active" {
		t.Errorf("after enable: status %s", s)
	}
	mustRun(t, env, "", "user", "enable", "--email", "ada@example.com")

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown email", []string{"disable", "--email", "nobody@example.com"}, "nobody@example.com is not active (or does not exist)"},
		{"enable unknown email", []string{"enable", "--email", "nobody@example.com"}, "is not disabled (or does not exist)"},
		{"enable a pending user", []string{"enable", "--email", "bob@example.com"}, "bob@example.com is not disabled"},
		{"no email", []string{"disable"}, "--email is required"},
		{"not an address", []string{"disable", "--email", "Ada <ada@example.com>"}, "email must be a plain address"},
		{"positional", []string{"disable", "--email", "ada@example.com", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantBadInput(t, sesame(t, env, "", append([]string{"user"}, tt.args...)...), tt.want)
		})
	}
	if a, b := status("ada@example.com"), status("bob@example.com"); a != "active" || b != "pending" {
		t.Errorf("after the refused commands: ada %s, bob %s; want active, pending", a, b)
	}

	// Redis configured but down: a failure (exit 1), not bad input; repeating the command
	// once Redis is back completes it.
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := map[string]string{"SESAME_DATABASE_URL": env["SESAME_DATABASE_URL"], "SESAME_REDIS_URL": fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	r := sesame(t, down, "", "user", "disable", "--email", "ada@example.com")
	if r.code != cli.ExitFailure || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("user disable with Redis down: exit %d, stdout %q, stderr %q; want %d, nothing, one line", r.code, r.stdout, r.stderr, cli.ExitFailure)
	}
	// The status changed first: from the failed command on, nothing new is granted to her.
	if s := status("ada@example.com"); s != "disabled" {
		t.Errorf("after disable with Redis down: status %s, want disabled (status first)", s)
	}
	mustRun(t, env, "", "user", "disable", "--email", "ada@example.com")
	if s := status("ada@example.com"); s != "disabled" {
		t.Errorf("after repeating the disabling: status %s", s)
	}
}
