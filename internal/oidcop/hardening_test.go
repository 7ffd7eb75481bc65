package oidcop_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/testserver"
)

// A code or refresh token presented by a client that fails to authenticate is refused with
// 401 invalid_client before anything is looked up: the code and the grant stay as they were,
// and the right client redeems them afterwards.
func TestFailedClientAuthChangesNothing(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	other := h.Register(t, client.NewClient{Name: "Other", RedirectURIs: []string{testserver.WebCB}})
	failures := []struct {
		name string
		post func(form url.Values) reply
	}{
		{"wrong secret, Basic", func(f url.Values) reply {
			return clientPost(t, h.URL, "/oauth/token", testserver.Client{ID: h.Web.ID, Secret: other.Secret}, f)
		}},
		{"wrong secret, form", func(f url.Values) reply {
			f = withForm(f, "client_id", h.Web.ID, "client_secret", "wrong")
			return clientPost(t, h.URL, "/oauth/token", testserver.Client{}, f)
		}},
		{"no secret", func(f url.Values) reply {
			return clientPost(t, h.URL, "/oauth/token", testserver.Client{}, withForm(f, "client_id", h.Web.ID))
		}},
		{"unknown client", func(f url.Values) reply {
			return clientPost(t, h.URL, "/oauth/token", testserver.Client{ID: "no-such-client", Secret: h.Web.Secret}, f)
		}},
	}
	check := func(t *testing.T, form url.Values) {
		t.Helper()
		for _, f := range failures {
			r := f.post(form)
			oauthError(t, r, http.StatusUnauthorized, "invalid_client")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s: WWW-Authenticate = %q, want Basic", f.name, r.header.Get("WWW-Authenticate"))
			}
		}
	}
	t.Run("code", func(t *testing.T) {
		t.Parallel()
		code, verifier := codeFor(t, h, web(h), testserver.Email, "openid offline_access")
		check(t, exchange(code, verifier))
		tok := redeem(t, h, web(h), code, verifier)
		checkTokenWorks(t, h, h.Web, str(tok, "access_token"))
	})
	t.Run("refresh token", func(t *testing.T) {
		t.Parallel()
		tok := tokensFor(t, h, web(h), testserver.Email, "openid offline_access")
		check(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(tok, "refresh_token")}})
		checkTokenWorks(t, h, h.Web, str(tok, "access_token"))
		refreshed(t, h, h.Web, str(tok, "refresh_token"), "by its client after the failed attempts")
	})
}

