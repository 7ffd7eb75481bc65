package oidcop_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/testserver"
)

// code signs in through the Web client (with offline_access) and returns a fresh code and
// its verifier.
func code(t *testing.T, h *testserver.Harness, b *browser) (string, string) {
	t.Helper()
	verifier, challenge := pkce()
	q := authParams(h.Web.ID, testserver.WebCB, challenge)
	q.Set("scope", "openid email offline_access")
	return answered(t, b.signIn(t, q), testserver.WebCB, h.URL).Get("code"), verifier
}

func exchange(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testserver.WebCB}, "code_verifier": {verifier}}
}

// OPTIONS is a CORS preflight or nothing: op would otherwise serve it as the endpoint,
// with its parameters in the query string and none of Sesame's guards.
func TestOptionsIsOnlyAPreflight(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	for _, path := range []string{"/oauth/token?grant_type=client_credentials", "/oauth/introspect?token=x", "/revoke?token=x", "/userinfo"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, h.URL+path, nil)
		req.SetBasicAuth(h.Web.ID, h.Web.Secret)
		r := newBrowser(t, h.URL).do(t, req)
		if r.status != http.StatusMethodNotAllowed || strings.Contains(r.body, "access_token") || strings.Contains(r.body, "active") {
			t.Errorf("OPTIONS %s without a preflight = %v, want 405", path, r)
		}
		req.Header.Set("Origin", "https://app.example")
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		if r := newBrowser(t, h.URL).do(t, req); r.status >= 300 || r.header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("OPTIONS %s preflight = %v, want the CORS answer", path, r)
		}
	}
}

// What an anonymous caller can make Sesame store is bounded: an oversized request or state
// is refused before anything is stored, and repeated scopes and prompts are kept once.
func TestAuthorizeBounds(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	_, challenge := pkce()
	b := newBrowser(t, h.URL)
	q := authParams(h.Web.ID, testserver.WebCB, challenge)
	q.Set("state", strings.Repeat("s", 2049))
	if r := b.get(t, "/authorize?"+q.Encode()); r.status != http.StatusBadRequest || r.location() != "" {
		t.Errorf("state over 2 KiB = %v, want 400 page", r)
	}
	q = authParams(h.Web.ID, testserver.WebCB, challenge)
	q.Set("login_hint", strings.Repeat("h", 70<<10))
	if r := b.post(t, "/authorize", q); r.status != http.StatusBadRequest || r.location() != "" {
		t.Errorf("POST /authorize of 70 KiB = %v, want 400 page", r)
	}
	for name, change := range map[string]func(url.Values){
		"nonce over 512 bytes":    func(q url.Values) { q.Set("nonce", strings.Repeat("n", 513)) },
		"login_hint too long":     func(q url.Values) { q.Set("login_hint", strings.Repeat("h", 321)) },
		"challenge not S256-long": func(q url.Values) { q.Set("code_challenge", challenge+"A") },
	} {
		q := authParams(h.Web.ID, testserver.WebCB, challenge)
		change(q)
		if got := answered(t, b.get(t, "/authorize?"+q.Encode()), testserver.WebCB, h.URL); got.Get("error") != "invalid_request" {
			t.Errorf("%s: %v, want invalid_request", name, got)
		}
	}
	q = authParams(h.Web.ID, testserver.WebCB, challenge)
	q.Set("scope", strings.TrimSpace(strings.Repeat("openid email ", 500)))
	q.Set("prompt", strings.TrimSpace(strings.Repeat("login ", 500)))
	id := b.startLogin(t, q)
	tx, err := h.Logins.Transaction(t.Context(), id, b.cookie(httpx.BindingCookie))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tx.Request.Scopes, []string{"openid", "email"}) || !slices.Equal(tx.Request.Prompt, []string{"login"}) {
		t.Errorf("stored scopes %v and prompt %v, want each value once", tx.Request.Scopes, tx.Request.Prompt)
	}
}

