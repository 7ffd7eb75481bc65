package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/testenv"
)

// A master key that cannot open the stored signing keys stops serve before it listens:
// exit 2 and a line saying what is wrong, never a server without a key to sign with.
func TestServeRefusesWrongMasterKey(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	env := serveEnv(t, testenv.PostgresURL(t), rURL)
	mustRun(t, env, "", "keys", "rotate", "--activate-in", "0s") // sealed with testMasterKey
	env["SESAME_MASTER_KEY"] = base64.StdEncoding.EncodeToString([]byte("another-master-key-of-32-bytes!!"))
	// Were it to serve, it would until this context ends, then exit 0.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	code := cli.Main(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &stderr)
	r := run{code: code, stderr: stderr.String()}
	if r.code != cli.ExitBadInput || !strings.Contains(r.stderr, "sesame: the master key cannot open the stored signing keys: SESAME_MASTER_KEY is not the key they were sealed with") {
		t.Errorf("serve with another master key: exit %d, stderr:\n%s\nwant 2 and the master key named", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "sesame serving") {
		t.Errorf("serve started listening:\n%s", r.stderr)
	}
	if c, err := net.Dial("tcp", env["SESAME_LISTEN"]); err == nil {
		c.Close()
		t.Errorf("something listens on %s", env["SESAME_LISTEN"])
	}
}
