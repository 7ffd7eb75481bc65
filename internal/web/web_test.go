package web_test

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// callbackPath is the provider's callback, where a finished login goes for its code.
const callbackPath = "/authorize/callback"

// browser is a cookie-jar client that follows no redirect: each test sees every hop.
type browser struct {
	t    *testing.T
	h    *testserver.Harness
	c    *http.Client
	jar  *cookiejar.Jar
	site *url.URL // Sesame, for the jar
}

func newBrowser(t *testing.T, h *testserver.Harness) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	site, err := url.Parse(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	stop := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, h: h, jar: jar, site: site, c: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: stop}}
}

// response is what a browser got back.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) location() string { return r.header.Get("Location") }

// setCookie returns the cookie name the response set, or nil.
func (r response) setCookie(name string) *http.Cookie {
	return named((&http.Response{Header: r.header}).Cookies(), name)
}

func named(cookies []*http.Cookie, name string) *http.Cookie {
	if i := slices.IndexFunc(cookies, func(c *http.Cookie) bool { return c.Name == name }); i >= 0 {
		return cookies[i]
	}
	return nil
}

// send makes one request for path at Sesame: a GET when form is nil, otherwise a POST of
// form with the Origin header origin.
func (b *browser) send(path, origin string, form url.Values) response {
	b.t.Helper()
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.h.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	var buf strings.Builder
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		b.t.Fatalf("%s %s: reading the body: %v", method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: buf.String()}
}

// get fetches path (with its query) at Sesame.
func (b *browser) get(path string) response {
	b.t.Helper()
	return b.send(path, "", nil)
}

// post submits form to path at Sesame from Sesame's own origin, as a browser on its pages does.
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	return b.send(path, b.h.URL, form)
}

// postFrom submits form to path from a page of origin.
func (b *browser) postFrom(origin, path string, form url.Values) response {
	b.t.Helper()
	return b.send(path, origin, form)
}

// cookie returns the value of the browser's cookie name for Sesame, or "".
func (b *browser) cookie(name string) string {
	if c := named(b.jar.Cookies(b.site), name); c != nil {
		return c.Value
	}
	return ""
}

// setSessionCookie puts a session cookie value in the browser, as a stolen or kept cookie.
func (b *browser) setSessionCookie(value string) {
	b.jar.SetCookies(b.site, []*http.Cookie{{Name: httpx.SessionCookie, Value: value, Path: "/"}})
}

// authorizePath is an authorization request of the harness's Web client with the PKCE
// challenge, state st-1 and nonce n-1, plus extra.
func authorizePath(h *testserver.Harness, challenge string, extra url.Values) string {
	q, _ := url.ParseQuery("response_type=code&scope=openid+email&state=st-1&nonce=n-1&code_challenge_method=S256")
	q.Set("client_id", h.Web.ID)
	q.Set("redirect_uri", testserver.WebCB)
	q.Set("code_challenge", challenge)
	for k, v := range extra {
		q[k] = v
	}
	return "/authorize?" + q.Encode()
}

