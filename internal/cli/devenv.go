package cli

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/sesameid/sesame/internal/kind"
)

// lockDevDir takes the lock of a development directory (abs; shown as dir) for this process
// until unlock: a second `sesame dev` on the same directory says so, instead of PostgreSQL's
// lock-file message. The lock (flock) ends with the process, however it ends.
func lockDevDir(abs, dir string) (unlock func(), err error) {
	path := filepath.Join(abs, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, kind.New(kind.Conflict, fmt.Sprintf("sesame dev is already running with %s (pid %s): use it, stop it with Ctrl-C, or give another --dir",
				dir, strings.TrimSpace(string(holder))))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}

// envHeader opens <dir>/env.
const envHeader = `# The settings of the development instance, written by sesame dev at each start.
# source this file to run the CLI against it (./bin/sesame org list, user create, keys list...).
`

// writeEnvFile writes vars as shell exports (mode 0600: it names the master key's file).
func writeEnvFile(path string, vars map[string]string) error {
	var b strings.Builder
	b.WriteString(envHeader)
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(vars[k]))
	}
	for _, k := range []string{"SESAME_DATABASE_URL", "SESAME_REDIS_URL", "SESAME_MASTER_KEY_FILE", "SESAME_ISSUER"} {
		if _, ok := vars[k]; !ok {
			fmt.Fprintf(&b, "# %s: given by the environment sesame dev ran in, not repeated here\n", strings.TrimSuffix(k, "_FILE"))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// readEnvFile reads what writeEnvFile wrote; a missing or unreadable file is empty.
func readEnvFile(path string) map[string]string {
	vars := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return vars
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(line, "export ") {
			continue
		}
		if u, ok := shellUnquote(v); ok {
			vars[k] = u
		}
	}
	return vars
}

// shellQuote quotes s for a POSIX shell: in single quotes, a quote inside closing them,
// escaped, and opening them again.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellUnquote(q string) (string, bool) {
	if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(q[1:len(q)-1], `'\''`, "'"), true
}

// portAgain returns the port of the service URL a previous start wrote when it is free, so
// that a shell that sourced <dir>/env keeps working across restarts; 0 (pick one) otherwise.
func portAgain(raw string) int {
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return 0
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", u.Port()))
	if err != nil {
		return 0
	}
	ln.Close()
	return port
}
