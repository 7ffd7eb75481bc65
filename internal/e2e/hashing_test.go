package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
)

// buildSesame builds the sesame binary as it ships (no -race, which would multiply its
// memory) into a directory of the test's.
func buildSesame(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sesame")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/sesameid/sesame/cmd/sesame").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// procStatus returns a field of /proc/<pid>/status in bytes (VmRSS, VmHWM: given in kB).
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("reading the server's memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// serveBinary runs `bin serve` with e's settings until the test ends and returns its process
// once /healthz answers.
func serveBinary(t *testing.T, e *env, bin string) *os.Process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	for k, v := range e.cliEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, e.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("sesame did not stop within 30 s of SIGTERM")
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(e.issuer + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd.Process
		}
		select {
		case err := <-exited:
			t.Fatalf("sesame exited before answering: %v\n%s", err, e.logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sesame did not answer within 30 s:\n%s", e.logs)
		}
	}
}

// 1,000 wrong-password posts at once (10 on each of 100 login transactions, each on an email
// of its own) against a real
// sesame process: argon2id runs in at most SESAME_PASSWORD_HASH_SLOTS computations at a
// time, so the process's peak RSS stays under slots × argon2id memory + 256 MiB (without
// the bound, each post holds its own 19 MiB). Every post is answered with the login page
// again, "too many attempts" (a transaction's tenth failure), or 503 with Retry-After when
// no slot freed up within SESAME_PASSWORD_HASH_WAIT; /healthz answers throughout.
func TestPasswordHashingMemory(t *testing.T) {
	const slots, transactions = 2, 100
	// The rate limits would answer most of these posts 429 from one IP: this measures hashing.
	e := seed(t, map[string]string{"SESAME_PASSWORD_HASH_SLOTS": strconv.Itoa(slots), "SESAME_LOG_LEVEL": "warn",
		"SESAME_LOGIN_FAILURES_PER_IP": "100000/24h", "SESAME_LOGIN_PAGES_RATE": "100000/24h"})
	proc := serveBinary(t, e, buildSesame(t))
	var err error
	if e.provider, err = oidc.NewProvider(context.Background(), e.issuer); err != nil {
		t.Fatal(err)
	}
	web := e.oauth(e.web, rpCallback)

	type attempt struct {
		b    *browser
		body string
	}
	var attempts []attempt
	for range transactions {
		b := e.browser(t)
		_, challenge := pkce()
		p := b.get(e.authorizeURL(web, "s", "n", challenge))
		form := hidden(p.body)
		if p.status != http.StatusOK || form.Get("csrf") == "" {
			t.Fatalf("GET /authorize = %d, want the login page:\n%.400s", p.status, p.body)
		}
		form.Set("password", "wrong password, long enough")
		for range login.MaxAttempts {
			// An email of its own for each post (unknown: a dummy verification, as costly):
			// the lockout would otherwise answer all but the first posts on one email
			// without hashing.
			form.Set("email", fmt.Sprintf("probe-%d@example.com", len(attempts)))
			attempts = append(attempts, attempt{b, form.Encode()})
		}
	}
	rssBefore := procStatus(t, proc.Pid, "VmRSS")

	// /healthz, polled while the posts run.
	stop := make(chan struct{})
	var healthFailures atomic.Int64
	var latencies []time.Duration // written by the poller alone until it has stopped
	var poller sync.WaitGroup
	poller.Go(func() {
		c := &http.Client{Timeout: 30 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			start := time.Now()
			resp, err := c.Get(e.issuer + "/healthz")
			if err != nil || resp.StatusCode != http.StatusOK {
				healthFailures.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
			latencies = append(latencies, time.Since(start))
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var page, tooMany, busy, other atomic.Int64
	began := time.Now()
	testenv.Together(len(attempts), func(i int) {
		a := attempts[i]
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.issuer+"/login", strings.NewReader(a.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.issuer)
		resp, err := a.b.Do(req)
		if err != nil {
			other.Add(1)
			t.Errorf("POST /login %d: %v", i, err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK && strings.Contains(string(body), "Invalid email or password"):
			page.Add(1)
		case resp.StatusCode == http.StatusBadRequest && strings.Contains(string(body), "Too many attempts"):
			tooMany.Add(1)
		case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
			busy.Add(1)
		default:
			other.Add(1)
			t.Errorf("POST /login %d = %d (Retry-After %q):\n%.300s", i, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	})
	took := time.Since(began)
	close(stop)
	poller.Wait()

	hwm := procStatus(t, proc.Pid, "VmHWM")
	bound := int64(slots)*int64(account.DefaultParams.Memory)<<10 + 256<<20
	slices.Sort(latencies)
	pct := func(p int) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[(len(latencies)-1)*p/100].Round(time.Millisecond)
	}
	t.Logf("%d posts in %s: %d login pages, %d too many attempts, %d busy (503); RSS %d MiB before, peak (VmHWM) %d MiB, bound %d MiB; "+
		"/healthz %d polls, %d failed, latency p50 %s, p90 %s, p99 %s, max %s",
		len(attempts), took.Round(time.Millisecond), page.Load(), tooMany.Load(), busy.Load(), rssBefore>>20, hwm>>20, bound>>20,
		len(latencies), healthFailures.Load(), pct(50), pct(90), pct(99), pct(100))
	if hwm > bound {
		t.Errorf("peak RSS %d MiB, want at most %d MiB (%d slots × %d KiB + 256 MiB)", hwm>>20, bound>>20, slots, account.DefaultParams.Memory)
	}
	if page.Load()+tooMany.Load() == 0 {
		t.Error("no post was answered after a verification: every one was busy")
	}
	if len(latencies) == 0 || healthFailures.Load() != 0 {
		t.Errorf("/healthz: %d of %d polls failed during the posts, want none", healthFailures.Load(), len(latencies))
	}
}
