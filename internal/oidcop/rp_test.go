package oidcop_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testserver"
)

// What relying parties and resource servers do with tokens: the tests of the token,
// userinfo, introspection and revocation endpoints share these.

// clientPost posts form to path at the issuer as client c (HTTP Basic, RFC 6749 §2.3.1;
// no Authorization header for a zero c) and returns the answer.
func clientPost(t testing.TB, issuer, path string, c testserver.Client, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c != (testserver.Client{}) {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	return (&browser{c: &http.Client{Timeout: 30 * time.Second}}).do(t, req)
}

// object decodes r's JSON object body.
func object(t testing.TB, r reply) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body of %v is not a JSON object: %v", r, err)
	}
	return m
}

// oauthError checks that r is an OAuth error answer with status and code.
func oauthError(t testing.TB, r reply, status int, code string) {
	t.Helper()
	if r.status != status || object(t, r)["error"] != code {
		t.Errorf("answer = %v, want %d %s", r, status, code)
	}
}

// signInAs runs the authorization request q through the login page as the user email
// (password testserver.Password) and returns the answer of the callback.
func (b *browser) signInAs(t testing.TB, q url.Values, email string) reply {
	t.Helper()
	id := b.startLogin(t, q)
	form := b.loginForm(t, id)
	form.Set("email", email)
	r := b.post(t, "/login", form)
	if want := "/authorize/callback?id=" + id; r.status != http.StatusSeeOther || r.location() != want {
		t.Fatalf("POST /login as %s = %v, want 303 to %s", email, r, want)
	}
	return b.get(t, r.location())
}

// rp is a relying party of the harness: a client and its redirect URI.
type rp struct {
	testserver.Client
	redirect string
}

// web is the harness's seeded client.
func web(h *testserver.Harness) rp { return rp{h.Web, testserver.WebCB} }

// codeFor signs email in at the relying party in a fresh browser, asking for scope, and
// returns the code and its PKCE verifier.
func codeFor(t testing.TB, h *testserver.Harness, c rp, email, scope string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	q := authParams(c.ID, c.redirect, challenge)
	q.Set("scope", scope)
	return answered(t, newBrowser(t, h.URL).signInAs(t, q, email), c.redirect, h.URL).Get("code"), verifier
}

// redeem exchanges a code at the token endpoint as c and returns the token response.
func redeem(t testing.TB, h *testserver.Harness, c rp, code, verifier string) map[string]any {
	t.Helper()
	r := clientPost(t, h.URL, "/oauth/token", c.Client, exchangeAt(code, verifier, c.redirect))
	if r.status != http.StatusOK {
		t.Fatalf("code exchange = %v, want 200", r)
	}
	return object(t, r)
}

// exchangeAt is the token request redeeming code for redirect with verifier.
func exchangeAt(code, verifier, redirect string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
}

// tokensFor signs email in at c asking for scope and returns the token response.
func tokensFor(t testing.TB, h *testserver.Harness, c rp, email, scope string) map[string]any {
	t.Helper()
	code, verifier := codeFor(t, h, c, email, scope)
	return redeem(t, h, c, code, verifier)
}

// str returns m[key] when it is a string, "" otherwise.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// refreshAs presents a refresh token at the token endpoint as c, with the scope parameter
// when scope is not nil.
func refreshAs(t testing.TB, h *testserver.Harness, c testserver.Client, refreshToken string, scope *string) reply {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if scope != nil {
		form.Set("scope", *scope)
	}
	return clientPost(t, h.URL, "/oauth/token", c, form)
}

// refreshed presents a refresh token as c, which must work (why says when), and returns
// the token response.
func refreshed(t testing.TB, h *testserver.Harness, c testserver.Client, refreshToken, why string) map[string]any {
	t.Helper()
	r := refreshAs(t, h, c, refreshToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("refresh %s = %v, want 200", why, r)
	}
	return object(t, r)
}

// introspect asks the introspection endpoint about tok as caller.
func introspect(t testing.TB, h *testserver.Harness, caller testserver.Client, tok string) reply {
	t.Helper()
	r := clientPost(t, h.URL, "/oauth/introspect", caller, url.Values{"token": {tok}})
	if r.status != http.StatusOK {
		t.Fatalf("POST /oauth/introspect = %v, want 200", r)
	}
	return r
}

// inactiveBody is RFC 7662 §2.2's whole answer for a token the caller may not learn about.
const inactiveBody = `{"active":false}`

// checkInactive checks that caller learns nothing of tok but that it is not active.
func checkInactive(t testing.TB, h *testserver.Harness, caller testserver.Client, tok string) {
	t.Helper()
	if r := introspect(t, h, caller, tok); strings.TrimSpace(r.body) != inactiveBody {
		t.Errorf("introspection = %s, want exactly %s", r.body, inactiveBody)
	}
}

// checkActive checks that caller learns tok is active, and returns the answer.
func checkActive(t testing.TB, h *testserver.Harness, caller testserver.Client, tok string) map[string]any {
	t.Helper()
	m := object(t, introspect(t, h, caller, tok))
	if m["active"] != true {
		t.Errorf("introspection = %v, want active", m)
	}
	return m
}

// userinfo calls the userinfo endpoint with tok in the Authorization header.
func userinfo(t testing.TB, h *testserver.Harness, tok string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.URL+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return newBrowser(t, h.URL).do(t, req)
}

// checkTokenRefused checks that userinfo and introspection (by the token's own client c)
// both refuse the access token tok.
func checkTokenRefused(t testing.TB, h *testserver.Harness, c testserver.Client, tok string) {
	t.Helper()
	if r := userinfo(t, h, tok); r.status != http.StatusUnauthorized {
		t.Errorf("userinfo = %v, want 401", r)
	}
	checkInactive(t, h, c, tok)
}

// checkTokenWorks checks that userinfo answers for the access token tok and that its own
// client c learns it is active.
func checkTokenWorks(t testing.TB, h *testserver.Harness, c testserver.Client, tok string) {
	t.Helper()
	if r := userinfo(t, h, tok); r.status != http.StatusOK {
		t.Errorf("userinfo = %v, want 200", r)
	}
	checkActive(t, h, c, tok)
}

// revoke asks the revocation endpoint to revoke tok as c, with token_type_hint hint.
func revoke(t testing.TB, h *testserver.Harness, c testserver.Client, tok, hint string) {
	t.Helper()
	form := url.Values{"token": {tok}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if r := clientPost(t, h.URL, "/revoke", c, form); r.status != http.StatusOK {
		t.Fatalf("POST /revoke = %v, want 200", r)
	}
}

// jwt returns the decoded header and claims of a compact JWS (the signature unchecked:
// what a relying party reads after verifying it).
func jwt(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", tok)
	}
	decode := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWS part %q: %v", s, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("JWS part %s: %v", b, err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1])
}
