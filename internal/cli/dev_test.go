package cli_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/testenv"
)

// devRun is a `sesame dev` running in-process.
type devRun struct {
	out, logs *syncBuffer
	cancel    context.CancelFunc
	done      chan int
}

// bannerProbe is dev's stdout: the write that prints the banner first runs probe, so the
// probe sees the world exactly as the banner's reader first can.
type bannerProbe struct {
	*syncBuffer
	probe func()
}

func (b bannerProbe) Write(p []byte) (int, error) {
	if b.probe != nil && strings.Contains(string(p), "Sesame development server:") {
		b.probe()
	}
	return b.syncBuffer.Write(p)
}

// startDev runs `sesame dev --dir dir` with env and waits for its banner; probe (if not nil)
// runs as the banner is written.
func startDev(t *testing.T, env map[string]string, dir string, appPort int, probe func()) *devRun {
	t.Helper()
	d := &devRun{out: &syncBuffer{}, logs: &syncBuffer{}, done: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() {
		d.done <- cli.Main(ctx, []string{"dev", "--dir", dir, "--demo-app-listen", fmt.Sprintf("127.0.0.1:%d", appPort)},
			func(k string) string { return env[k] }, strings.NewReader(""), bannerProbe{d.out, probe}, d.logs)
	}()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(d.out.String(), "make dev-reset deletes everything"); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-d.done:
			t.Fatalf("dev exited %d before its banner:\n%s\n%s", code, d.out, d.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner within 60s:\n%s\n%s", d.out, d.logs)
		}
	}
	return d
}

// stop cancels the instance, as Ctrl-C does, and wants a clean exit.
func (d *devRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		if code != cli.ExitOK {
			t.Errorf("dev exited %d:\n%s", code, d.logs)
		}
	case <-time.After(60 * time.Second):
		t.Error("dev did not stop within 60s")
	}
}

// fetch GETs u with c and returns the final URL and the body.
func fetch(t *testing.T, c *http.Client, u string) (string, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Request.URL.String(), string(body)
}

// readExports parses the export lines of an env file written by `sesame dev`.
func readExports(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export (SESAME_[A-Z_]+)='([^']*)'$`).FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = m[2]
	}
	return vars
}

// `sesame dev` binds its listeners before the banner; its demo app answers / with a start
// link, signs in end to end, and answers a reloaded callback with "start again" without
// spending the code a second time (which would revoke the grant). A second `sesame dev` on
// the same directory says it is already running. <dir>/env holds what dev chose itself.
func TestDevDemoApp(t *testing.T) {
	t.Parallel()
	rURL, prefix := testenv.Redis(t)
	port, _ := localsvc.FreePort()
	appPort, _ := localsvc.FreePort()
	env := map[string]string{
		"SESAME_DATABASE_URL": testenv.PostgresURL(t), "SESAME_REDIS_URL": rURL, "SESAME_REDIS_KEY_PREFIX": prefix,
		"SESAME_LISTEN": fmt.Sprintf("127.0.0.1:%d", port),
	}
	dir := t.TempDir()
	// Both listeners are bound when the banner is written: connecting then is not refused.
	var probed []error
	d := startDev(t, env, dir, appPort, func() {
		for _, p := range []int{port, appPort} {
			conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), 10*time.Second)
			if err == nil {
				conn.Close()
			}
			probed = append(probed, err)
		}
	})
	defer d.stop(t)
	for _, err := range probed {
		if err != nil {
			t.Errorf("connecting as the banner is printed: %v", err)
		}
	}
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	appURL := fmt.Sprintf("http://127.0.0.1:%d/", appPort)
	c := &http.Client{Timeout: 30 * time.Second}
	if !strings.Contains(d.out.String(), appURL) || !strings.Contains(d.out.String(), "source "+filepath.Join(dir, "env")) {
		t.Errorf("the banner does not name the demo app %s and `source %s/env`:\n%s", appURL, dir, d.out)
	}
	if _, home := fetch(t, c, appURL); !strings.Contains(home, `<a href="/start">Sign in with Sesame</a>`) {
		t.Errorf("demo app / = %s, want a start link", home)
	}

	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	_, login := fetch(t, b, appURL+"start")
	password := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(d.out.String())[1]
	form := url.Values{"email": {"demo@example.com"}, "password": {password}}
	for _, m := range regexp.MustCompile(`name="(id|csrf)" value="([^"]*)"`).FindAllStringSubmatch(login, -1) {
		form.Set(m[1], m[2])
	}
	resp, err := b.PostForm(issuer+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	callback := resp.Request.URL.String()
	if !strings.HasPrefix(callback, appURL+"callback?") || !strings.Contains(string(body), "demo@example.com") || strings.Contains(string(body), "Sign-in failed") {
		t.Fatalf("after sign-in: %s\n%s", callback, body)
	}

	_, reloaded := fetch(t, b, callback)
	if !strings.Contains(reloaded, "already completed") || !strings.Contains(reloaded, `<a href="/start">Start again</a>`) || strings.Contains(reloaded, "Sign-in failed") {
		t.Errorf("reloaded callback:\n%s\nwant \"already completed\" and a start-again link, no failed exchange", reloaded)
	}
	// Starting again signs in at once (the browser's session): the grant is intact.
	if u, again := fetch(t, b, appURL+"start"); !strings.Contains(again, "demo@example.com") || strings.Contains(again, "Sign-in failed") {
		t.Errorf("start again: %s\n%s", u, again)
	}

	second := sesame(t, env, "", "dev", "--dir", dir, "--demo-app-listen", "127.0.0.1:0")
	if second.code != cli.ExitBadInput || strings.Count(second.stderr, "\n") != 1 ||
		!strings.Contains(second.stderr, "sesame dev is already running with "+dir+fmt.Sprintf(" (pid %d)", os.Getpid())) {
		t.Errorf("second dev on the same directory: exit %d, stderr %q; want 2 and one line saying it is already running", second.code, second.stderr)
	}

	vars := readExports(t, filepath.Join(dir, "env"))
	want := map[string]string{"SESAME_MASTER_KEY_FILE": filepath.Join(dir, "master.key"), "SESAME_ISSUER": issuer}
	if fmt.Sprint(vars) != fmt.Sprint(want) {
		t.Errorf("%s/env exports %v, want %v (the database and Redis came from the environment)", dir, vars, want)
	}
	if st, err := os.Stat(filepath.Join(dir, "env")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s/env: %v, mode %v; want 0600", dir, err, st.Mode())
	}
}

