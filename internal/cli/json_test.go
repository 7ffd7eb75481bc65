package cli_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The --json outputs are a contract with scripts: these tests pin the exact set of keys of
// every one, and the encoding of the values scripts compute with (durations as integer
// nanoseconds, times as RFC 3339, lists as arrays). A key renamed, added or dropped fails here.

var (
	orgKeys           = []string{"created_at", "id", "name", "slug"}
	userKeys          = []string{"created_at", "email", "email_verified", "id", "name", "org_id", "status"}
	clientKeys        = []string{"access_token_format", "access_token_ttl", "allowed_org_ids", "any_org", "client_id", "created_at", "grant_types", "id", "id_token_ttl", "introspect", "name", "org_id", "post_logout_redirect_uris", "redirect_uris", "refresh_token_absolute_ttl", "refresh_token_idle_ttl", "scopes", "type"}
	keyKeys           = []string{"alg", "kid", "not_before"}
	retiredKeyKeys    = []string{"alg", "kid", "not_before", "retired_at"}
	confidentialKeys  = []string{"client_id", "client_secret"}
	publicCreatedKeys = []string{"client_id"}
)

// decodeJSON decodes out, keeping numbers as written.
func decodeJSON[T any](t *testing.T, what, out string) T {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	dec.UseNumber()
	var v T
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: output is not the expected JSON: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON value on stdout:\n%s", what, out)
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// wantKeys checks that m has exactly the keys want (sorted).
func wantKeys(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	if diff := cmp.Diff(want, sortedKeys(m)); diff != "" {
		t.Errorf("%s keys mismatch (-want +got):\n%s", what, diff)
	}
}

// wantTimes checks that the named values are RFC 3339 strings.
func wantTimes(t *testing.T, what string, m map[string]any, names ...string) {
	t.Helper()
	for _, n := range names {
		s, ok := m[n].(string)
		if !ok {
			t.Errorf("%s: %s = %#v, want an RFC 3339 string", what, n, m[n])
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			t.Errorf("%s: %s = %q: %v", what, n, s, err)
		}
	}
}

func TestJSONOrgUser(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)

	o := decodeJSON[map[string]any](t, "org create", mustRun(t, env, "", "org", "create", "--name", "Acme", "--slug", "acme", "--json").stdout)
	wantKeys(t, "org create --json", o, orgKeys)
	wantTimes(t, "org create --json", o, "created_at")

	u := decodeJSON[map[string]any](t, "user create", mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "ada@example.com", "--name", "Ada", "--json").stdout)
	wantKeys(t, "user create --json", u, userKeys)
	wantTimes(t, "user create --json", u, "created_at")
	if u["org_id"] != o["id"] || u["email_verified"] != false {
		t.Errorf("user create --json: org_id %v, email_verified %#v; want %v, false", u["org_id"], u["email_verified"], o["id"])
	}
	// A user without a name or a password still has every key (name "", status pending).
	bare := decodeJSON[map[string]any](t, "user create", mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "bob@example.com", "--json").stdout)
	wantKeys(t, "user create --json (no name)", bare, userKeys)

	users := decodeJSON[[]map[string]any](t, "user list", mustRun(t, env, "", "user", "list", "--org", "acme", "--json").stdout)
	if len(users) != 2 {
		t.Fatalf("user list --json: %d users, want 2", len(users))
	}
	for i, u := range users {
		wantKeys(t, "user list --json item", u, userKeys)
		wantTimes(t, "user list --json item", u, "created_at")
		if _, ok := u["email_verified"].(bool); !ok {
			t.Errorf("user list item %d: email_verified = %#v, want a boolean", i, u["email_verified"])
		}
	}

	mustRun(t, env, "", "org", "create", "--name", "Empty", "--slug", "empty")
	if got := decodeJSON[[]map[string]any](t, "user list", mustRun(t, env, "", "user", "list", "--org", "empty", "--json").stdout); got == nil || len(got) != 0 {
		t.Errorf("user list --json of an empty org = %#v, want []", got)
	}

	orgs := decodeJSON[[]map[string]any](t, "org list", mustRun(t, env, "", "org", "list", "--json").stdout)
	if len(orgs) != 2 || orgs[0]["slug"] != "acme" || orgs[1]["slug"] != "empty" || orgs[0]["id"] != o["id"] {
		t.Fatalf("org list --json = %v, want acme then empty", orgs)
	}
	for _, item := range orgs {
		wantKeys(t, "org list --json item", item, orgKeys)
		wantTimes(t, "org list --json item", item, "created_at")
	}
	if out := mustRun(t, env, "", "org", "list").stdout; !strings.Contains(out, "SLUG") || !strings.Contains(out, "acme") || !strings.Contains(out, "Empty") {
		t.Errorf("org list:\n%s", out)
	}
}

