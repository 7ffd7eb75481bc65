package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func (e *env) introspectAs(t *testing.T, c registered, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	if !basic {
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	}
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth/introspect", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(c.ID, c.Secret)
	}
	code, m, h := doJSON(t, req)
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("introspection Cache-Control = %q", h.Get("Cache-Control"))
	}
	return code, m
}

// Refresh tokens are introspected by the refresh grant's own rule, for the client they were
// issued to; introspecting never revokes anything; client_secret_post works as advertised.
func TestIntrospectRefreshTokens(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	web := e.oauth(e.web, rpCallback)
	code, verifier := e.login(t, e.browser(t), web)
	tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	rt := url.Values{"token": {tok.RefreshToken}}
	if code, m := e.introspectAs(t, e.web, rt, true); code != http.StatusOK || m["active"] != true ||
		m["sub"] != e.userID || m["client_id"] != e.web.ID || m["token_type"] != "refresh_token" {
		t.Errorf("own refresh token: %d %v", code, m)
	}
	if _, m := e.introspectAs(t, e.web2, url.Values{"token": {tok.RefreshToken}}, false); m["active"] != false {
		t.Errorf("another client's refresh token, client_secret_post: %v, want inactive", m)
	}
	if _, m := e.introspectAs(t, e.web, url.Values{"token": {tok.AccessToken}}, false); m["active"] != true {
		t.Errorf("access token with client_secret_post: %v", m)
	}
	for name, c := range map[string]registered{"wrong secret": {e.web.ID, e.web.Secret + "x"}, "unknown": {"nope", "x"}} {
		if code, m := e.introspectAs(t, c, url.Values{"token": {tok.AccessToken}}, true); code != http.StatusUnauthorized || m["error"] != "invalid_client" {
			t.Errorf("%s client: %d %v, want 401 invalid_client", name, code, m)
		}
	}
	next, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if _, m := e.introspectAs(t, e.web, url.Values{"token": {tok.RefreshToken}}, true); m["active"] != false {
		t.Errorf("rotated refresh token: %v, want inactive", m)
	}
	// Introspecting the rotated token did not revoke the family: the successor still refreshes.
	if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: next.RefreshToken}).Token(); err != nil {
		t.Errorf("successor after introspecting its rotated predecessor: %v", err)
	}
	if _, m := e.introspectAs(t, e.web, url.Values{"token": {"garbage"}}, true); m["active"] != false || len(m) != 1 {
		t.Errorf("garbage: %v, want exactly {active:false}", m)
	}
}
