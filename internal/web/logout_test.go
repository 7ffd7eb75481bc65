package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/testserver"
)

// signedIn returns a browser signed in as the seeded user, its session cookie value, and an
// ID token the Web client got from that sign-in.
func signedIn(t *testing.T, h *testserver.Harness) (b *browser, sid, hint string) {
	t.Helper()
	b = newBrowser(t, h)
	code, verifier := b.signIn(testserver.Email, testserver.Password)
	return b, b.cookie(httpx.SessionCookie), idToken(t, h, code, verifier)
}

// checkCookieCleared checks that r deletes the session cookie and b no longer holds it.
func checkCookieCleared(t *testing.T, b *browser, r response) {
	t.Helper()
	if c := r.setCookie(httpx.SessionCookie); c == nil || c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
		t.Errorf("session cookie set to %+v, want it deleted", c)
	}
	if v := b.cookie(httpx.SessionCookie); v != "" {
		t.Errorf("browser still holds the session cookie %q", v)
	}
}

// RP-Initiated Logout with a valid id_token_hint ends the session at once and returns to the
// registered post-logout URI with state, or shows Sesame's own page without one.
func TestEndSessionWithHint(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	for _, tt := range []struct {
		name     string
		method   string
		target   string // post_logout_redirect_uri
		location string // "" for the signed-out page
	}{
		{"GET", http.MethodGet, testserver.WebBye, testserver.WebBye + "?state=x"},
		{"POST", http.MethodPost, testserver.WebBye, testserver.WebBye + "?state=x"},
		{"no post-logout URI", http.MethodGet, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, sid, hint := signedIn(t, h)
			q := url.Values{"id_token_hint": {hint}, "state": {"x"}}
			if tt.target != "" {
				q.Set("post_logout_redirect_uri", tt.target)
			}
			var r response
			if tt.method == http.MethodPost {
				r = b.post("/end_session", q)
			} else {
				r = b.get("/end_session?" + q.Encode())
			}
			if tt.location == "" {
				checkPage(t, r, http.StatusOK, "Signed out")
			} else {
				if r.status != http.StatusFound || r.location() != tt.location {
					t.Errorf("%s /end_session = %d Location %q, want 302 to %s", tt.method, r.status, r.location(), tt.location)
				}
				checkSecurityHeaders(t, r)
			}
			checkCookieCleared(t, b, r)
			if sessionLive(t, h, sid) {
				t.Error("session still live after a logout with a valid hint")
			}
		})
	}
}

// Without a valid hint for this browser's user and a registered URI, Sesame never
// redirects and ends nothing: it asks on its own page.
func TestEndSessionAsks(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	_, _, hint := signedIn(t, h)
	other := h.Register(t, client.NewClient{Name: "Other", RedirectURIs: []string{"https://other.example/cb"}})
	ctx := t.Context()
	o, err := h.Services.Orgs.BySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	const graceEmail, gracePassword = "grace@example.com", "Another long password 2"
	if _, err := h.Services.Users.Create(ctx, account.NewUser{OrgID: o.ID, Email: graceEmail, Name: "Grace", Password: secret.New(gracePassword)}); err != nil {
		t.Fatal(err)
	}
	code, verifier := newBrowser(t, h).signIn(graceEmail, gracePassword)
	graceHint := idToken(t, h, code, verifier)
	for _, tt := range []struct {
		name       string
		query      url.Values
		clientName string // who the page says asked, "" for nobody
	}{
		{"no hint", url.Values{"post_logout_redirect_uri": {testserver.WebBye}, "state": {"x"}}, ""},
		{"unregistered URI", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/bye"}}, "Web"},
		{"altered URI", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {testserver.WebBye + "/"}}, "Web"},
		{"hint of another client", url.Values{"id_token_hint": {hint}, "client_id": {other.ID}, "post_logout_redirect_uri": {testserver.WebBye}}, ""},
		{"hint of another user", url.Values{"id_token_hint": {graceHint}, "post_logout_redirect_uri": {testserver.WebBye}}, "Web"},
		{"not a token", url.Values{"id_token_hint": {"e30.e30.e30"}, "post_logout_redirect_uri": {testserver.WebBye}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, h)
			b.signIn(testserver.Email, testserver.Password)
			sid := b.cookie(httpx.SessionCookie)
			r := b.get("/end_session?" + tt.query.Encode())
			checkPage(t, r, http.StatusOK, "Sign out")
			if c := r.setCookie(httpx.SessionCookie); c != nil {
				t.Errorf("the confirmation page set the session cookie: %+v", c)
			}
			if got := hidden(r.body).Get("csrf"); len(got) != 43 {
				t.Errorf("confirmation form CSRF token = %q", got)
			}
			asked := strings.Contains(r.body, "(requested by <strong>")
			if want := "(requested by <strong>" + tt.clientName + "</strong>)"; tt.clientName != "" && !strings.Contains(r.body, want) || tt.clientName == "" && asked {
				t.Errorf("confirmation page names the wrong client, want %q:\n%s", tt.clientName, r.body)
			}
			if !sessionLive(t, h, sid) {
				t.Error("the session ended without confirmation")
			}
		})
	}
}

