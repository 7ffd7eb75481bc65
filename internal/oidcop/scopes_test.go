package oidcop_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/testserver"
)

// checkScope checks that a token response r grants exactly scope, and that its access
// token and introspection (by c) say the same.
func checkScope(t *testing.T, h *testserver.Harness, c testserver.Client, r reply, scope string) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("token request = %v, want 200", r)
	}
	m := object(t, r)
	_, claims := jwt(t, str(m, "access_token"))
	for name, got := range map[string]any{
		"token response": m["scope"], "access token": claims["scope"],
		"introspection": checkActive(t, h, c, str(m, "access_token"))["scope"],
	} {
		if got != scope {
			t.Errorf("%s: scope = %v, want %q", name, got, scope)
		}
	}
	return m
}

// client_credentials grants only scopes the client was registered with: all of them when
// it asks for none, invalid_scope for anything else.
func TestClientCredentialsScopes(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	svc := h.Register(t, client.NewClient{Name: "Service", GrantTypes: []string{client.GrantClientCredentials}, Scopes: []string{"read", "write"}})
	for _, tt := range []struct {
		name, scope string // scope "-": no scope parameter
		want        string // the granted scope, or "" for invalid_scope
	}{
		{"unregistered scope", "admin", ""},
		{"registered and unregistered", "read admin", ""},
		{"openid is no client's own scope", "openid", ""},
		{"one registered", "read", "read"},
		{"each once", "write read write", "write read"},
		{"omitted: every registered scope", "-", "read write"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			form := url.Values{"grant_type": {"client_credentials"}}
			if tt.scope != "-" {
				form.Set("scope", tt.scope)
			}
			r := clientPost(t, h.URL, "/oauth/token", svc, form)
			if tt.want == "" {
				oauthError(t, r, http.StatusBadRequest, "invalid_scope")
				return
			}
			checkScope(t, h, svc, r, tt.want)
		})
	}
}

// In the code flow unknown scopes are dropped and the token response says what was
// granted; a refresh never widens the scope, and a narrowed scope stays narrowed at the
// next refresh that names none (RFC 6749 §6).
func TestCodeFlowScopes(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	app := rp{h.Register(t, client.NewClient{Name: "App", RedirectURIs: []string{sharedCB}, Scopes: []string{"read", "write"}}), sharedCB}
	tok := checkScope(t, h, app.Client, tokenResponse(t, h, app, "openid email read admin offline_access unknown:x"), "openid email read offline_access")
	rt := str(tok, "refresh_token")
	scope := func(s string) *string { return &s }

	for _, wider := range []string{
		"openid email read offline_access write", // registered, but not granted
		"openid profile",                         // an OpenID scope not granted
		"openid admin",                           // never registered
	} {
		oauthError(t, refreshAs(t, h, app.Client, rt, scope(wider)), http.StatusBadRequest, "invalid_scope")
	}
	// Refused, not consumed: the same token narrows the grant.
	tok = checkScope(t, h, app.Client, refreshAs(t, h, app.Client, rt, scope("openid read offline_access")), "openid read offline_access")
	tok = checkScope(t, h, app.Client, refreshAs(t, h, app.Client, str(tok, "refresh_token"), nil), "openid read offline_access")
	// An empty scope parameter is the parameter omitted, not a request for nothing.
	tok = checkScope(t, h, app.Client, refreshAs(t, h, app.Client, str(tok, "refresh_token"), scope("")), "openid read offline_access")
	oauthError(t, refreshAs(t, h, app.Client, str(tok, "refresh_token"), scope("openid email offline_access")), http.StatusBadRequest, "invalid_scope")
	checkScope(t, h, app.Client, refreshAs(t, h, app.Client, str(tok, "refresh_token"), scope("openid offline_access")), "openid offline_access")
}

// tokenResponse signs the seeded user in at c asking for scope, and returns the answer to
// the code exchange.
func tokenResponse(t *testing.T, h *testserver.Harness, c rp, scope string) reply {
	t.Helper()
	code, verifier := codeFor(t, h, c, testserver.Email, scope)
	return clientPost(t, h.URL, "/oauth/token", c.Client, exchangeAt(code, verifier, c.redirect))
}
