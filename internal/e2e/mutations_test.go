package e2e

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/testserver"
)

// Revocation (RFC 7009) from outside: a client revokes only its own tokens (another
// client's attempt is answered 200 and changes nothing, whatever the hint); the hint is
// only a hint; revoking a refresh token revokes its family and the access tokens of its
// grant.
func TestRevocationOwnTokensOnly(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	web := e.oauth(e.web, rpCallback)
	tok := e.loginAs(t, e.browser(t), web, userEmail, userPassword)

	others := map[string]registered{"another code-flow client": e.web2, "a service client": e.service, "the resource server": e.api}
	for name, c := range others {
		for _, hint := range []string{"", "access_token", "refresh_token"} {
			e.revoke(t, c, tok.AccessToken, hint) // 200 (§2.2), or it fails the test
			e.revoke(t, c, tok.RefreshToken, hint)
		}
		if m := e.introspect(t, tok.AccessToken); m["active"] != true {
			t.Errorf("after %s revoked web's tokens: access token introspects %v, want active", name, m)
		}
		if code, _ := e.userinfo(t, tok.AccessToken); code != http.StatusOK {
			t.Errorf("after %s revoked web's tokens: userinfo %d, want 200", name, code)
		}
		if _, m := e.introspectAs(t, e.web, url.Values{"token": {tok.RefreshToken}}, true); m["active"] != true {
			t.Errorf("after %s revoked web's tokens: refresh token introspects %v, want active", name, m)
		}
	}
	next, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh after other clients' revocations: %v", err)
	}

	// Its own refresh token, with the wrong hint: revoked, with its grant's access tokens.
	e.revoke(t, e.web, next.RefreshToken, "access_token")
	e.wantDead(t, "grant whose refresh token was revoked with an access_token hint", e.web, web, next.RefreshToken,
		tok.AccessToken, next.AccessToken)

	// Its own access token, with the wrong hint: revoked.
	tok = e.loginAs(t, e.browser(t), web, userEmail, userPassword)
	e.revoke(t, e.web, tok.AccessToken, "refresh_token")
	if m := e.introspect(t, tok.AccessToken); m["active"] != false {
		t.Errorf("access token revoked with a refresh_token hint: %v, want inactive", m)
	}
}

// The refresh idle cap, from outside with Sesame's clock moved: a refresh token unused for
// the client's idle lifetime (1m here) is refused; each rotation starts the idle time
// again, so a chain used often lives past it.
func TestRefreshIdleCap(t *testing.T) {
	h := testserver.Start(t, testserver.Options{})
	idle := h.Register(t, client.NewClient{Name: "Idle", RedirectURIs: []string{rpCallback}, Lifetimes: &client.Lifetimes{
		AccessTokenFormat: client.FormatJWT, AccessTokenTTL: 5 * time.Minute, IDTokenTTL: 5 * time.Minute,
		RefreshIdleTTL: time.Minute, RefreshAbsoluteTTL: time.Hour,
	}})
	e := &env{issuer: h.URL, web: registered{idle.ID, idle.Secret}}
	var err error
	if e.provider, err = oidc.NewProvider(context.Background(), h.URL); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := e.oauth(e.web, rpCallback)
	b := e.browser(t)
	a := e.loginAs(t, b, cfg, userEmail, userPassword).RefreshToken
	unused := e.loginAs(t, b, cfg, "", "").RefreshToken // a second grant, never refreshed

	refresh := func(when, rt string, ok bool) string {
		t.Helper()
		next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
		if ok && err != nil {
			t.Fatalf("%s: refresh %v, want a new token", when, err)
		}
		if !ok && !isOAuthError(err, "invalid_grant") {
			t.Fatalf("%s: refresh %v, want invalid_grant", when, err)
		}
		if next == nil {
			return ""
		}
		return next.RefreshToken
	}
	h.Clock.Advance(50 * time.Second)
	a = refresh("unused 50s", a, true)
	h.Clock.Advance(50 * time.Second)
	a = refresh("unused 50s, 100s after sign-in", a, true)
	if _, m := e.introspectAs(t, e.web, url.Values{"token": {unused}}, true); m["active"] != false {
		t.Errorf("refresh token unused 100s introspects %v, want inactive", m)
	}
	refresh("the other grant's token, unused 100s", unused, false)
	h.Clock.Advance(59 * time.Second)
	a = refresh("unused 59s", a, true)
	h.Clock.Advance(time.Minute)
	refresh("unused 60s", a, false)
}