func TestJSONClient(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	mustRun(t, env, "", "org", "create", "--name", "Acme", "--slug", "acme")

	created := decodeJSON[map[string]any](t, "client create", mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "Web",
		"--redirect-uri", "https://rp.example/cb", "--post-logout-redirect-uri", "https://rp.example/",
		"--access-token-ttl", "10m", "--id-token-ttl", "15m", "--refresh-idle-ttl", "2h", "--refresh-absolute-ttl", "48h", "--json").stdout)
	wantKeys(t, "client create --json (confidential)", created, confidentialKeys)

	public := decodeJSON[map[string]any](t, "client create", mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "CLI", "--public",
		"--redirect-uri", "http://127.0.0.1:7777/cb", "--json").stdout)
	wantKeys(t, "client create --json (public: no secret key at all)", public, publicCreatedKeys)

	list := decodeJSON[[]map[string]any](t, "client list", mustRun(t, env, "", "client", "list", "--org", "acme", "--json").stdout)
	if len(list) != 2 {
		t.Fatalf("client list --json: %d clients, want 2", len(list))
	}
	byID := map[any]map[string]any{}
	for _, c := range list {
		wantKeys(t, "client list --json item", c, clientKeys)
		wantTimes(t, "client list --json item", c, "created_at")
		for _, k := range []string{"redirect_uris", "post_logout_redirect_uris", "grant_types"} {
			if _, ok := c[k].([]any); !ok {
				t.Errorf("client list item %v: %s = %#v, want an array", c["client_id"], k, c[k])
			}
		}
		byID[c["client_id"]] = c
	}

	// Durations are integer nanoseconds: what was set, and the defaults.
	tests := []struct {
		name   string
		client any
		want   map[string]string
	}{
		{name: "set by flags", client: created["client_id"], want: map[string]string{
			"access_token_ttl": "600000000000", "id_token_ttl": "900000000000",
			"refresh_token_idle_ttl": "7200000000000", "refresh_token_absolute_ttl": "172800000000000",
		}},
		{name: "defaults", client: public["client_id"], want: map[string]string{
			"access_token_ttl": "300000000000", "id_token_ttl": "300000000000",
			"refresh_token_idle_ttl": "86400000000000", "refresh_token_absolute_ttl": "2592000000000000",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, ok := byID[tt.client]
			if !ok {
				t.Fatalf("client list --json lacks client %v", tt.client)
			}
			got := map[string]string{}
			for k := range tt.want {
				n, ok := c[k].(json.Number)
				if !ok {
					t.Errorf("%s = %#v, want a JSON number", k, c[k])
					continue
				}
				got[k] = n.String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("client list --json durations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONKeys(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	env["SESAME_MASTER_KEY"] = testMasterKey

	first := decodeJSON[map[string]any](t, "keys rotate", mustRun(t, env, "", "keys", "rotate", "--alg", "ES256", "--activate-in", "0s", "--json").stdout)
	wantKeys(t, "keys rotate --json", first, keyKeys)
	wantTimes(t, "keys rotate --json", first, "not_before")
	if first["alg"] != "ES256" {
		t.Errorf("keys rotate --json: alg = %v, want ES256", first["alg"])
	}

	list := decodeJSON[[]map[string]any](t, "keys list", mustRun(t, env, "", "keys", "list", "--json").stdout)
	if len(list) != 1 {
		t.Fatalf("keys list --json after one rotation: %d keys, want 1", len(list))
	}
	wantKeys(t, "keys list --json, active key (no retired_at key)", list[0], keyKeys)

	second := decodeJSON[map[string]any](t, "keys rotate", mustRun(t, env, "", "keys", "rotate", "--alg", "RS256", "--json").stdout)
	wantKeys(t, "keys rotate --json", second, keyKeys)

	// Listing needs no master key (it reads public halves and dates only).
	noKey := map[string]string{"SESAME_DATABASE_URL": env["SESAME_DATABASE_URL"]}
	list = decodeJSON[[]map[string]any](t, "keys list", mustRun(t, noKey, "", "keys", "list", "--json").stdout)
	if len(list) != 2 {
		t.Fatalf("keys list --json after two rotations: %d keys, want 2", len(list))
	}
	for _, k := range list {
		switch k["kid"] {
		case second["kid"]:
			wantKeys(t, "keys list --json, newest key", k, keyKeys)
		case first["kid"]:
			wantKeys(t, "keys list --json, retiring key", k, retiredKeyKeys)
			wantTimes(t, "keys list --json, retiring key", k, "not_before", "retired_at")
			// PostgreSQL keeps microseconds; keys rotate prints the time it generated.
			rs, _ := k["retired_at"].(string)
			ns, _ := second["not_before"].(string)
			retired, _ := time.Parse(time.RFC3339Nano, rs)
			next, _ := time.Parse(time.RFC3339Nano, ns)
			if !retired.Equal(next.Truncate(time.Microsecond)) {
				t.Errorf("retiring key: retired_at %v, want the new key's not_before %v", k["retired_at"], second["not_before"])
			}
		default:
			t.Errorf("keys list --json: unexpected kid %v", k["kid"])
		}
	}
}