// The confirmation form ends the session only with the token derived from this browser's
// session cookie.
func TestEndSessionConfirm(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	for _, tt := range []struct {
		name string
		// csrf returns the token to send, given the one on b's confirmation page.
		csrf   func(t *testing.T, fromPage string) string
		status int
		title  string
		ended  bool
	}{
		{"token from the page", func(_ *testing.T, p string) string { return p }, http.StatusOK, "Signed out", true},
		{"altered token", func(_ *testing.T, p string) string { return p[:len(p)-1] + string(p[len(p)-1]^1) }, http.StatusBadRequest, "Form expired", false},
		{"no token", func(*testing.T, string) string { return "" }, http.StatusBadRequest, "Form expired", false},
		{"token of another session", func(t *testing.T, _ string) string {
			other, _, _ := signedIn(t, h)
			return hidden(other.get("/end_session").body).Get("csrf")
		}, http.StatusBadRequest, "Form expired", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, h)
			b.signIn(testserver.Email, testserver.Password)
			sid := b.cookie(httpx.SessionCookie)
			page := b.get("/end_session")
			checkPage(t, page, http.StatusOK, "Sign out")
			csrf := tt.csrf(t, hidden(page.body).Get("csrf"))
			r := b.post("/end_session/confirm", url.Values{"csrf": {csrf}})
			checkPage(t, r, tt.status, tt.title)
			if live := sessionLive(t, h, sid); live == tt.ended {
				t.Errorf("session live after POST /end_session/confirm = %v, want %v", live, !tt.ended)
			}
			if tt.ended {
				checkCookieCleared(t, b, r)
			} else if c := r.setCookie(httpx.SessionCookie); c != nil {
				t.Errorf("refused confirmation touched the session cookie: %+v", c)
			}
		})
	}
}

// Logout parameters are bounded like the authorization request's: a state that would go back
// in a 60 KB Location header, or an oversized hint or URI, is a 400 page and the session
// stays (outside review).
func TestEndSessionBounds(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b, sid, hint := signedIn(t, h)
	for name, q := range map[string]url.Values{
		"state":                    {"id_token_hint": {hint}, "post_logout_redirect_uri": {testserver.WebBye}, "state": {strings.Repeat("s", 2049)}},
		"post_logout_redirect_uri": {"id_token_hint": {hint}, "post_logout_redirect_uri": {testserver.WebBye + "?" + strings.Repeat("q", 2048)}},
		"id_token_hint":            {"id_token_hint": {hint + strings.Repeat("h", 8193)}},
		"client_id":                {"id_token_hint": {hint}, "client_id": {strings.Repeat("c", 65)}},
		"logout_hint":              {"logout_hint": {strings.Repeat("l", 321)}},
	} {
		r := b.get("/end_session?" + q.Encode())
		checkPage(t, r, http.StatusBadRequest, "Invalid request")
		if loc := r.header.Get("Location"); loc != "" {
			t.Errorf("%s over its bound: redirected to %d bytes", name, len(loc))
		}
	}
	within := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {testserver.WebBye}, "state": {strings.Repeat("s", 2048)}}
	if !sessionLive(t, h, sid) {
		t.Fatal("a refused logout ended the session")
	}
	if r := b.get("/end_session?" + within.Encode()); r.status != http.StatusFound {
		t.Errorf("a 2 KiB state = %d, want the redirect", r.status)
	}
}
