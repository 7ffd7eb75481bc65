// Package localsvc runs PostgreSQL and Redis server processes on loopback ports for tests
// (internal/testenv) and for `sesame dev`. It finds the binaries, initializes a cluster,
// drops root privileges for PostgreSQL (which refuses to run as root), waits until each
// server answers, and stops it again.
package localsvc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrMissing is returned when a server binary cannot be found.
var ErrMissing = errors.New("binary not found")

// FindBinary looks for name on PATH, then under /usr/lib/postgresql/*/bin (newest first).
func FindBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w on PATH or under /usr/lib/postgresql/*/bin", name, ErrMissing)
}

func pgVersion(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a running server.
type Process struct {
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  *tailBuffer
}

// Stop asks the server to stop (SIGINT: a fast, clean shutdown for both) and waits.
func (p *Process) Stop() error {
	if p == nil || p.cmd.Process == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// Done is closed when the server exits.
func (p *Process) Done() <-chan struct{} { return p.done }

func start(cmd *exec.Cmd, port int, logTo io.Writer) (*Process, error) {
	tail := &tailBuffer{max: 8 << 10}
	var w io.Writer = tail
	if logTo != nil {
		w = io.MultiWriter(tail, logTo)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The server dies with its parent, even if the parent is killed.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true // Ctrl-C in a terminal reaches the parent, which stops us cleanly.
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	p := &Process{Port: port, cmd: cmd, done: make(chan struct{}), log: tail}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// waitReady polls ready until it succeeds, the process exits, or the deadline passes.
func (p *Process) waitReady(ctx context.Context, name string, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v\n%s", name, p.err, p.log.String())
		case <-ctx.Done():
			_ = p.Stop()
			return fmt.Errorf("%s not ready after 60s: %v\n%s", name, err, p.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// dropRoot returns credentials to run a child as the "postgres" (or else "nobody") user
// when this process is root, and nil otherwise.
func dropRoot() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no postgres or nobody user to run PostgreSQL as")
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	max int
	buf bytes.Buffer
	mu  sync.Mutex
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > t.max {
		b := t.buf.Bytes()[t.buf.Len()-t.max:]
		t.buf = *bytes.NewBuffer(append([]byte(nil), b...))
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(t.buf.Bytes()))
	for sc.Scan() {
		lines = append(lines, "  | "+sc.Text())
	}
	return strings.Join(lines, "\n")
}