// `make dev` from nothing: dev starts PostgreSQL and Redis in its directory (a 0700 one here;
// as root PostgreSQL runs as the postgres user, which cannot reach it, so the data moves to a
// directory it can reach) and writes <dir>/env, with which the CLI works against it. After
// `source <dir>/env`, the next `make dev` still starts its own servers, on the same ports.
func TestDevLocalServices(t *testing.T) {
	t.Parallel()
	port, _ := localsvc.FreePort()
	appPort, _ := localsvc.FreePort()
	dir := t.TempDir() // mode 0700
	env := map[string]string{"SESAME_LISTEN": fmt.Sprintf("127.0.0.1:%d", port)}
	d := startDev(t, env, dir, appPort, nil)
	if target, err := os.Readlink(filepath.Join(dir, "postgres")); err == nil {
		t.Cleanup(func() { _ = os.RemoveAll(target) })
	}
	vars := readExports(t, filepath.Join(dir, "env"))
	for _, k := range []string{"SESAME_DATABASE_URL", "SESAME_REDIS_URL", "SESAME_MASTER_KEY_FILE", "SESAME_ISSUER"} {
		if vars[k] == "" {
			t.Errorf("%s/env does not export %s:\n%v", dir, k, vars)
		}
	}
	if out := mustRun(t, vars, "", "org", "list").stdout; !strings.Contains(out, "demo") {
		t.Errorf("org list with %s/env:\n%s", dir, out)
	}
	if out := mustRun(t, vars, "", "keys", "list").stdout; strings.Count(out, "\n") != 2 {
		t.Errorf("keys list with %s/env:\n%s\nwant the first key", dir, out)
	}
	d.stop(t)

	sourced := map[string]string{"SESAME_LISTEN": env["SESAME_LISTEN"]}
	for k, v := range vars {
		sourced[k] = v
	}
	d = startDev(t, sourced, dir, appPort, nil)
	defer d.stop(t)
	again := readExports(t, filepath.Join(dir, "env"))
	if again["SESAME_DATABASE_URL"] != vars["SESAME_DATABASE_URL"] || again["SESAME_REDIS_URL"] != vars["SESAME_REDIS_URL"] {
		t.Errorf("after a restart %s/env = %v, want the same servers as before %v", dir, again, vars)
	}
	if out := mustRun(t, sourced, "", "user", "list", "--org", "demo").stdout; !strings.Contains(out, "demo@example.com") {
		t.Errorf("user list after the restart:\n%s", out)
	}
}
