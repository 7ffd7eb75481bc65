package oidcop_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/testserver"
)

// Until the client and its redirect URI are known good, an authorization request is
// answered by Sesame's own error page, never by a redirect to where the request says; after,
// a protocol error goes back to the client with iss (RFC 9207) and state, and no code.
func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	_, challenge := pkce()
	for _, tt := range []struct {
		name   string
		change func(url.Values)
		page   string // the error page's text, or "" for an error sent to the client
		oauth  string // the OAuth error sent to the client
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "no-such-client") }, "Unknown application", ""},
		{"no client", func(q url.Values) { q.Del("client_id") }, "Unknown application", ""},
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, "Invalid redirect", ""},
		{"redirect with a different path", func(q url.Values) { q.Set("redirect_uri", testserver.WebCB+"/x") }, "Invalid redirect", ""},
		{"no code_challenge", func(q url.Values) { q.Del("code_challenge") }, "", "invalid_request"},
		{"plain challenge method", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "", "invalid_request"},
		{"no challenge method", func(q url.Values) { q.Del("code_challenge_method") }, "", "invalid_request"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "token") }, "", "unsupported_response_type"},
		{"no openid scope", func(q url.Values) { q.Set("scope", "email profile") }, "", "invalid_scope"},
		{"request object", func(q url.Values) { q.Set("request", "eyJhbGciOiJub25lIn0.e30.") }, "", "request_not_supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := authParams(h.Web.ID, testserver.WebCB, challenge)
			tt.change(q)
			r := newBrowser(t, h.URL).get(t, "/authorize?"+q.Encode())
			if tt.page == "" {
				got := answered(t, r, testserver.WebCB, h.URL)
				if got.Get("error") != tt.oauth || got.Has("code") {
					t.Errorf("redirect parameters %v, want error=%s and no code", got, tt.oauth)
				}
				return
			}
			if r.status != http.StatusBadRequest || r.location() != "" {
				t.Fatalf("GET /authorize = %v, want 400 without Location", r)
			}
			if !strings.Contains(r.body, tt.page) {
				t.Errorf("error page does not say %q:\n%s", tt.page, r.body)
			}
			checkPageHeaders(t, r)
		})
	}
}

// The callback issues a code only in the browser that started the transaction: a
// finished login replayed from another browser, or an unknown transaction, gets Sesame's
// error page and changes nothing for the browser it belongs to.
func TestCallbackRefused(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	_, challenge := pkce()
	q := authParams(h.Web.ID, testserver.WebCB, challenge)
	owner := newBrowser(t, h.URL)
	id := owner.startLogin(t, q)
	if r := owner.password(t, id); r.status != http.StatusSeeOther {
		t.Fatalf("POST /login = %v, want 303", r)
	}
	// A browser with a binding cookie of its own, from its own authorization request.
	other := newBrowser(t, h.URL)
	other.startLogin(t, q)
	if other.cookie(httpx.BindingCookie) == "" {
		t.Fatal("the other browser has no binding cookie")
	}

	for _, tt := range []struct {
		name string
		b    *browser
		id   string
	}{
		{"finished login from another browser", other, id},
		{"finished login from a browser without cookies", newBrowser(t, h.URL), id},
		{"unknown transaction", owner, uuid.NewString()},
		{"no transaction", owner, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.b.get(t, "/authorize/callback?id="+url.QueryEscape(tt.id))
			if r.status != http.StatusBadRequest || r.location() != "" || strings.Contains(r.body, "code=") {
				t.Fatalf("GET /authorize/callback = %v, want 400 without Location or code", r)
			}
			checkPageHeaders(t, r)
		})
	}

	t.Run("the owner still finishes", func(t *testing.T) {
		got := answered(t, owner.get(t, "/authorize/callback?id="+id), testserver.WebCB, h.URL)
		if got.Get("code") == "" {
			t.Fatalf("redirect parameters %v, want a code", got)
		}
	})
	t.Run("and only once", func(t *testing.T) {
		if r := owner.get(t, "/authorize/callback?id="+id); r.status != http.StatusBadRequest || r.location() != "" {
			t.Fatalf("second GET /authorize/callback = %v, want 400 without Location", r)
		}
	})
}

// A live browser session answers another client's request without a form (SSO), unless
// the request asks for a fresh login; without a session, prompt=none is login_required.
func TestAuthorizeSession(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	const cb2 = "https://rp2.example/cb"
	second := h.Register(t, client.NewClient{Name: "Second", RedirectURIs: []string{cb2}})
	verifier, challenge := pkce()

	signedIn := newBrowser(t, h.URL)
	first := answered(t, signedIn.signIn(t, authParams(h.Web.ID, testserver.WebCB, challenge)), testserver.WebCB, h.URL)
	if first.Get("code") == "" {
		t.Fatalf("first login: redirect parameters %v, want a code", first)
	}

	for _, tt := range []struct {
		name      string
		b         *browser
		prompt    string
		wantLogin bool   // the browser is sent to the login page
		wantError string // else the client gets this error, or a code when ""
	}{
		{"session answers a second client", signedIn, "", false, ""},
		{"session answers prompt=none", signedIn, "none", false, ""},
		{"prompt=login asks again", signedIn, "login", true, ""},
		{"no session, prompt=none", newBrowser(t, h.URL), "none", false, "login_required"},
		{"no session", newBrowser(t, h.URL), "", true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := authParams(second.ID, cb2, challenge)
			if tt.prompt != "" {
				q.Set("prompt", tt.prompt)
			}
			r := tt.b.get(t, "/authorize?"+q.Encode())
			if tt.wantLogin {
				if r.status != http.StatusFound || !strings.HasPrefix(r.location(), "/login?id=") {
					t.Fatalf("GET /authorize = %v, want 302 to the login page", r)
				}
				return
			}
			got := answered(t, r, cb2, h.URL)
			if tt.wantError != "" {
				if got.Get("error") != tt.wantError || got.Has("code") {
					t.Fatalf("redirect parameters %v, want error=%s and no code", got, tt.wantError)
				}
				return
			}
			if got.Get("code") == "" || got.Has("error") {
				t.Fatalf("redirect parameters %v, want a code", got)
			}
			r, tok := tokenPost(t, h.URL, second, url.Values{"grant_type": {"authorization_code"}, "code": {got.Get("code")},
				"redirect_uri": {cb2}, "code_verifier": {verifier}})
			if r.status != http.StatusOK || tok["id_token"] == nil {
				t.Errorf("code exchange = %v, want 200 with an ID token", r)
			}
		})
	}
}
