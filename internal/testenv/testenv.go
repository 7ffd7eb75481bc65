// Package testenv gives tests a real PostgreSQL and a real Redis: once per test process it
// starts a throwaway PostgreSQL cluster (initdb into a temporary directory, fsync off) and
// a redis-server without persistence, both on free loopback ports; each test then gets its
// own database, cloned from a migrated template, and its own Redis key prefix. Packages
// that use it call Main from TestMain so the servers stop when the tests end.
//
// When a binary is missing the test fails, saying what to install. It is skipped instead
// only when CI is unset and SESAME_TEST_ALLOW_SKIP=1.
//
// Import it only from _test.go files.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/store/redis"
)

const template = "sesame_template"

// Timeout is the deadline of each store call in tests: generous, so a loaded machine does
// not fail a test that is not about deadlines (those set their own, short one).
const Timeout = 10 * time.Second

// env is the process-wide state: the servers are shared by every test of the process,
// which is the point (one start per `go test` binary, not per test).
var env struct {
	once    sync.Once
	err     error
	dir     string
	pg      *localsvc.Postgres
	redis   *localsvc.Redis
	mu      sync.Mutex // serializes CREATE DATABASE ... TEMPLATE
	counter atomic.Int64
	extra   []stopper // servers from StartRedis and StartPostgres, stopped by Main
	extraMu sync.Mutex
}

// stopper is a server a test started for itself.
type stopper interface{ Stop() error }

// Main runs the tests and then stops the servers and removes their files.
func Main(m *testing.M) {
	code := m.Run()
	teardown()
	os.Exit(code)
}

func teardown() {
	env.extraMu.Lock()
	for _, r := range env.extra {
		_ = r.Stop()
	}
	env.extraMu.Unlock()
	if env.redis != nil {
		_ = env.redis.Stop()
	}
	if env.pg != nil {
		_ = env.pg.Stop()
	}
	if env.dir != "" {
		_ = os.RemoveAll(env.dir)
	}
}

func setup() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sesame-test-")
	if err != nil {
		return err
	}
	env.dir = dir
	// PostgreSQL may run as another user (we may be root): let it reach its directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if env.pg, err = localsvc.StartPostgres(ctx, filepath.Join(dir, "pg"), localsvc.PostgresOptions{Throwaway: true}); err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	if env.redis, err = localsvc.StartRedis(ctx, filepath.Join(dir, "redis"), localsvc.RedisOptions{}); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	if err := env.pg.CreateDatabase(ctx, template, ""); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	if err := migrate(ctx, env.pg.URL(template)); err != nil {
		return fmt.Errorf("migrate template database: %w", err)
	}
	return nil
}

// migrate applies every migration to the database at url.
func migrate(ctx context.Context, url string) error {
	pool, err := postgres.Connect(ctx, url, 2, Timeout)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	var sink strings.Builder
	return m.Up(ctx, &sink)
}

func ready(t testing.TB) {
	t.Helper()
	env.once.Do(func() { env.err = setup() })
	if env.err == nil {
		return
	}
	msg := fmt.Sprintf("testenv: %v", env.err)
	if errors.Is(env.err, localsvc.ErrMissing) {
		msg += "\ninstall PostgreSQL server binaries (Debian: apt-get install postgresql) and redis-server (apt-get install redis-server)"
		if os.Getenv("CI") == "" && os.Getenv("SESAME_TEST_ALLOW_SKIP") == "1" {
			t.Skip(msg)
		}
	}
	t.Fatal(msg)
}

func nextName(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, os.Getpid(), env.counter.Add(1))
}

// PostgresURL returns the URL of a new database for this test, migrated to the latest
// version. It is dropped with the cluster when the tests end.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, template)
}

// EmptyPostgresURL returns the URL of a new database with no migration applied.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

func newDatabase(t testing.TB, from string) string {
	t.Helper()
	ready(t)
	name := nextName("t")
	env.mu.Lock()
	err := env.pg.CreateDatabase(context.Background(), name, from)
	env.mu.Unlock()
	if err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	return env.pg.URL(name)
}

// Pool returns a pool on a new migrated database, closed when the test ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return PoolOn(t, PostgresURL(t), 10)
}

