package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestProtocol(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	web := e.oauth(e.web, rpCallback)

	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := e.login(t, e.browser(t), web)
		status, body, _ := e.tokenPost(t, e.web, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {rpCallback}, "code_verifier": {oauth2.GenerateVerifier()}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("wrong verifier: %d %v, want 400 invalid_grant", status, body)
		}
	})

	t.Run("PKCE required and S256 only", func(t *testing.T) {
		for name, c := range map[string]registered{"public": e.native, "confidential": e.web} {
			redirect := rpCallback
			if c == e.native {
				redirect = nativeCB
			}
			cfg := e.oauth(c, redirect)
			b := e.browser(t)
			q := callbackParams(t, b.get(e.authorizeURL(cfg, "s", "n", "")), redirect)
			if q.Get("error") != "invalid_request" || q.Get("iss") != e.issuer || q.Get("state") != "s" {
				t.Errorf("%s client without code_challenge: %v", name, q)
			}
			_, challenge := pkce()
			q = callbackParams(t, b.get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", challenge),
				oauth2.SetAuthURLParam("code_challenge_method", "plain"))), redirect)
			if q.Get("error") != "invalid_request" {
				t.Errorf("%s client with plain: %v", name, q)
			}
		}
	})

	t.Run("response_type and form_post and POST", func(t *testing.T) {
		b := e.browser(t)
		_, challenge := pkce()
		u := e.authorizeURL(web, "s", "n", challenge, oauth2.SetAuthURLParam("response_type", "token"))
		q := callbackParams(t, b.get(u), rpCallback)
		if q.Get("error") != "unsupported_response_type" || q.Get("iss") != e.issuer {
			t.Errorf("response_type=token: %v", q)
		}
		// A POSTed authorization request, answered by form_post, with a state that needs escaping.
		state := `a"b<c>&d`
		form := url.Values{"client_id": {e.web.ID}, "redirect_uri": {rpCallback}, "response_type": {"code"},
			"scope": {"openid"}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
			"response_mode": {"form_post"}}
		p := b.post(e.issuer+"/authorize", form)
		p = b.signIn(p, userEmail, userPassword)
		if p.status != http.StatusOK || !strings.Contains(p.body, `action="https://rp.example/cb"`) ||
			!strings.Contains(p.body, `name="state" value="a&#34;b&lt;c&gt;&amp;d"`) || !strings.Contains(p.body, `name="iss" value="`+e.issuer+`"`) ||
			!strings.Contains(p.body, `name="code"`) {
			t.Errorf("form_post page: %d\n%s", p.status, p.body)
		}
		checkPageHeaders(t, "form_post", p.header)
		if strings.Contains(p.body, "<script>") {
			t.Error("form_post page has an inline script")
		}
	})

	t.Run("code replay revokes the first use's tokens", func(t *testing.T) {
		code, verifier := e.login(t, e.browser(t), web)
		tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if e.introspect(t, tok.AccessToken)["active"] != true {
			t.Fatal("access token inactive before replay")
		}
		if _, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier)); !isOAuthError(err, "invalid_grant") {
			t.Errorf("second use of a code: %v, want invalid_grant", err)
		}
		if e.introspect(t, tok.AccessToken)["active"] != false {
			t.Error("access token from the first use still active after replay")
		}
		if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); !isOAuthError(err, "invalid_grant") {
			t.Errorf("refresh token from the first use after replay: %v, want invalid_grant", err)
		}
	})

	t.Run("refresh rotation and family revocation", func(t *testing.T) {
		code, verifier := e.login(t, e.browser(t), web)
		tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		rt1 := tok.RefreshToken
		t2, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: rt1}).Token()
		if err != nil || t2.RefreshToken == "" || t2.RefreshToken == rt1 {
			t.Fatalf("refresh: %v, new refresh token %q", err, t2.RefreshToken)
		}
		if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: rt1}).Token(); !isOAuthError(err, "invalid_grant") {
			t.Errorf("replayed refresh token: %v, want invalid_grant", err)
		}
		if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: t2.RefreshToken}).Token(); !isOAuthError(err, "invalid_grant") {
			t.Errorf("newest refresh token after a replay: %v, want invalid_grant (family revoked)", err)
		}
		// RFC 7009: revoking a refresh token revokes its family.
		code, verifier = e.login(t, e.browser(t), web)
		tok, _ = web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		t3, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		e.revoke(t, e.web, t3.RefreshToken, "refresh_token")
		if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: t3.RefreshToken}).Token(); !isOAuthError(err, "invalid_grant") {
			t.Errorf("revoked refresh token: %v, want invalid_grant", err)
		}
	})

	t.Run("client credentials and client authentication", func(t *testing.T) {
		status, body, h := e.tokenPost(t, e.service, url.Values{"grant_type": {"client_credentials"}})
		if status != http.StatusOK || body["access_token"] == nil || h.Get("Cache-Control") != "no-store" {
			t.Errorf("client_credentials: %d %v Cache-Control=%q", status, body, h.Get("Cache-Control"))
		}
		if e.introspect(t, body["access_token"].(string))["active"] != true {
			t.Error("client_credentials token inactive")
		}
		// client_secret_post works too.
		status, body, _ = e.tokenPost(t, registered{}, url.Values{"grant_type": {"client_credentials"},
			"client_id": {e.service.ID}, "client_secret": {e.service.Secret}})
		if status != http.StatusOK {
			t.Errorf("client_secret_post: %d %v", status, body)
		}
		for name, c := range map[string]registered{
			"wrong secret":   {e.service.ID, e.service.Secret + "x"},
			"unknown client": {"nope", "x"},
			"no secret":      {e.service.ID, ""},
		} {
			status, body, h := e.tokenPost(t, c, url.Values{"grant_type": {"client_credentials"}})
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" || h.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %v WWW-Authenticate=%q, want 401 invalid_client with a challenge", name, status, body, h.Get("WWW-Authenticate"))
			}
		}
		if status, body, _ := e.tokenPost(t, e.web, url.Values{"grant_type": {"client_credentials"}}); status == http.StatusOK {
			t.Errorf("client_credentials for a client without that grant: %d %v", status, body)
		}
		for _, g := range []string{"password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:device_code"} {
			if status, body, _ := e.tokenPost(t, e.web, url.Values{"grant_type": {g}}); status != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
				t.Errorf("grant_type=%s: %d %v", g, status, body)
			}
		}
	})

	t.Run("introspection, revocation and userinfo", func(t *testing.T) {
		for name, c := range map[string]registered{"jwt": e.web, "opaque": e.opaque} {
			redirect := rpCallback
			if c == e.opaque {
				redirect = "https://rp3.example/cb"
			}
			cfg := e.oauth(c, redirect)
			code, verifier := e.login(t, e.browser(t), cfg)
			tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			if c == e.opaque && len(strings.Split(tok.AccessToken, ".")) == 3 {
				t.Errorf("opaque client got a JWT access token")
			}
			if got := e.introspect(t, tok.AccessToken); got["active"] != true || got["sub"] != e.userID {
				t.Errorf("%s: introspection before revocation = %v", name, got)
			}
			if code, _ := e.userinfo(t, tok.AccessToken); code != http.StatusOK {
				t.Errorf("%s: userinfo before revocation = %d", name, code)
			}
			e.revoke(t, c, tok.AccessToken, "access_token")
			if got := e.introspect(t, tok.AccessToken); got["active"] != false {
				t.Errorf("%s: introspection after revocation = %v", name, got)
			}
			if code, _ := e.userinfo(t, tok.AccessToken); code == http.StatusOK {
				t.Errorf("%s: userinfo accepted a revoked token", name)
			}
		}
		if got := e.introspect(t, "not-a-token"); got["active"] != false {
			t.Errorf("introspection of garbage = %v", got)
		}
	})

	t.Run("unregistered redirect URI gets an error page", func(t *testing.T) {
		b := e.browser(t)
		_, challenge := pkce()
		for _, u := range []string{
			e.authorizeURL(e.oauth(e.web, "https://evil.example/cb"), "s", "n", challenge),
			e.authorizeURL(e.oauth(registered{ID: "unknown"}, rpCallback), "s", "n", challenge),
		} {
			p := b.get(u)
			if p.status != http.StatusBadRequest || p.location != "" || !strings.Contains(p.body, "<h1>") {
				t.Errorf("%s: %d Location=%q", u, p.status, p.location)
			}
			checkPageHeaders(t, "error", p.header)
		}
	})

	t.Run("prompt, max_age and SSO", func(t *testing.T) {
		b := e.browser(t)
		_, challenge := pkce()
		none := oauth2.SetAuthURLParam("prompt", "none")
		q := callbackParams(t, b.get(e.authorizeURL(web, "s", "n", challenge, none)), rpCallback)
		if q.Get("error") != "login_required" || q.Get("iss") != e.issuer {
			t.Errorf("prompt=none without a session: %v", q)
		}
		code, verifier := e.login(t, b, web)
		first := authTime(t, e, web, code, verifier)

		// A second client completes without any form (SSO), and prompt=none works now.
		web2 := e.oauth(e.web2, rp2Callback)
		_, challenge = pkce()
		p := b.get(e.authorizeURL(web2, "st-1", "n-1", challenge))
		if q := callbackParams(t, p, rp2Callback); q.Get("code") == "" {
			t.Errorf("SSO for a second client: %v", q)
		}
		p = b.get(e.authorizeURL(web, "st-1", "n-1", challenge, none))
		if q := callbackParams(t, p, rpCallback); q.Get("code") == "" {
			t.Errorf("prompt=none with a session: %v", q)
		}

		time.Sleep(1100 * time.Millisecond) // auth_time has one-second resolution
		// prompt=login asks for the password again and moves auth_time.
		v, challenge := pkce()
		p = b.get(e.authorizeURL(web, "st-1", "n-1", challenge, oauth2.SetAuthURLParam("prompt", "login")))
		if p.status != http.StatusOK {
			t.Fatalf("prompt=login did not show the login form: %d %s", p.status, p.location)
		}
		q = callbackParams(t, b.signIn(p, userEmail, userPassword), rpCallback)
		second := authTime(t, e, web, q.Get("code"), v)
		if !second.After(first) {
			t.Errorf("auth_time after prompt=login = %v, want after %v", second, first)
		}

		time.Sleep(1100 * time.Millisecond)
		// max_age shorter than the session's age forces a new sign-in too.
		v, challenge = pkce()
		p = b.get(e.authorizeURL(web, "st-1", "n-1", challenge, oauth2.SetAuthURLParam("max_age", "1")))
		if p.status != http.StatusOK {
			t.Fatalf("max_age=1 on an older session did not show the login form: %d %s", p.status, p.location)
		}
		q = callbackParams(t, b.signIn(p, userEmail, userPassword), rpCallback)
		if third := authTime(t, e, web, q.Get("code"), v); !third.After(second) {
			t.Errorf("auth_time after max_age = %v, want after %v", third, second)
		}
	})

	t.Run("logout", func(t *testing.T) {
		b := e.browser(t)
		code, verifier := e.login(t, b, web)
		tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		hint := tok.Extra("id_token").(string)
		endURL := func(v url.Values) string { return e.issuer + "/end_session?" + v.Encode() }

		// No valid hint, or a URI not registered: Sesame's own page, never a redirect.
		parts := strings.Split(hint, ".")
		noneHint := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte("forged-signature-forged-signature"))
		for name, v := range map[string]url.Values{
			"no hint":       {"post_logout_redirect_uri": {"https://rp.example/bye"}},
			"alg none":      {"id_token_hint": {noneHint}, "post_logout_redirect_uri": {"https://rp.example/bye"}},
			"bad signature": {"id_token_hint": {forged}, "post_logout_redirect_uri": {"https://rp.example/bye"}},
			"unregistered":  {"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}},
			"altered":       {"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://rp.example/bye/"}},
			"other client":  {"id_token_hint": {hint}, "client_id": {e.web2.ID}, "post_logout_redirect_uri": {"https://rp.example/bye"}},
		} {
			p := b.get(endURL(v))
			if p.status != http.StatusOK || p.location != "" || !strings.Contains(p.body, "Do you want to sign out") {
				t.Errorf("%s: %d Location=%q", name, p.status, p.location)
			}
			checkPageHeaders(t, "logout", p.header)
		}
		// The session survived all of those.
		_, challenge := pkce()
		if q := callbackParams(t, b.get(e.authorizeURL(web, "s", "n", challenge, oauth2.SetAuthURLParam("prompt", "none"))), rpCallback); q.Get("code") == "" {
			t.Fatalf("session ended by an unconfirmed logout: %v", q)
		}
		p := b.get(endURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://rp.example/bye"}, "state": {"bye-1"}}))
		if p.status != http.StatusFound || p.location != "https://rp.example/bye?state=bye-1" {
			t.Fatalf("valid logout: %d Location=%q", p.status, p.location)
		}
		q := callbackParams(t, b.get(e.authorizeURL(web, "s", "n", challenge, oauth2.SetAuthURLParam("prompt", "none"))), rpCallback)
		if q.Get("error") != "login_required" {
			t.Errorf("prompt=none after logout: %v", q)
		}
	})
}

// authTime exchanges code and returns the ID token's auth_time.
func authTime(t *testing.T, e *env, cfg *oauth2.Config, code, verifier string) time.Time {
	t.Helper()
	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := e.provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AuthTime int64 `json:"auth_time"`
	}
	_ = idt.Claims(&c)
	return time.Unix(c.AuthTime, 0)
}

func isOAuthError(err error, code string) bool {
	re, ok := err.(*oauth2.RetrieveError)
	return ok && re.ErrorCode == code
}
