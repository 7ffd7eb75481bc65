// Package e2e drives a real `sesame serve` (in-process, real PostgreSQL and Redis from
// testenv) with an independent relying party: coreos/go-oidc and x/oauth2, and a cookie-jar
// HTTP client standing in for the browser.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testMasterKey = testserver.MasterKey
	userEmail     = testserver.Email
	userPassword  = testserver.Password
	rpCallback    = testserver.WebCB
	rp2Callback   = "https://rp2.example/cb"
	nativeCB      = "http://127.0.0.1:7777/cb"
)

// registered is a client as the CLI printed it.
type registered struct{ ID, Secret string }

// env is one running Sesame with seeded data.
type env struct {
	issuer   string
	cliEnv   map[string]string
	web      registered // confidential, authorization_code + refresh_token, rp.example
	web2     registered // confidential, rp2.example (SSO)
	native   registered // public, loopback
	service  registered // confidential, client_credentials only
	opaque   registered // confidential, opaque access tokens
	api      registered // confidential resource server of acme (--introspect): e.introspect asks as it
	provider *oidc.Provider
	logs     *syncBuffer
	userID   string
}

type syncBuffer = testenv.SyncBuffer

func run(t testing.TB, vars map[string]string, stdin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errb)
	if code != 0 {
		t.Fatalf("sesame %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

func createClient(t testing.TB, vars map[string]string, args ...string) registered {
	t.Helper()
	var m map[string]string
	out := run(t, vars, "", append([]string{"client", "create", "--org", "acme", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return registered{m["client_id"], m["client_secret"]}
}

// start seeds a database and runs sesame serve until the test ends.
func start(t testing.TB, extra map[string]string) *env {
	t.Helper()
	e := seed(t, extra)
	e.serve(t)
	return e
}

// seed creates a database and a Redis prefix, and in them the organization acme, the user
// and the clients of env; the server is not started.
func seed(t testing.TB, extra map[string]string) *env {
	t.Helper()
	redisURL, prefix := testenv.Redis(t)
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{issuer: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &syncBuffer{}}
	e.cliEnv = map[string]string{
		"SESAME_ISSUER": e.issuer, "SESAME_LISTEN": fmt.Sprintf("127.0.0.1:%d", port),
		"SESAME_DATABASE_URL": testenv.PostgresURL(t), "SESAME_REDIS_URL": redisURL,
		"SESAME_REDIS_KEY_PREFIX": prefix, "SESAME_MASTER_KEY": testMasterKey,
	}
	for k, v := range extra {
		e.cliEnv[k] = v
	}
	run(t, e.cliEnv, "", "org", "create", "--name", "Acme", "--slug", "acme")
	var u struct{ ID string }
	_ = json.Unmarshal([]byte(run(t, e.cliEnv, userPassword+"\n", "user", "create", "--org", "acme", "--email", userEmail,
		"--name", "Ada Lovelace", "--password-stdin", "--json")), &u)
	e.userID = u.ID
	e.web = createClient(t, e.cliEnv, "--name", "Web", "--redirect-uri", rpCallback, "--post-logout-redirect-uri", "https://rp.example/bye")
	e.web2 = createClient(t, e.cliEnv, "--name", "Web 2", "--redirect-uri", rp2Callback)
	e.native = createClient(t, e.cliEnv, "--name", "CLI", "--public", "--redirect-uri", nativeCB)
	e.service = createClient(t, e.cliEnv, "--name", "Service", "--grant-type", "client_credentials")
	e.opaque = createClient(t, e.cliEnv, "--name", "Opaque", "--redirect-uri", "https://rp3.example/cb", "--access-token-format", "opaque")
	e.api = createClient(t, e.cliEnv, "--name", "API", "--grant-type", "client_credentials", "--introspect")
	return e
}

// another starts a second sesame process on the same database and Redis (a new port and
// issuer), as a load-balanced deployment would.
func (e *env) another(t testing.TB) *env {
	t.Helper()
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	e2 := *e
	e2.issuer, e2.logs = fmt.Sprintf("http://127.0.0.1:%d", port), &syncBuffer{}
	e2.cliEnv = map[string]string{}
	for k, v := range e.cliEnv {
		e2.cliEnv[k] = v
	}
	e2.cliEnv["SESAME_ISSUER"], e2.cliEnv["SESAME_LISTEN"] = e2.issuer, fmt.Sprintf("127.0.0.1:%d", port)
	e2.serve(t)
	return &e2
}

// serve runs sesame serve with e.cliEnv until the test ends.
func (e *env) serve(t testing.TB) {
	t.Helper()
	srv := testserver.Serve(t, e.cliEnv)
	e.logs = srv.Logs
	var err error
	if e.provider, err = oidc.NewProvider(context.Background(), e.issuer); err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
}

func (e *env) oauth(c registered, redirect string, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess}
	}
	return &oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret, Endpoint: e.provider.Endpoint(), RedirectURL: redirect, Scopes: scopes}
}

// browser is a cookie-jar client that stops at any redirect leaving Sesame.
type browser struct {
	*http.Client
	t      testing.TB
	issuer string
}

func (e *env) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, issuer: e.issuer}
	b.Client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), e.issuer) {
			return http.ErrUseLastResponse
		}
		if via[len(via)-1].Method == http.MethodPost && req.Response != nil && req.Response.StatusCode == http.StatusTemporaryRedirect {
			t.Errorf("307 after POST to %s", via[len(via)-1].URL)
		}
		return nil
	}}
	return b
}