// withForm returns a copy of f with the pairs kv set.
func withForm(f url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// RFC 9068 §2.1: an access token is typed at+jwt, an ID token JWT; neither passes for the
// other. An access token is no id_token_hint at /authorize (login_required) nor at
// /end_session (the confirmation page), where an expired ID token is not enough either.
func TestTokenTypes(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h.URL)
	verifier, challenge := pkce()
	tok := redeem(t, h, web(h), answered(t, b.signIn(t, authParams(h.Web.ID, testserver.WebCB, challenge)), testserver.WebCB, h.URL).Get("code"), verifier)
	at, id := str(tok, "access_token"), str(tok, "id_token")
	for name, c := range map[string]struct{ token, typ string }{"access token": {at, "at+jwt"}, "ID token": {id, "JWT"}} {
		if head, _ := jwt(t, c.token); head["typ"] != c.typ {
			t.Errorf("%s typ = %v, want %s", name, head["typ"], c.typ)
		}
	}

	t.Run("id_token_hint at /authorize", func(t *testing.T) {
		q := authParams(h.Web.ID, testserver.WebCB, challenge)
		q.Set("prompt", "login") // the session would answer anyway otherwise
		q.Set("id_token_hint", id)
		if r := b.get(t, "/authorize?"+q.Encode()); r.status != http.StatusFound || !strings.HasPrefix(r.location(), "/login?id=") {
			t.Errorf("the ID token as hint = %v, want the login page", r)
		}
		q.Set("id_token_hint", at)
		if got := answered(t, b.get(t, "/authorize?"+q.Encode()), testserver.WebCB, h.URL); got.Get("error") != "login_required" || got.Has("code") {
			t.Errorf("the access token as hint: %v, want login_required and no code", got)
		}
	})

	// endSession asks /end_session to log the browser out with hint, back to the Web client.
	endSession := func(t *testing.T, hint string) reply {
		t.Helper()
		return b.get(t, "/end_session?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {testserver.WebBye}}.Encode())
	}
	asks := func(t *testing.T, r reply) {
		t.Helper()
		if r.status != http.StatusOK || r.location() != "" || !strings.Contains(r.body, "<h1>Sign out</h1>") {
			t.Errorf("GET /end_session = %v, want the confirmation page", r)
		}
		if b.cookie(httpx.SessionCookie) == "" {
			t.Error("the session cookie is gone without confirmation")
		}
	}
	t.Run("access token as logout hint", func(t *testing.T) { asks(t, endSession(t, at)) })
	t.Run("expired ID token as logout hint", func(t *testing.T) {
		h.Clock.Advance(client.DefaultLifetimes.IDTokenTTL + time.Second)
		asks(t, endSession(t, id))
		fresh := tokensFor(t, h, web(h), testserver.Email, "openid")
		if r := endSession(t, str(fresh, "id_token")); r.status != http.StatusFound || !strings.HasPrefix(r.location(), testserver.WebBye) {
			t.Errorf("a live ID token as hint = %v, want 302 to %s", r, testserver.WebBye)
		}
	})
}

// RFC 6750: userinfo takes the token from the Authorization header or a form body, never
// the URL query, and answers a missing, invalid, revoked or expired one with 401 and
// WWW-Authenticate: Bearer error="invalid_token".
func TestUserinfoBearer(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	live := str(tokensFor(t, h, web(h), testserver.Email, "openid email"), "access_token")
	revoked := str(tokensFor(t, h, web(h), testserver.Email, "openid email"), "access_token")
	revoke(t, h, h.Web, revoked, "")
	call := func(method, query, header string, form url.Values) reply {
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, err := http.NewRequestWithContext(t.Context(), method, h.URL+"/userinfo"+query, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		return newBrowser(t, h.URL).do(t, req)
	}
	query := "?" + url.Values{"access_token": {live}}.Encode()
	form := url.Values{"access_token": {live}}
	for _, tt := range []struct {
		name   string
		r      func() reply
		status int
	}{
		{"header", func() reply { return call(http.MethodGet, "", "Bearer "+live, nil) }, http.StatusOK},
		{"form body", func() reply { return call(http.MethodPost, "", "", form) }, http.StatusOK},
		{"query string", func() reply { return call(http.MethodGet, query, "", nil) }, http.StatusUnauthorized},
		{"query string, POST", func() reply { return call(http.MethodPost, query, "", url.Values{}) }, http.StatusBadRequest},
		{"missing", func() reply { return call(http.MethodGet, "", "", nil) }, http.StatusUnauthorized},
		{"garbage", func() reply { return call(http.MethodGet, "", "Bearer not-a-token", nil) }, http.StatusUnauthorized},
		{"another scheme", func() reply { return call(http.MethodGet, "", "Basic "+live, nil) }, http.StatusUnauthorized},
		{"revoked", func() reply { return call(http.MethodGet, "", "Bearer "+revoked, nil) }, http.StatusUnauthorized},
		{"header and body", func() reply { return call(http.MethodPost, "", "Bearer "+live, form) }, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkUserinfoAnswer(t, tt.r(), tt.status)
		})
	}
	t.Run("expired", func(t *testing.T) {
		h.Clock.Advance(client.DefaultLifetimes.AccessTokenTTL + time.Second)
		checkUserinfoAnswer(t, call(http.MethodGet, "", "Bearer "+live, nil), http.StatusUnauthorized)
	})
}

func checkUserinfoAnswer(t *testing.T, r reply, status int) {
	t.Helper()
	switch status {
	case http.StatusOK:
		if r.status != status || object(t, r)["sub"] == nil {
			t.Errorf("userinfo = %v, want 200 with sub", r)
		}
	case http.StatusUnauthorized:
		oauthError(t, r, status, "invalid_token")
		if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, `error="invalid_token"`) {
			t.Errorf(`WWW-Authenticate = %q, want Bearer with error="invalid_token"`, h)
		}
	default:
		oauthError(t, r, status, "invalid_request")
	}
}

