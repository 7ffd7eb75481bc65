package testserver

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/testenv"
)

// MasterKey is the tests' master key: base64 of "sesame-test-master-key-32-bytes!".
const MasterKey = "c2VzYW1lLXRlc3QtbWFzdGVyLWtleS0zMi1ieXRlcyE="

// Seeded credentials.
const (
	Email    = "ada@example.com"
	Password = "Correct horse battery staple 7"
	WebCB    = "https://rp.example/cb"
	WebBye   = "https://rp.example/bye"
)

// Client is a registered client as the relying party knows it.
type Client struct{ ID, Secret string }

// Harness is Sesame's HTTP handler, built by app.New as `sesame serve` builds it, over this
// test's own PostgreSQL database and Redis key prefix, with a fixed clock, behind an
// httptest server whose URL is the issuer. It is seeded with the organization "acme", the
// user Email/Password and a confidential client Web (redirect WebCB, post-logout WebBye).
type Harness struct {
	URL      string // the issuer
	Server   *httptest.Server
	Clock    *testenv.Clock
	Logs     *testenv.SyncBuffer
	Services *app.Services
	Logins   *login.Service
	RedisURL string    // the Redis Sesame uses (the test's own with Options.OwnRedis)
	OrgID    uuid.UUID // the seeded organization "acme"
	UserID   string
	Web      Client
	CA       *CA                // with Options.HTTPS: the CA that issued the server's certificate
	redis    *localsvc.Redis    // set with Options.OwnRedis
	postgres *localsvc.Postgres // set with Options.OwnPostgres
}

// Options tune a Harness.
type Options struct {
	Steps       []login.Step      // login steps after the password (app.Options.Steps)
	OwnRedis    bool              // a redis-server for this test alone, which StopRedis stops and StallRedis stalls
	OwnPostgres bool              // a PostgreSQL server for this test alone, which StallPostgres stalls
	Env         map[string]string // more SESAME_* settings, e.g. SESAME_DATABASE_TIMEOUT
	// HTTPS serves over TLS with a certificate from a CA of this test's own (Harness.CA),
	// for localhost and 127.0.0.1; the issuer is https://localhost:PORT, so Sesame sets
	// __Host- Secure cookies and HSTS as in production.
	HTTPS bool
}

// Start builds and serves the handler until the test ends.
func Start(t testing.TB, o Options) *Harness {
	t.Helper()
	h := &Harness{Clock: testenv.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), Logs: &testenv.SyncBuffer{}}
	var handler http.Handler = http.NotFoundHandler()
	h.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	h.URL = "http://" + h.Server.Listener.Addr().String()
	if o.HTTPS {
		h.CA = NewCA(t, "localhost", "127.0.0.1")
		h.Server.TLS = h.CA.ServerConfig()
		h.URL = fmt.Sprintf("https://localhost:%d", h.Server.Listener.Addr().(*net.TCPAddr).Port)
	}
	redisURL, prefix := testenv.Redis(t)
	if o.OwnRedis {
		port, err := localsvc.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		h.redis = testenv.StartRedis(t, port)
		redisURL = h.redis.URL()
	}
	h.RedisURL = redisURL
	var dbURL string
	if o.OwnPostgres {
		h.postgres, dbURL = testenv.StartPostgres(t)
	} else {
		dbURL = testenv.PostgresURL(t)
	}
	timeout := testenv.Timeout.String()
	env := map[string]string{
		"SESAME_ISSUER": h.URL, "SESAME_DATABASE_URL": dbURL, "SESAME_REDIS_URL": redisURL,
		"SESAME_REDIS_KEY_PREFIX": prefix, "SESAME_MASTER_KEY": MasterKey,
		"SESAME_DATABASE_TIMEOUT": timeout, "SESAME_REDIS_TIMEOUT": timeout,
	}
	maps.Copy(env, o.Env)
	fs := flag.NewFlagSet("harness", flag.ContinueOnError)
	l := config.Bind(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Load(func(k string) string { return env[k] }, config.NeedServe)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(h.Logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, log, app.Options{Now: h.Clock.Now, Steps: o.Steps})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(a.Close)
	h.Services, h.Logins = a.Services, a.Logins
	handler = a.Handler
	if o.HTTPS {
		h.Server.StartTLS()
	} else {
		h.Server.Start()
	}
	t.Cleanup(h.Server.Close)
	h.seed(t)
	return h
}

