package oidcop_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/testserver"
)

// RFC 7662 §4: a caller learns that a token is active only when it was issued to the
// caller, or, for an access token, when the caller is a resource server (--introspect) of
// the organization that registered the token's client. Anyone else gets {"active":false}
// and nothing more.
func TestIntrospectionCallers(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	globex := h.AddTenant(t, "globex", "grace@globex.example")
	other := h.Register(t, client.NewClient{Name: "Other", RedirectURIs: []string{testserver.WebCB}})
	api := h.Register(t, client.NewClient{Name: "API", GrantTypes: []string{client.GrantClientCredentials}, Introspect: true})
	globexAPI := h.Register(t, client.NewClient{OrgID: globex.OrgID, Name: "Globex API", GrantTypes: []string{client.GrantClientCredentials}, Introspect: true})
	tok := tokensFor(t, h, web(h), testserver.Email, "openid email offline_access")
	at, rt := str(tok, "access_token"), str(tok, "refresh_token")
	for _, tt := range []struct {
		name   string
		caller testserver.Client
		token  string
		active bool
	}{
		{"own access token", h.Web, at, true},
		{"access token, another client of the organization", other, at, false},
		{"access token, the organization's resource server", api, at, true},
		{"access token, another organization's resource server", globexAPI, at, false},
		{"own refresh token", h.Web, rt, true},
		{"refresh token, another client of the organization", other, rt, false},
		{"refresh token, the organization's resource server", api, rt, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.active {
				checkInactive(t, h, tt.caller, tt.token)
				return
			}
			if m := checkActive(t, h, tt.caller, tt.token); m["sub"] != h.UserID || m["client_id"] != h.Web.ID {
				t.Errorf("introspection = %v, want sub %s and client_id %s", m, h.UserID, h.Web.ID)
			}
		})
	}
}

// RFC 7009: token_type_hint is only a hint, and revoking a refresh token revokes the access
// tokens of its grant at once; revoking an access token leaves the refresh token alone.
func TestRevocationHints(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	for _, tt := range []struct {
		name    string
		refresh bool // revoke the refresh token (else the access token)
		hint    string
	}{
		{"refresh token, access-token hint", true, "access_token"},
		{"refresh token, refresh-token hint", true, "refresh_token"},
		{"refresh token, no hint", true, ""},
		{"access token, refresh-token hint", false, "refresh_token"},
		{"access token, access-token hint", false, "access_token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := tokensFor(t, h, web(h), testserver.Email, "openid email offline_access")
			at, rt := str(tok, "access_token"), str(tok, "refresh_token")
			if tt.refresh {
				revoke(t, h, h.Web, rt, tt.hint)
				checkTokenRefused(t, h, h.Web, at)
				checkInactive(t, h, h.Web, rt)
				oauthError(t, refreshAs(t, h, h.Web, rt, nil), http.StatusBadRequest, "invalid_grant")
				return
			}
			revoke(t, h, h.Web, at, tt.hint)
			checkTokenRefused(t, h, h.Web, at)
			refreshed(t, h, h.Web, rt, "after revoking the access token")
		})
	}
}

// A client revokes only its own tokens: another client's attempt is answered 200 (RFC 7009
// §2.2) and changes nothing.
func TestRevokeOnlyOwnTokens(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	other := h.Register(t, client.NewClient{Name: "Other", RedirectURIs: []string{testserver.WebCB}})
	tok := tokensFor(t, h, web(h), testserver.Email, "openid email offline_access")
	at, rt := str(tok, "access_token"), str(tok, "refresh_token")
	for _, v := range []string{at, rt} {
		for _, hint := range []string{"", "access_token", "refresh_token"} {
			revoke(t, h, other, v, hint)
		}
	}
	checkTokenWorks(t, h, h.Web, at)
	checkActive(t, h, h.Web, rt)
	refreshed(t, h, h.Web, rt, "after another client's revocations")
}

// A refresh token presented again after its rotation revokes its family and the access
// tokens of its grant at once, the one the rotation issued included.
func TestRefreshReuseRevokesAccessTokens(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	first := tokensFor(t, h, web(h), testserver.Email, "openid email offline_access")
	second := refreshed(t, h, h.Web, str(first, "refresh_token"), "")
	checkTokenWorks(t, h, h.Web, str(second, "access_token"))
	oauthError(t, refreshAs(t, h, h.Web, str(first, "refresh_token"), nil), http.StatusBadRequest, "invalid_grant")
	for _, at := range []string{str(first, "access_token"), str(second, "access_token")} {
		checkTokenRefused(t, h, h.Web, at)
	}
	oauthError(t, refreshAs(t, h, h.Web, str(second, "refresh_token"), nil), http.StatusBadRequest, "invalid_grant")
}

// RP-Initiated Logout with a valid id_token_hint revokes the access tokens of every grant
// issued through the browser session, by a sign-in or by SSO, at once; another browser's
// grants keep theirs. A refresh token (offline_access) outlives the logout, as OpenID
// Connect Core §11 has it: introspection says so and the refresh works.
func TestLogoutRevokesAccessTokens(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	second := rp{h.Register(t, client.NewClient{Name: "Second", RedirectURIs: []string{sharedCB}}), sharedCB}
	b := newBrowser(t, h.URL)
	verifier, challenge := pkce()
	q := authParams(h.Web.ID, testserver.WebCB, challenge)
	q.Set("scope", "openid email offline_access")
	first := redeem(t, h, web(h), answered(t, b.signIn(t, q), testserver.WebCB, h.URL).Get("code"), verifier)
	q = authParams(second.ID, second.redirect, challenge)
	sso := redeem(t, h, second, answered(t, b.get(t, "/authorize?"+q.Encode()), second.redirect, h.URL).Get("code"), verifier)
	elsewhere := tokensFor(t, h, web(h), testserver.Email, "openid email")

	r := b.get(t, "/end_session?"+url.Values{"id_token_hint": {str(first, "id_token")}}.Encode())
	if r.status != http.StatusOK || b.cookie(httpx.SessionCookie) != "" {
		t.Fatalf("GET /end_session with a valid hint = %v, want the signed-out page", r)
	}
	checkTokenRefused(t, h, h.Web, str(first, "access_token"))
	checkTokenRefused(t, h, second.Client, str(sso, "access_token"))
	checkTokenWorks(t, h, h.Web, str(elsewhere, "access_token"))

	checkActive(t, h, h.Web, str(first, "refresh_token"))
	checkTokenWorks(t, h, h.Web, str(refreshed(t, h, h.Web, str(first, "refresh_token"), "after the logout"), "access_token"))
	checkTokenRefused(t, h, h.Web, str(first, "access_token"))
}