type page struct {
	status   int
	body     string
	location string
	header   http.Header
	url      *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), header: resp.Header, url: resp.Request.URL}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.issuer)
	return b.do(req)
}

var hiddenRE = regexp.MustCompile(`name="(id|csrf)" value="([^"]*)"`)

func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	return v
}

// signIn submits the login form on p (the login page) and returns the final page.
func (b *browser) signIn(p page, email, password string) page {
	b.t.Helper()
	if !strings.Contains(p.body, `autocomplete="current-password"`) {
		b.t.Fatalf("expected the login page, got %d at %s:\n%s", p.status, p.url, p.body)
	}
	form := hidden(p.body)
	form.Set("email", email)
	form.Set("password", password)
	return b.post(b.issuer+"/login", form)
}

// authorize starts a code flow with PKCE and returns the RP's callback parameters after
// signing in (or nil page when Sesame answered without redirecting).
func (e *env) authorizeURL(cfg *oauth2.Config, state, nonce string, challenge string, extra ...oauth2.AuthCodeOption) string {
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce)}
	if challenge != "" {
		opts = append(opts, oauth2.SetAuthURLParam("code_challenge", challenge), oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	return cfg.AuthCodeURL(state, append(opts, extra...)...)
}

// callbackParams parses the redirect to the RP.
func callbackParams(t testing.TB, p page, wantPrefix string) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, wantPrefix) {
		t.Fatalf("want a 302 to %s, got %d Location=%q at %s:\n%.600s", wantPrefix, p.status, p.location, p.url, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// login runs a full code flow for cfg in b and returns the code and verifier.
func (e *env) login(t testing.TB, b *browser, cfg *oauth2.Config, extra ...oauth2.AuthCodeOption) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	p := b.get(e.authorizeURL(cfg, "st-1", "n-1", challenge, extra...))
	if p.status == http.StatusOK {
		p = b.signIn(p, userEmail, userPassword)
	}
	q := callbackParams(t, p, cfg.RedirectURL)
	if q.Get("code") == "" || q.Get("state") != "st-1" || q.Get("iss") != e.issuer {
		t.Fatalf("callback params = %v", q)
	}
	return q.Get("code"), verifier
}

// tokenPost calls the token endpoint directly.
func (e *env) tokenPost(t testing.TB, c registered, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.ID != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	return doJSON(t, req)
}

func doJSON(t testing.TB, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{"_raw": string(b)}
	}
	return resp.StatusCode, m, resp.Header
}

// introspect asks as acme's resource server (e.api).
func (e *env) introspect(t testing.TB, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.api.ID, e.api.Secret)
	code, m, _ := doJSON(t, req)
	if code != http.StatusOK {
		t.Fatalf("introspect: %d %v", code, m)
	}
	return m
}

func (e *env) revoke(t testing.TB, c registered, token, hint string) {
	t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	if code, m, _ := doJSON(t, req); code != http.StatusOK {
		t.Fatalf("revoke: %d %v", code, m)
	}
}

func (e *env) userinfo(t testing.TB, access string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	code, m, _ := doJSON(t, req)
	return code, m
}

// pkce is testserver.PKCE: a fresh verifier and its S256 challenge.
var pkce = testserver.PKCE

// wantDead checks that a grant's tokens are revoked: each access token (introspection by
// the resource server inactive, userinfo 401 invalid_token), then the refresh token
// (inactive for its client c, then invalid_grant at cfg's token endpoint). The access
// tokens come first: presenting a revoked refresh token would revoke them by itself.
func (e *env) wantDead(t *testing.T, what string, c registered, cfg *oauth2.Config, refresh string, access ...string) {
	t.Helper()
	for i, at := range access {
		if m := e.introspect(t, at); m["active"] != false {
			t.Errorf("%s: access token %d introspects %v, want inactive", what, i, m)
		}
		req, _ := http.NewRequest(http.MethodGet, e.issuer+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		code, _, h := doJSON(t, req)
		if code != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: access token %d at userinfo: %d WWW-Authenticate=%q, want 401 invalid_token", what, i, code, h.Get("WWW-Authenticate"))
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {refresh}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	if _, m, _ := doJSON(t, req); m["active"] != false {
		t.Errorf("%s: refresh token introspects %v for its client, want inactive", what, m)
	}
	if _, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refresh}).Token(); !isOAuthError(err, "invalid_grant") {
		t.Errorf("%s: refresh %v, want invalid_grant", what, err)
	}
}
