package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
