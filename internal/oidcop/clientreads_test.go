package oidcop_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/oidcop"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
	"github.com/sesameid/sesame/internal/token"
	"github.com/sesameid/sesame/templates"
)

// countingClients is the real client service, counting the reads the provider makes.
type countingClients struct {
	*client.Service
	reads atomic.Int64
}

var _ oidcop.Clients = (*countingClients)(nil)

func (c *countingClients) ByClientID(ctx context.Context, clientID string) (client.Client, error) {
	c.reads.Add(1)
	return c.Service.ByClientID(ctx, clientID)
}

// provider is an oidcop.Provider wired as app.New wires it, over this test's stores, with
// its client reads counted.
type provider struct {
	url     string
	clients *countingClients
	logins  *login.Service
	orgID   string
	userID  string
	web     testserver.Client // authorization_code and refresh_token
	service testserver.Client // client_credentials
}

func startProvider(t *testing.T) *provider {
	t.Helper()
	ctx := context.Background()
	now := testenv.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)).Now
	pg, rs := testenv.PostgresStore(t), testenv.RedisStore(t)
	p := &provider{clients: &countingClients{Service: client.NewService(pg, now)}}

	o, err := org.NewService(pg, now).Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := account.NewService(pg, account.NewHasher(account.DefaultParams, 1, time.Minute), now).Create(ctx, account.NewUser{OrgID: o.ID, Email: testserver.Email, Name: "Ada",
		Password: secret.New(testserver.Password)})
	if err != nil {
		t.Fatal(err)
	}
	p.orgID, p.userID = o.ID.String(), u.ID.String()
	register := func(in client.NewClient) testserver.Client {
		in.OrgID = o.ID
		c, sec, err := p.clients.Register(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return testserver.Client{ID: c.ClientID, Secret: sec.Reveal()}
	}
	p.web = register(client.NewClient{Name: "Web", RedirectURIs: []string{testserver.WebCB}})
	p.service = register(client.NewClient{Name: "Service", GrantTypes: []string{client.GrantClientCredentials}})

	ring, err := seal.NewRing([]byte("oidcop-test-master-key-32-bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	keys := signing.NewKeys(pg, ring, now)
	if err := keys.Ensure(ctx, signing.ES256); err != nil {
		t.Fatal(err)
	}
	tmpl, err := templates.Parse()
	if err != nil {
		t.Fatal(err)
	}
	p.logins = login.NewService(rs, rs, login.Config{
		Policy:   login.Policy{Steps: []login.Step{login.StepPassword}},
		Sessions: login.Lifetimes{Idle: time.Hour, Absolute: 24 * time.Hour},
	}, now)

	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	p.url = "http://" + srv.Listener.Addr().String()
	issuer, err := url.Parse(p.url)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := oidcop.New(oidcop.Config{Issuer: issuer, CryptoKey: [32]byte{1, 2, 3}, LoginPath: "/login", EndSessionPath: "/end_session"},
		oidcop.Deps{
			Clients: p.clients, Users: account.NewAuthenticator(pg, account.NewHasher(account.DefaultParams, 1, time.Minute), now), Logins: p.logins,
			Codes: rs, Access: rs, Refresh: token.NewRefresh(pg, now), Keys: keys, Pages: httpx.NewPages(tmpl, false), Now: now,
		})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	prov.Routes(mux)
	handler = httpx.Middleware(slog.New(slog.DiscardHandler), mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// op asks the storage bridge for the client several times per token request (to find
// it, to check its secret, for its lifetimes); the request's scope reads it once.
func TestOneClientReadPerRequest(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	ctx := context.Background()
	verifier, challenge := pkce()
	b := newBrowser(t, p.url)
	q := authParams(p.web.ID, testserver.WebCB, challenge)
	q.Set("scope", "openid email offline_access")

	// Each request uses what the one before it got: the transaction, the code, the refresh token.
	var id, code, refresh string
	for _, tt := range []struct {
		name  string
		reads int64 // client reads the request makes
		do    func(t *testing.T)
	}{
		{"authorize", 1, func(t *testing.T) {
			id = b.startLogin(t, q)
			if _, err := p.logins.Pass(ctx, id, b.cookie(httpx.BindingCookie), login.StepPassword,
				&login.Identity{UserID: p.userID, OrgID: p.orgID}); err != nil {
				t.Fatalf("Pass(password) = %v", err)
			}
		}},
		{"callback", 0, func(t *testing.T) {
			code = answered(t, b.get(t, "/authorize/callback?id="+id), testserver.WebCB, p.url).Get("code")
		}},
		{"authorization_code", 1, func(t *testing.T) {
			r, m := tokenPost(t, p.url, p.web, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {testserver.WebCB}, "code_verifier": {verifier}})
			refresh, _ = m["refresh_token"].(string)
			if r.status != http.StatusOK || refresh == "" {
				t.Fatalf("code exchange = %v %s, want 200 with a refresh token", r, r.body)
			}
		}},
		{"refresh_token", 1, func(t *testing.T) {
			r, _ := tokenPost(t, p.url, p.web, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
			if r.status != http.StatusOK {
				t.Fatalf("refresh = %v, want 200", r)
			}
		}},
		{"client_credentials", 1, func(t *testing.T) {
			r, _ := tokenPost(t, p.url, p.service, url.Values{"grant_type": {"client_credentials"}})
			if r.status != http.StatusOK {
				t.Fatalf("client_credentials = %v, want 200", r)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := p.clients.reads.Load()
			tt.do(t)
			if got := p.clients.reads.Load() - before; got != tt.reads {
				t.Errorf("%s read the client %d times, want %d", tt.name, got, tt.reads)
			}
		})
	}
}
