package oidcop_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// browser is one user agent at base (the issuer): a cookie jar, and no redirect followed
// by itself, so that every test sees each hop of a flow.
type browser struct {
	base string
	c    *http.Client
}

func newBrowser(t testing.TB, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{base: base, c: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// reply is one HTTP answer, read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) location() string { return r.header.Get("Location") }

func (r reply) String() string {
	return fmt.Sprintf("%d Location=%q\n%s", r.status, r.location(), truncate(r.body, 600))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (b *browser) do(t testing.TB, req *http.Request) reply {
	t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// get fetches path (relative to the issuer, as Sesame's Location headers are).
func (b *browser) get(t testing.TB, path string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.do(t, req)
}

// post submits a form to path as a same-origin page would.
func (b *browser) post(t testing.TB, path string, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(t, req)
}

// cookie returns the value of the browser's cookie name at the issuer, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// startLogin sends the authorization request q and returns the login transaction it
// started (Sesame redirects to /login?id=TX).
func (b *browser) startLogin(t testing.TB, q url.Values) string {
	t.Helper()
	r := b.get(t, "/authorize?"+q.Encode())
	id, ok := strings.CutPrefix(r.location(), "/login?id=")
	if r.status != http.StatusFound || !ok || id == "" {
		t.Fatalf("GET /authorize = %v, want 302 to /login?id=", r)
	}
	return id
}

var formField = regexp.MustCompile(`name="(id|csrf)" value="([^"]*)"`)

// loginForm reads the login page of transaction id and fills it with the seeded user's
// credentials.
func (b *browser) loginForm(t testing.TB, id string) url.Values {
	t.Helper()
	page := b.get(t, "/login?id="+url.QueryEscape(id))
	if page.status != http.StatusOK {
		t.Fatalf("GET /login = %v, want the login page", page)
	}
	form := url.Values{"email": {testserver.Email}, "password": {testserver.Password}}
	for _, m := range formField.FindAllStringSubmatch(page.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("id") != id || form.Get("csrf") == "" {
		t.Fatalf("login page of %s has fields %v", id, form)
	}
	return form
}

// password passes the password step of transaction id through the login page and returns
// the answer to the POST.
func (b *browser) password(t testing.TB, id string) reply {
	t.Helper()
	return b.post(t, "/login", b.loginForm(t, id))
}

// signIn runs the authorization request q through the login page to its answer: the
// redirect to the relying party.
func (b *browser) signIn(t testing.TB, q url.Values) reply {
	t.Helper()
	id := b.startLogin(t, q)
	r := b.password(t, id)
	if want := "/authorize/callback?id=" + id; r.status != http.StatusSeeOther || r.location() != want {
		t.Fatalf("POST /login = %v, want 303 to %s", r, want)
	}
	return b.get(t, r.location())
}

// authParams is a valid authorization request of clientID for redirect, with state
// "st-1", a nonce and the S256 challenge.
func authParams(clientID, redirect, challenge string) url.Values {
	return url.Values{
		"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
}

// answered checks that r redirects to the relying party at redirect with iss and the
// request's state, and returns the redirect's parameters.
func answered(t testing.TB, r reply, redirect, issuer string) url.Values {
	t.Helper()
	u, err := url.Parse(r.location())
	if r.status != http.StatusFound || err != nil || !strings.HasPrefix(r.location(), redirect+"?") {
		t.Fatalf("answer = %v, want 302 to %s", r, redirect)
	}
	q := u.Query()
	if q.Get("iss") != issuer || q.Get("state") != "st-1" {
		t.Fatalf("redirect parameters %v: want iss=%s and state=st-1", q, issuer)
	}
	return q
}

// tokenPost calls the token endpoint at issuer as client c (HTTP Basic, RFC 6749 §2.3.1).
func tokenPost(t testing.TB, issuer string, c testserver.Client, form url.Values) (reply, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	r := (&browser{c: &http.Client{Timeout: 30 * time.Second}}).do(t, req)
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("POST /oauth/token: %v, body not JSON: %v", r, err)
	}
	return r, m
}

// checkPageHeaders checks the security headers every Sesame page carries.
func checkPageHeaders(t testing.TB, r reply) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q, want one with frame-ancestors 'none'", csp)
	}
}

// pkce is testserver.PKCE: a fresh verifier and its S256 challenge.
var pkce = testserver.PKCE