// A code is taken only by the client it was issued to, authenticated, with the right PKCE
// verifier: anyone else is refused and leaves it usable; after its use, only its client's
// replay revokes what it gave.
func TestCodeOnlyForItsClient(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	other := h.Register(t, client.NewClient{Name: "Other", RedirectURIs: []string{testserver.WebCB}})
	c, verifier := code(t, h, newBrowser(t, h.URL))
	for name, try := range map[string]struct {
		as   testserver.Client
		form url.Values
		want int
	}{
		"no client authentication": {testserver.Client{}, exchange(c, verifier), http.StatusUnauthorized},
		"wrong secret":             {testserver.Client{ID: h.Web.ID, Secret: "wrong"}, exchange(c, verifier), http.StatusUnauthorized},
		"another client":           {other, exchange(c, verifier), http.StatusBadRequest},
		"wrong verifier":           {h.Web, exchange(c, verifier+"x"), http.StatusBadRequest},
	} {
		if r, m := tokenPost(t, h.URL, try.as, try.form); r.status != try.want || m["access_token"] != nil {
			t.Errorf("%s: %v, want %d", name, r, try.want)
		}
	}
	r, m := tokenPost(t, h.URL, h.Web, exchange(c, verifier))
	if r.status != http.StatusOK || m["access_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("the code's own client after the refused attempts: %v", r)
	}
	for _, as := range []testserver.Client{{}, other} {
		tokenPost(t, h.URL, as, exchange(c, verifier))
	}
	if rr, _ := tokenPost(t, h.URL, h.Web, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m["refresh_token"].(string)}}); rr.status != http.StatusOK {
		t.Errorf("refresh after replays by others = %v, want 200 (nothing revoked)", rr)
	}
}

// A refresh that fails because Redis is down consumes nothing: 503 temporarily_unavailable,
// and once Redis is back the same refresh token works exactly once (its next use is reuse).
func TestRefreshSurvivesRedisOutage(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnRedis: true})
	c, verifier := code(t, h, newBrowser(t, h.URL))
	r, m := tokenPost(t, h.URL, h.Web, exchange(c, verifier))
	if m["refresh_token"] == nil {
		t.Fatalf("no refresh token: %v", r)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m["refresh_token"].(string)}}
	h.StopRedis(t)
	if r, m := tokenPost(t, h.URL, h.Web, refresh); r.status != http.StatusServiceUnavailable || m["error"] != "temporarily_unavailable" {
		t.Fatalf("refresh with Redis down = %v, want 503 temporarily_unavailable", r)
	}
	h.RestartRedis(t)
	var last reply
	for range 50 { // go-redis reconnects on the next command
		if last, _ = tokenPost(t, h.URL, h.Web, refresh); last.status != http.StatusServiceUnavailable {
			break
		}
	}
	if last.status != http.StatusOK {
		t.Fatalf("the same refresh token once Redis is back = %v, want 200", last)
	}
	if r, m := tokenPost(t, h.URL, h.Web, refresh); r.status != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("the refresh token used again = %v, want invalid_grant", r)
	}
}

// Redirects between Sesame's own pages carry the pages' security headers.
func TestRedirectsCarryHeaders(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	_, challenge := pkce()
	b := newBrowser(t, h.URL)
	r := b.get(t, "/authorize?"+authParams(h.Web.ID, testserver.WebCB, challenge).Encode())
	if r.status != http.StatusFound || !strings.HasPrefix(r.location(), "/login?id=") {
		t.Fatalf("GET /authorize = %v, want 302 to /login", r)
	}
	checkRedirectHeaders(t, r)
	id := strings.TrimPrefix(r.location(), "/login?id=")
	checkRedirectHeaders(t, b.get(t, "/authorize/callback?id="+id)) // before the password: back to /login
}

func checkRedirectHeaders(t *testing.T, r reply) {
	t.Helper()
	for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options", "Cache-Control"} {
		if r.header.Get(k) == "" {
			t.Errorf("redirect %v has no %s", r, k)
		}
	}
}