func (h *Harness) seed(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	o, err := h.Services.Orgs.Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := h.Services.Users.Create(ctx, account.NewUser{OrgID: o.ID, Email: Email, Name: "Ada Lovelace", Password: secret.New(Password)})
	if err != nil {
		t.Fatal(err)
	}
	h.OrgID, h.UserID = o.ID, u.ID.String()
	h.Web = h.Register(t, client.NewClient{OrgID: o.ID, Name: "Web", RedirectURIs: []string{WebCB}, PostLogoutRedirectURIs: []string{WebBye}})
}

// Register registers a client in the seeded organization (in.OrgID is filled in when zero),
// or in in.OrgID's (an AddTenant organization).
func (h *Harness) Register(t testing.TB, in client.NewClient) Client {
	t.Helper()
	ctx := context.Background()
	if in.OrgID == uuid.Nil {
		in.OrgID = h.OrgID
	}
	c, sec, err := h.Services.Clients.Register(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return Client{ID: c.ClientID, Secret: sec.Reveal()}
}

// Tenant is an organization with one user, whose password is Password.
type Tenant struct {
	OrgID  uuid.UUID
	UserID string
	Email  string
}

// AddTenant creates another organization, slug, with one user, email (password Password):
// a customer whose users the seeded clients do not accept. Register its clients with
// client.NewClient{OrgID: tenant.OrgID}.
func (h *Harness) AddTenant(t testing.TB, slug, email string) Tenant {
	t.Helper()
	ctx := context.Background()
	o, err := h.Services.Orgs.Create(ctx, slug, slug)
	if err != nil {
		t.Fatal(err)
	}
	u, err := h.Services.Users.Create(ctx, account.NewUser{OrgID: o.ID, Email: email, Name: email, Password: secret.New(Password)})
	if err != nil {
		t.Fatal(err)
	}
	return Tenant{OrgID: o.ID, UserID: u.ID.String(), Email: email}
}

// RestartRedis starts the test's own redis-server again on its port, empty (a Redis that
// lost its data): Sesame's client reconnects on its next command.
func (h *Harness) RestartRedis(t testing.TB) {
	t.Helper()
	if h.redis == nil {
		t.Fatal("RestartRedis needs Options.OwnRedis")
	}
	h.redis = testenv.StartRedis(t, h.redis.Port)
}

// StopRedis stops the test's own redis-server (Options.OwnRedis): Sesame's Redis is down.
func (h *Harness) StopRedis(t testing.TB) {
	t.Helper()
	if h.redis == nil {
		t.Fatal("StopRedis needs Options.OwnRedis")
	}
	if err := h.redis.Stop(); err != nil {
		t.Fatal(err)
	}
}

// StallPostgres stops the test's own PostgreSQL (Options.OwnPostgres) with SIGSTOP: its
// connections stay open and nothing answers, as with a stalled (not dead) server, until
// resume is called or the test ends.
func (h *Harness) StallPostgres(t testing.TB) (resume func()) {
	t.Helper()
	if h.postgres == nil {
		t.Fatal("StallPostgres needs Options.OwnPostgres")
	}
	return stall(t, h.postgres.Process)
}

// StallRedis stops the test's own Redis (Options.OwnRedis) as StallPostgres does.
func (h *Harness) StallRedis(t testing.TB) (resume func()) {
	t.Helper()
	if h.redis == nil {
		t.Fatal("StallRedis needs Options.OwnRedis")
	}
	return stall(t, h.redis.Process)
}

func stall(t testing.TB, p *localsvc.Process) func() {
	t.Helper()
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Resume() })
	return func() {
		if err := p.Resume(); err != nil {
			t.Error(err)
		}
	}
}

// PKCE returns a fresh code verifier (256 random bits) and its S256 challenge.
func PKCE() (verifier, challenge string) {
	verifier = secret.Token().Reveal()
	return verifier, secret.S256(verifier)
}