// authorize starts a login at /authorize and returns the transaction ID the login page
// was given, and the PKCE verifier.
func (b *browser) authorize(extra url.Values) (id, verifier string) {
	b.t.Helper()
	verifier, challenge := pkce()
	r := b.get(authorizePath(b.h, challenge, extra))
	loc, err := url.Parse(r.location())
	if r.status != http.StatusFound || err != nil || loc.Path != "/login" || loc.Query().Get("id") == "" {
		b.t.Fatalf("GET /authorize = %d Location %q, want 302 to /login?id=...:\n%.400s", r.status, r.location(), r.body)
	}
	return loc.Query().Get("id"), verifier
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// hidden returns a page's hidden form fields.
func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// loginForm opens the login page of transaction id and returns its hidden fields.
func (b *browser) loginForm(id string) url.Values {
	b.t.Helper()
	r := b.get("/login?id=" + url.QueryEscape(id))
	form := hidden(r.body)
	if r.status != http.StatusOK || form.Get("id") != id || form.Get("csrf") == "" {
		b.t.Fatalf("GET /login?id=%s = %d, hidden fields %v, want 200 with the form:\n%.400s", id, r.status, form, r.body)
	}
	return form
}

// withPassword returns form with the email and password fields set.
func withPassword(form url.Values, email, password string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("email", email)
	out.Set("password", password)
	return out
}

// passPassword submits the right password for transaction id, whose form is form.
func (b *browser) passPassword(id string, form url.Values) {
	b.t.Helper()
	r := b.post("/login", withPassword(form, testserver.Email, testserver.Password))
	if want := callbackPath + "?id=" + id; r.status != http.StatusSeeOther || r.location() != want {
		b.t.Fatalf("POST /login = %d Location %q, want 303 to %s:\n%.400s", r.status, r.location(), want, r.body)
	}
}

// signIn runs a whole login as email and returns the code the relying party got and its
// PKCE verifier. The browser then holds a session.
func (b *browser) signIn(email, password string) (code, verifier string) {
	b.t.Helper()
	id, verifier := b.authorize(nil)
	r := b.post("/login", withPassword(b.loginForm(id), email, password))
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("POST /login as %s = %d, want 303:\n%.400s", email, r.status, r.body)
	}
	r = b.get(r.location())
	q := rpCallback(b.t, r)
	if q.Get("code") == "" || q.Get("state") != "st-1" || q.Get("iss") != b.h.URL {
		b.t.Fatalf("callback parameters = %v, want code, state=st-1 and iss=%s", q, b.h.URL)
	}
	return q.Get("code"), verifier
}

// rpCallback returns the parameters of a redirect to the Web client's callback.
func rpCallback(t *testing.T, r response) url.Values {
	t.Helper()
	query, ok := strings.CutPrefix(r.location(), testserver.WebCB+"?")
	q, err := url.ParseQuery(query)
	if r.status != http.StatusFound || !ok || err != nil {
		t.Fatalf("got %d Location %q, want 302 to %s:\n%.400s", r.status, r.location(), testserver.WebCB, r.body)
	}
	return q
}

// idToken exchanges code at the token endpoint as the Web client and returns the ID token.
func idToken(t *testing.T, h *testserver.Harness, code, verifier string) string {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testserver.WebCB}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	// RFC 6749 §2.3.1: the client ID and secret are form-encoded before Basic encoding.
	req.SetBasicAuth(url.QueryEscape(h.Web.ID), url.QueryEscape(h.Web.Secret))
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.IDToken == "" {
		t.Fatalf("POST /oauth/token = %d (decode: %v), want 200 with an id_token", resp.StatusCode, err)
	}
	return tok.IDToken
}

// next returns what transaction id, started by b, needs next.
func (b *browser) next(id string) login.Step {
	b.t.Helper()
	tx, err := b.h.Logins.Transaction(b.t.Context(), id, b.cookie(httpx.BindingCookie))
	if err != nil {
		b.t.Fatalf("Transaction(%s) = %v", id, err)
	}
	return b.h.Logins.Next(tx)
}

// sessionLive reports whether the session with cookie value sid is live.
func sessionLive(t *testing.T, h *testserver.Harness, sid string) bool {
	t.Helper()
	_, err := h.Logins.Session(t.Context(), sid)
	switch {
	case err == nil:
		return true
	case errors.Is(err, login.ErrExpired):
		return false
	}
	t.Fatalf("Session() = %v", err)
	return false
}

// securityHeaders are the headers every page of Sesame carries (over http: no HSTS).
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
	"X-Frame-Options":        "DENY",
	"Referrer-Policy":        "no-referrer",
	"X-Content-Type-Options": "nosniff",
	"Cache-Control":          "no-store",
}

func checkSecurityHeaders(t *testing.T, r response) {
	t.Helper()
	for k, want := range securityHeaders {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// checkPage checks that r is a page of Sesame with status and heading title, carrying the
// security headers, and no redirect.
func checkPage(t *testing.T, r response, status int, title string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d:\n%.600s", r.status, status, r.body)
	}
	if want := "<h1>" + title + "</h1>"; !strings.Contains(r.body, want) {
		t.Errorf("page lacks %s:\n%.600s", want, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.location() != "" {
		t.Errorf("Location = %q, want none", r.location())
	}
	checkSecurityHeaders(t, r)
}

// pkce is testserver.PKCE: a fresh verifier and its S256 challenge.
var pkce = testserver.PKCE
