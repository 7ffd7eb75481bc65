package cli

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// <dir>/env is valid shell whatever the values hold (a quote in a path), and reads back the
// same: the shell that sources it and the next `sesame dev` agree.
func TestEnvFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	vars := map[string]string{
		"SESAME_MASTER_KEY_FILE": "/home/o'brien/dev $HOME `x`/master.key",
		"SESAME_ISSUER":          "http://127.0.0.1:8080",
	}
	if err := writeEnvFile(path, vars); err != nil {
		t.Fatal(err)
	}
	if got := readEnvFile(path); len(got) != 2 || got["SESAME_MASTER_KEY_FILE"] != vars["SESAME_MASTER_KEY_FILE"] || got["SESAME_ISSUER"] != vars["SESAME_ISSUER"] {
		t.Errorf("readEnvFile = %q, want %q", got, vars)
	}
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s|%s' "$SESAME_MASTER_KEY_FILE" "$SESAME_ISSUER"`, "sh", path).CombinedOutput()
	if want := vars["SESAME_MASTER_KEY_FILE"] + "|" + vars["SESAME_ISSUER"]; err != nil || string(out) != want {
		t.Errorf("sh sourcing the file printed %q (%v), want %q", out, err, want)
	}
}