// RFC 6749 §2.3.1, §3.2: the token endpoint refuses parameters in the URL query (where logs
// and Referer headers keep them) with invalid_request, before the code is looked up.
func TestTokenEndpointRefusesQuery(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	code, verifier := codeFor(t, h, web(h), testserver.Email, "openid")
	for _, query := range []url.Values{
		{"client_secret": {h.Web.Secret}},
		{"client_id": {h.Web.ID}, "client_secret": {h.Web.Secret}},
		{"code": {code}},
		{"x": {"y"}},
	} {
		r := clientPost(t, h.URL, "/oauth/token?"+query.Encode(), h.Web, exchange(code, verifier))
		oauthError(t, r, http.StatusBadRequest, "invalid_request")
	}
	redeem(t, h, web(h), code, verifier) // not consumed
}

// RFC 7636 §4.1: a code_verifier is 43-128 characters of the unreserved set; anything else
// is invalid_request, even when its S256 is the code's challenge, and leaves the code as it
// was.
func TestCodeVerifierSyntax(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	unreserved := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	for _, tt := range []struct{ name, verifier string }{
		{"42 characters", unreserved[:42]},
		{"129 characters", strings.Repeat(unreserved, 2)[:129]},
		{"'+'", unreserved[:42] + "+"},
		{"'/'", unreserved[:42] + "/"},
		{"'='", unreserved[:42] + "="},
		{"space", unreserved[:21] + " " + unreserved[:21]},
		{"non-ASCII", unreserved[:42] + "é"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A code whose challenge is this verifier's: refused anyway.
			q := authParams(h.Web.ID, testserver.WebCB, secret.S256(tt.verifier))
			code := answered(t, newBrowser(t, h.URL).signIn(t, q), testserver.WebCB, h.URL).Get("code")
			oauthError(t, clientPost(t, h.URL, "/oauth/token", h.Web, exchange(code, tt.verifier)), http.StatusBadRequest, "invalid_request")
			// A code of a good verifier, presented with this one: refused, not consumed.
			code, verifier := codeFor(t, h, web(h), testserver.Email, "openid")
			oauthError(t, clientPost(t, h.URL, "/oauth/token", h.Web, exchange(code, tt.verifier)), http.StatusBadRequest, "invalid_request")
			redeem(t, h, web(h), code, verifier)
		})
	}
	t.Run("43 and 128 characters", func(t *testing.T) {
		t.Parallel()
		for _, v := range []string{unreserved[:43], strings.Repeat(unreserved, 2)[:128]} {
			q := authParams(h.Web.ID, testserver.WebCB, secret.S256(v))
			redeem(t, h, web(h), answered(t, newBrowser(t, h.URL).signIn(t, q), testserver.WebCB, h.URL).Get("code"), v)
		}
	})
}

// A refresh whose signing fails (the active key cannot be opened) changes nothing: the
// rotation comes after the signing, so the same refresh token works once the key is back.
func TestRefreshSurvivesSigningFailure(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	tok := tokensFor(t, h, web(h), testserver.Email, "openid offline_access")
	ctx := t.Context()
	var kid string
	var sealed []byte
	if err := h.Services.Pool.QueryRow(ctx, `SELECT kid, private_key_sealed FROM signing_keys`).Scan(&kid, &sealed); err != nil {
		t.Fatal(err)
	}
	setSealed := func(b []byte) {
		t.Helper()
		if _, err := h.Services.Pool.Exec(ctx, `UPDATE signing_keys SET private_key_sealed = $1 WHERE kid = $2`, b, kid); err != nil {
			t.Fatal(err)
		}
		h.Clock.Advance(signing.CacheTTL) // every process re-reads its keys
	}
	setSealed([]byte("not a sealed key"))
	r := refreshAs(t, h, h.Web, str(tok, "refresh_token"), nil)
	oauthError(t, r, http.StatusInternalServerError, "server_error")
	setSealed(sealed)
	refreshed(t, h, h.Web, str(tok, "refresh_token"), "with the same token once the key is back")
	oauthError(t, refreshAs(t, h, h.Web, str(tok, "refresh_token"), nil), http.StatusBadRequest, "invalid_grant")
}
