package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/testenv"
)

// Names stored with control characters (written before the domain refused them, or by hand
// in SQL) are printed escaped by every list, so they cannot drive the terminal, break the
// table or pose as another value; --json carries them intact (JSON escapes them).
func TestListEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	pool := testenv.PoolOn(t, env["SESAME_DATABASE_URL"], 2)
	mustRun(t, env, "", "org", "create", "--name", "Acme", "--slug", "acme")
	mustRun(t, env, "", "user", "create", "--org", "acme", "--email", "ada@example.com")
	mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "Web", "--redirect-uri", "https://rp.example/cb")
	const evil = "Evil\x1b[2J\r\nroot\tadmin\u202egnp.exe\x7f"
	ctx := context.Background()
	for _, table := range []string{"organizations", "users", "clients"} {
		if _, err := pool.Exec(ctx, "UPDATE "+table+" SET name = $1", evil); err != nil {
			t.Fatal(err)
		}
	}
	const escaped = `"Evil\x1b[2J\r\nroot\tadmin\u202egnp.exe\x7f"`
	for _, args := range [][]string{{"org", "list"}, {"user", "list", "--org", "acme"}, {"client", "list", "--org", "acme"}} {
		out := mustRun(t, env, "", args...).stdout
		if !strings.Contains(out, escaped) {
			t.Errorf("%s: the name is not shown escaped as %s:\n%q", strings.Join(args, " "), escaped, out)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n') || r == 0x7f || r == '\u202e' {
				t.Errorf("%s: output holds the control character %U:\n%q", strings.Join(args, " "), r, out)
				break
			}
		}
		if n := strings.Count(out, "\n"); n != 2 {
			t.Errorf("%s: %d lines, want a header and one row:\n%q", strings.Join(args, " "), n, out)
		}
		var items []struct{ Name string }
		if err := json.Unmarshal([]byte(mustRun(t, env, "", append(args, "--json")...).stdout), &items); err != nil || len(items) != 1 || items[0].Name != evil {
			t.Errorf("%s --json = %+v, %v; want the name intact", strings.Join(args, " "), items, err)
		}
	}
}

// Each failure is one line on stderr: a database that refuses connections (the driver joins
// the errors of its attempts) is one line, exit 1.
func TestOneLinePerFailure(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"org", "create", "--name", "A", "--slug", "a"}, {"org", "list"}, {"keys", "list"}, {"migrate", "status"}} {
		r := sesame(t, map[string]string{"SESAME_DATABASE_URL": "postgres://sesame@127.0.0.1:1/sesame"}, "", args...)
		if r.code != cli.ExitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "connection refused") {
			t.Errorf("%s with the database down: exit %d, stderr %q; want 1 and one line", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

// Mistakes in the health and keys commands' flags are bad input (exit 2), one line each.
func TestHealthAndKeysBadInput(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	env["SESAME_MASTER_KEY"] = testMasterKey
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"health no scheme", nil, []string{"health", "--url", "127.0.0.1:8080/readyz"}, "--url: want an http or https URL"},
		{"health missing colon", nil, []string{"health", "--url", "http//127.0.0.1/readyz"}, "--url: want an http or https URL"},
		{"health ftp", nil, []string{"health", "--url", "ftp://127.0.0.1/readyz"}, "--url: want an http or https URL"},
		{"health no host", nil, []string{"health", "--url", "http:///readyz"}, "--url: want an http or https URL"},
		{"health garbage", nil, []string{"health", "--url", ":bad"}, "--url: want an http or https URL"},
		{"health empty", nil, []string{"health", "--url", ""}, "--url: want an http or https URL"},
		{"keys rotate too late", env, []string{"keys", "rotate", "--activate-in", "721h"}, "the activation delay must be from 0 to 720h0m0s"},
		{"keys rotate negative", env, []string{"keys", "rotate", "--activate-in", "-1s"}, "the activation delay must be from 0 to 720h0m0s"},
		{"keys rotate without master key", map[string]string{"SESAME_DATABASE_URL": env["SESAME_DATABASE_URL"]}, []string{"keys", "rotate"}, "SESAME_MASTER_KEY (--master-key): required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sesame(t, tt.env, "", tt.args...)
			if r.code != cli.ExitBadInput || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", r.code, r.stderr, tt.want)
			}
		})
	}
	if out := mustRun(t, env, "", "keys", "list").stdout; strings.Count(out, "\n") != 1 {
		t.Errorf("keys list after refused rotations:\n%s\nwant the header alone", out)
	}
}
