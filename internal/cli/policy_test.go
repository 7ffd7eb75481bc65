package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/cli"
)

// user create applies the organization's password policy: each broken rule exits 2 with
// its message on one line; org policy tightens an organization's policy, refuses to loosen
// it, and clears it; the deployment's preset comes from the configuration.
func TestPasswordPolicyCLI(t *testing.T) {
	t.Parallel()
	env := dbEnv(t)
	mustRun(t, env, "", "org", "create", "--name", "Globex Corporation", "--slug", "globex")
	mustRun(t, env, "", "org", "create", "--name", "Initech", "--slug", "initech")
	n := 0
	create := func(env map[string]string, slug, pw string) run {
		n++
		email := "user" + strings.Repeat("x", n) + "@example.com"
		return sesame(t, env, pw+"\n", "user", "create", "--org", slug, "--email", email, "--password-stdin")
	}
	refused := func(r run, want string) {
		t.Helper()
		if r.code != cli.ExitBadInput || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, cli.ExitBadInput, want)
		}
	}
	refused(create(env, "globex", "password12"), "password is one of the most commonly used passwords")
	refused(create(env, "globex", "1234567890"), "password is one of the most commonly used passwords")
	refused(create(env, "globex", "aaaaaaaaaa"), "password must mix at least 3 of")
	refused(create(env, "globex", "Globex Corporation"), "password must not contain the organization's name")
	refused(sesame(t, env, "Ada.Lovelace 77\n", "user", "create", "--org", "globex", "--email", "ada.lovelace@example.com", "--password-stdin"),
		"password must not contain the name of your email address")

	r := mustRun(t, env, "", "org", "policy", "--org", "globex")
	if !strings.Contains(r.stdout, "min_length=10 min_length_second_factor=0 max_length=128 min_classes=3 blocklist=true") {
		t.Errorf("org policy (deployment default) = %q", r.stdout)
	}
	r = mustRun(t, env, "", "org", "policy", "--org", "globex", "--min-length", "12", "--min-classes", "4", "--json")
	var p struct {
		MinLength  int `json:"min_length"`
		MinClasses int `json:"min_classes"`
		MaxLength  int `json:"max_length"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.MinLength != 12 || p.MinClasses != 4 || p.MaxLength != 128 {
		t.Errorf("org policy --json = %q, %v", r.stdout, err)
	}
	refused(create(env, "globex", "Correct horse battery"), "password must mix at least 4 of")
	mustRun(t, env, "Correct horse battery\n", "user", "create", "--org", "initech", "--email", "b@example.com", "--password-stdin")
	mustRun(t, env, "Correct horse battery 7\n", "user", "create", "--org", "globex", "--email", "c@example.com", "--password-stdin")

	// Flags given later change their fields only; looser values are refused.
	r = mustRun(t, env, "", "org", "policy", "--org", "globex", "--max-length", "64")
	if !strings.Contains(r.stdout, "min_length=12 min_length_second_factor=0 max_length=64 min_classes=4") {
		t.Errorf("org policy --max-length 64 = %q", r.stdout)
	}
	refused(sesame(t, env, "", "org", "policy", "--org", "globex", "--min-classes", "2"), "may only be stricter than the deployment's: character classes 2 are fewer than 3")
	refused(sesame(t, env, "", "org", "policy", "--org", "globex", "--min-length", "9"), "minimum length 9 is below 10")
	refused(sesame(t, env, "", "org", "policy", "--org", "globex", "--max-length", "32"), "maximum length must be at least 64")
	refused(sesame(t, env, "", "org", "policy", "--org", "nope"), "organization not found")
	refused(create(env, "globex", "Correct horse battery 7 "+strings.Repeat("x", 50)), "password must be at most 64 characters")

	// The deployment's preset: nist asks 15 characters and no classes, under the override.
	nist := map[string]string{"SESAME_PASSWORD_POLICY": "nist"}
	for k, v := range env {
		nist[k] = v
	}
	refused(create(nist, "initech", "abcdefghijklmn"), "password must be at least 15 characters")
	mustRun(t, nist, "abcdefghijklmno\n", "user", "create", "--org", "initech", "--email", "d@example.com", "--password-stdin")
	refused(create(nist, "globex", "abcdefghijklmno"), "password must mix at least 4 of")

	r = mustRun(t, env, "", "org", "policy", "--org", "globex", "--clear")
	if !strings.Contains(r.stdout, "min_length=10 min_length_second_factor=0 max_length=128 min_classes=3 blocklist=true") {
		t.Errorf("org policy --clear = %q", r.stdout)
	}
	mustRun(t, env, "Correct horse battery\n", "user", "create", "--org", "globex", "--email", "e@example.com", "--password-stdin")
}
