package oidcop_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/testserver"
)

// A valid authorization request sent by POST is answered with a 303 to the same request by
// GET, carrying the parameters Sesame reads as it validated them and setting no cookie: a
// cross-site POST carries none of the browser's SameSite=Lax cookies, so Sesame would see
// no session and would replace the browser's binding cookie, breaking its other logins in
// progress (internal/e2e: TestBrowserHTTPS shows it in Chromium). The GET, with the
// cookies, is answered by the session.
func TestAuthorizePostComesBackAsGet(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h.URL)
	c, verifier := code(t, h, b) // b now has a session and a binding cookie
	_, tok := tokenPost(t, h.URL, h.Web, exchange(c, verifier))
	hint, _ := tok["id_token"].(string)
	if hint == "" {
		t.Fatalf("token response %v has no ID token", tok)
	}
	_, challenge := pkce()
	again := authParams(h.Web.ID, testserver.WebCB, challenge)
	again.Set("prompt", "login")
	pending := b.startLogin(t, again)
	binding := b.cookie(httpx.BindingCookie)

	posted := authParams(h.Web.ID, testserver.WebCB, challenge)
	for k, v := range map[string]string{
		"scope": "openid email unknown email", "prompt": "consent unknown", "max_age": "3600",
		"response_mode": "form_post", "login_hint": testserver.Email, "id_token_hint": hint,
		"display": "page", "ui_locales": "fr", "acr_values": "aal1", "extra": "dropped",
	} {
		posted.Set(k, v)
	}
	want := authParams(h.Web.ID, testserver.WebCB, challenge)
	for k, v := range map[string]string{
		"scope": "openid email", "prompt": "consent", "max_age": "3600",
		"response_mode": "form_post", "login_hint": testserver.Email, "id_token_hint": hint,
	} {
		want.Set(k, v)
	}
	// A cross-site POST: the browser sends none of its cookies.
	r := newBrowser(t, h.URL).post(t, "/authorize", posted)
	path, query, _ := strings.Cut(r.location(), "?")
	got, err := url.ParseQuery(query)
	if r.status != http.StatusSeeOther || path != "/authorize" || err != nil {
		t.Fatalf("POST /authorize = %v, want 303 to /authorize?…", r)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parameters of the GET (-want +got):\n%s", diff)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("POST /authorize sets %q, want no cookie (it would replace the browser's own)", sc)
	}
	checkRedirectHeaders(t, r)

	// The GET comes with the browser's cookies: its session answers, its binding stays, and
	// its login in progress still finishes.
	sso := b.get(t, r.location())
	if sso.status != http.StatusOK || !strings.Contains(sso.body, `name="code"`) || !strings.Contains(sso.body, `name="state" value="st-1"`) {
		t.Fatalf("GET of the POSTed request = %v, want the form_post page with a code", sso)
	}
	if b.cookie(httpx.BindingCookie) != binding {
		t.Error("the binding cookie changed")
	}
	if r := b.password(t, pending); r.status != http.StatusSeeOther {
		t.Errorf("the login in progress: POST /login = %v, want 303", r)
	}

	// Requests that fail their checks are answered at once, as by GET.
	for name, change := range map[string]func(url.Values){
		"no code_challenge": func(q url.Values) { q.Del("code_challenge") },
		"bad id_token_hint": func(q url.Values) { q.Set("id_token_hint", "x.y.z") },
	} {
		q := authParams(h.Web.ID, testserver.WebCB, challenge)
		change(q)
		if got := answered(t, newBrowser(t, h.URL).post(t, "/authorize", q), testserver.WebCB, h.URL); got.Get("error") == "" {
			t.Errorf("POST with %s: %v, want an error for the client", name, got)
		}
	}
	q := authParams(h.Web.ID, testserver.WebCB, challenge)
	q.Set("state", strings.Repeat("s", 2049))
	if r := newBrowser(t, h.URL).post(t, "/authorize", q); r.status != http.StatusBadRequest || r.location() != "" {
		t.Errorf("POST with a state over 2 KiB = %v, want 400 page", r)
	}
}