// PoolOn returns a pool on url with at most maxConns connections, closed when the test ends.
func PoolOn(t testing.TB, url string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Connect(context.Background(), url, maxConns, Timeout)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// PostgresStore returns a store over a new migrated database.
func PostgresStore(t testing.TB) *postgres.Store {
	t.Helper()
	return postgres.New(Pool(t), Timeout)
}

// RedisStore returns a store over the shared Redis server, under a key prefix of this
// test's own.
func RedisStore(t testing.TB) *redis.Store {
	t.Helper()
	url, prefix := Redis(t)
	return redisStore(t, url, prefix)
}

// RedisStoreAt returns a store over the Redis server at url (one StartRedis started, which
// the test may stop).
func RedisStoreAt(t testing.TB, url string) *redis.Store {
	t.Helper()
	return redisStore(t, url, nextName("test")+":")
}

func redisStore(t testing.TB, url, prefix string) *redis.Store {
	c, err := redis.Connect(url, Timeout)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return redis.New(c, prefix, Timeout)
}

// Redis returns the shared Redis server's URL and a key prefix of this test's own.
func Redis(t testing.TB) (url, prefix string) {
	t.Helper()
	ready(t)
	return env.redis.URL(), nextName("test") + ":"
}

// StartRedis starts a redis-server for this test alone, which the test may stop and
// restart (RestartRedis). It is stopped when the test ends.
func StartRedis(t testing.TB, port int) *localsvc.Redis {
	t.Helper()
	ready(t)
	r, err := localsvc.StartRedis(context.Background(), t.TempDir(), localsvc.RedisOptions{Port: port})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	own(t, r.Process)
	return r
}

// StartRedisCluster starts a one-node Redis Cluster for this test alone (every hash slot on
// the one node): a script or MULTI whose keys are in different slots fails there as on any
// Cluster. It returns the node's address, stopped when the test ends.
func StartRedisCluster(t testing.TB) string {
	t.Helper()
	ready(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	addr := fmt.Sprintf("127.0.0.1:%d", r.Port)
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("testenv: assign the cluster's slots: %v", err)
	}
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return addr
		}
		select {
		case <-ctx.Done():
			t.Fatalf("testenv: the cluster is not ok after a minute: %v\n%s", err, info)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartRedisTLS starts a redis-server for this test alone that also serves TLS with the
// certificate and key in the files named, and returns the TLS address.
func StartRedisTLS(t testing.TB, certFile, keyFile string) string {
	t.Helper()
	ready(t)
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	startRedis(t, "--tls-port", strconv.Itoa(port), "--tls-cert-file", certFile, "--tls-key-file", keyFile,
		"--tls-auth-clients", "no")
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func startRedis(t testing.TB, args ...string) *localsvc.Redis {
	t.Helper()
	r, err := localsvc.StartRedis(context.Background(), t.TempDir(), localsvc.RedisOptions{Args: args})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	own(t, r.Process)
	return r
}

// own stops p when the test ends (resumed first, should the test have paused it), or when
// the tests end if the test could not.
func own(t testing.TB, p *localsvc.Process) {
	env.extraMu.Lock()
	env.extra = append(env.extra, p)
	env.extraMu.Unlock()
	t.Cleanup(func() {
		_ = p.Resume()
		_ = p.Stop()
	})
}

// StartPostgres starts a PostgreSQL server for this test alone, which the test may Pause
// (a stalled server: connections open, nothing answers) and Resume, and returns it with the
// URL of a migrated database on it. It is stopped when the test ends.
func StartPostgres(t testing.TB) (*localsvc.Postgres, string) {
	t.Helper()
	ready(t)
	ctx := context.Background()
	pg, err := localsvc.StartPostgres(ctx, filepath.Join(env.dir, nextName("pg")),
		localsvc.PostgresOptions{Throwaway: true, MaxConns: 50})
	if err != nil {
		t.Fatalf("testenv: start PostgreSQL: %v", err)
	}
	own(t, pg.Process)
	if err := pg.CreateDatabase(ctx, "sesame", ""); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	if err := migrate(ctx, pg.URL("sesame")); err != nil {
		t.Fatalf("testenv: migrate: %v", err)
	}
	return pg, pg.URL("sesame")
}

// SyncBuffer is a bytes.Buffer safe for a server writing logs while a test reads them.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Clock is a test clock: fixed at its start until the test moves it. Services take its Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Together runs fn(0) … fn(n-1) in n goroutines released at the same moment (each waits on
// one channel, closed once all are ready) and returns when all have returned: how tests race
// a single-use thing (STYLE 18).
func Together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	for i := range n {
		done.Go(func() {
			ready.Done()
			<-start
			fn(i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
}
