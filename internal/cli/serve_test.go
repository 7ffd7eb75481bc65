package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

const testMasterKey = testserver.MasterKey

type syncBuffer = testenv.SyncBuffer

func serveEnv(t *testing.T, dbURL, redisURL string) map[string]string {
	t.Helper()
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"SESAME_ISSUER":       fmt.Sprintf("http://127.0.0.1:%d", port),
		"SESAME_LISTEN":       fmt.Sprintf("127.0.0.1:%d", port),
		"SESAME_DATABASE_URL": dbURL,
		"SESAME_REDIS_URL":    redisURL,
		"SESAME_MASTER_KEY":   testMasterKey,
		"SESAME_LOG_LEVEL":    "debug",
	}
}

func startServer(t *testing.T, env map[string]string, args ...string) *testserver.Server {
	t.Helper()
	return testserver.Serve(t, env, args...)
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	return testserver.GetJSON(t, url)
}

func TestServeRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	env := serveEnv(t, testenv.EmptyPostgresURL(t), rURL)
	r := sesame(t, env, "", "serve")
	if r.code != cli.ExitFailure || !strings.Contains(r.stderr, "pending migrations") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("serve on an unmigrated database: exit %d, stderr %q; want 1 and one line about pending migrations", r.code, r.stderr)
	}
	// With --migrate it applies them and serves.
	s := startServer(t, env, "--migrate")
	if code, _ := getJSON(t, s.Base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after --migrate = %d", code)
	}
}

func TestServeConfigErrors(t *testing.T) {
	t.Parallel()
	r := sesame(t, map[string]string{"SESAME_MASTER_KEY": "too-short"}, "", "serve")
	if r.code != cli.ExitBadInput {
		t.Errorf("exit = %d, want 2", r.code)
	}
	for _, want := range []string{"SESAME_ISSUER", "SESAME_DATABASE_URL", "SESAME_REDIS_URL", "SESAME_MASTER_KEY (--master-key, from SESAME_MASTER_KEY): must be base64"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "too-short") {
		t.Errorf("stderr echoes the master key value:\n%s", r.stderr)
	}
}

// /readyz turns 503 naming Redis while Redis is down, and 200 again when it is back.
func TestReadyzFollowsRedis(t *testing.T) {
	t.Parallel()
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	rd := testenv.StartRedis(t, port)
	s := startServer(t, serveEnv(t, testenv.PostgresURL(t), rd.URL()))

	if code, body := getJSON(t, s.Base+"/readyz"); code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("/readyz with everything up = %d %v", code, body)
	}
	if err := rd.Stop(); err != nil {
		t.Fatal(err)
	}
	code, body := getJSON(t, s.Base+"/readyz")
	if code != http.StatusServiceUnavailable || fmt.Sprint(body["failed"]) != "[redis]" {
		t.Errorf("/readyz with Redis stopped = %d %v, want 503 failed [redis]", code, body)
	}
	if code, _ := getJSON(t, s.Base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with Redis stopped = %d, want 200 (the process is up)", code)
	}
	testenv.StartRedis(t, port)
	// go-redis reconnects on the next command; allow a few attempts.
	var last int
	for range 50 {
		if last, _ = getJSON(t, s.Base+"/readyz"); last == http.StatusOK {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last != http.StatusOK {
		t.Errorf("/readyz after Redis restarted = %d, want 200", last)
	}
}

func TestServeRequestID(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	s := startServer(t, serveEnv(t, testenv.PostgresURL(t), rURL))
	resp, err := http.Get(s.Base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-ID")
	if len(id) < 16 {
		t.Errorf("X-Request-ID = %q, want a random ID", id)
	}
	req, _ := http.NewRequest(http.MethodTrace, s.Base+"/healthz", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("TRACE = %d, want 405", resp.StatusCode)
	}
}

// No secret (password, client secret, master key, database password) appears in any log
// line or error message of a CLI run or a server start.
func TestNoSecretInLogs(t *testing.T) {
	t.Parallel()
	const dbPassword = "db-password-do-not-log"
	const userPassword = "User-password-do-not-log"
	// PostgreSQL trusts loopback connections in the test cluster, so any password works:
	// what matters is whether Sesame ever prints it.
	dbURL := strings.Replace(testenv.PostgresURL(t), "sesame@", "sesame:"+dbPassword+"@", 1)
	rURL, _ := testenv.Redis(t)
	env := serveEnv(t, dbURL, rURL)

	var logs strings.Builder
	record := func(r run) run { logs.WriteString(r.stderr); return r }
	mustRun(t, env, "", "org", "create", "--name", "Acme", "--slug", "acme")
	record(mustRun(t, env, userPassword+"\n", "user", "create", "--org", "acme", "--email", "ada@example.com", "--password-stdin"))
	created := mustRun(t, env, "", "client", "create", "--org", "acme", "--name", "Web", "--redirect-uri", "https://rp.example/cb", "--json")
	logs.WriteString(created.stderr)
	var c map[string]string
	if err := json.Unmarshal([]byte(created.stdout), &c); err != nil {
		t.Fatal(err)
	}
	// Failures too: a rejected password, a bad master key, an unreachable database.
	record(sesame(t, env, "short\n", "user", "create", "--org", "acme", "--email", "b@example.com", "--password-stdin"))
	record(sesame(t, env, userPassword+"\n", "user", "create", "--org", "acme", "--email", "ada@example.com", "--password-stdin"))
	bad := map[string]string{}
	for k, v := range env {
		bad[k] = v
	}
	bad["SESAME_MASTER_KEY"] = "bm90LWEta2V5LWRvLW5vdC1sb2c="
	bad["SESAME_DATABASE_URL"] = "postgres://sesame:" + dbPassword + "@127.0.0.1:1/x"
	record(sesame(t, bad, "", "serve"))
	record(sesame(t, bad, "", "migrate", "status"))

	s := startServer(t, env)
	if code, _ := getJSON(t, s.Base+"/readyz?token="+c["client_secret"]); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	s.Stop(t)
	logs.WriteString(s.Logs.String())
	if !strings.Contains(logs.String(), "sesame serving") {
		t.Fatalf("the server logs were not captured:\n%s", logs.String())
	}

	rawKey, _ := base64.StdEncoding.DecodeString(testMasterKey)
	for name, secret := range map[string]string{
		"database password": dbPassword,
		"user password":     userPassword,
		"client secret":     c["client_secret"],
		"master key":        testMasterKey,
		"raw master key":    string(rawKey),
		"bad master key":    "bm90LWEta2V5LWRvLW5vdC1sb2c=",
	} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain the %s:\n%s", name, logs.String())
		}
	}
}

func TestHealthCommand(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	env := serveEnv(t, testenv.PostgresURL(t), rURL)
	s := startServer(t, env)
	if r := sesame(t, nil, "", "health", "--url", s.Base+"/readyz"); r.code != cli.ExitOK {
		t.Errorf("health on a ready server: exit %d %s", r.code, r.stderr)
	}
	s.Stop(t)
	if r := sesame(t, nil, "", "health", "--url", s.Base+"/readyz"); r.code != cli.ExitFailure {
		t.Errorf("health on a stopped server: exit %d, want 1", r.code)
	}
}
