package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/testserver"
)

// nativeApp is a public client's side of the test: it serves on http://127.0.0.1:PORT,
// another site than Sesame's https://localhost:PORT, a page that POSTs an authorization
// request to Sesame by itself (/post?state=…) and the redirect URI (/cb, by query or
// form_post), where it exchanges the code and shows whose login finished, and how.
type nativeApp struct {
	h        *testserver.Harness
	id       string
	srv      *httptest.Server
	mu       sync.Mutex
	requests map[string]url.Values // by state: the authorization request
	verifier map[string]string     // by state: its PKCE verifier
}

func newNativeApp(t *testing.T, h *testserver.Harness) *nativeApp {
	a := &nativeApp{h: h, requests: map[string]url.Values{}, verifier: map[string]string{}}
	a.id = h.Register(t, client.NewClient{Name: "Native app", Public: true, RedirectURIs: []string{"http://127.0.0.1/cb"}}).ID
	mux := http.NewServeMux()
	mux.HandleFunc("GET /post", a.post)
	mux.HandleFunc("/cb", a.callback)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// request prepares an authorization request with state, and returns its URL at Sesame.
func (a *nativeApp) request(state string, extra url.Values) string {
	verifier, challenge := pkce()
	q := url.Values{
		"client_id": {a.id}, "redirect_uri": {a.srv.URL + "/cb"}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {state}, "nonce": {"n-" + state},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests[state], a.verifier[state] = q, verifier
	return a.h.URL + "/authorize?" + q.Encode()
}

var autoPost = template.Must(template.New("").Parse(`<!doctype html><title>App</title>
<form method="post" action="{{.Action}}">{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}</form>
<script>document.forms[0].submit()</script>`))

// post serves the page of another site that POSTs the request of ?state= to Sesame.
func (a *nativeApp) post(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	q := a.requests[r.URL.Query().Get("state")]
	a.mu.Unlock()
	_ = autoPost.Execute(w, struct {
		Action template.URL
		Fields url.Values
	}{template.URL(a.h.URL + "/authorize"), q})
}

// callback exchanges the code (PKCE, no secret: a public client) and reports to the test.
func (a *nativeApp) callback(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	state := r.Form.Get("state")
	a.mu.Lock()
	verifier, ok := a.verifier[state]
	a.mu.Unlock()
	if !ok {
		http.Error(w, "unknown state", http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "<!doctype html><title>App</title><p id=app>%s: %s</p>", template.HTMLEscapeString(state),
		template.HTMLEscapeString(a.exchange(r, verifier)))
}

func (a *nativeApp) exchange(r *http.Request, verifier string) string {
	if r.Form.Get("iss") != a.h.URL || r.Form.Get("code") == "" {
		return fmt.Sprintf("callback without a code from %s: %v", a.h.URL, r.Form)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {r.Form.Get("code")}, "client_id": {a.id},
		"redirect_uri": {a.srv.URL + "/cb"}, "code_verifier": {verifier}}
	c := &http.Client{Transport: a.h.CA.Transport(), Timeout: 30 * time.Second}
	resp, err := c.PostForm(a.h.URL+"/oauth/token", form)
	if err != nil {
		return "token request: " + err.Error()
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.IDToken == "" {
		return fmt.Sprintf("token response %d without an ID token (%v)", resp.StatusCode, err)
	}
	return "ok"
}

// landing waits until the tab shows, in a page it has not left (see signIn), the app's
// callback page (#app), Sesame's login form (#email) or an error (p.error), and says which.
func landing(ctx context.Context) (string, error) {
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body:not([data-left]) :is(#app, #email, p.error)`))); err != nil {
		return "", err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#app") || document.querySelector("p.error") || {textContent: "login form"}).textContent`))
}

// signIn fills and submits the login form the tab shows, marking the page as left.
func signIn(ctx context.Context) error {
	return chromedp.Do(ctx,
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, userEmail),
		chromedp.SendKeys(`#password`, userPassword),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.body.setAttribute("data-left", "")`)(ctx, t)
			return err
		}),
		chromedp.Click(`button[type=submit]`),
	)
}

// cookies returns the cookies the browser holds for url, by name (DevTools protocol).
func cookies(ctx context.Context, url string) (map[string]*network.Cookie, error) {
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	})
	m := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m, err
}

// Over https (a CA made by the test; the browser accepts its server key and no other
// untrusted one), a real browser keeps Sesame's cookies as __Host- cookies, Secure,
// HttpOnly, SameSite=Lax and host-only, and sends them back: after one sign-in, its
// session answers an authorization request that a page of another site POSTs (SSO, no
// login form), and that POST leaves another login in progress in the same browser able to
// finish (Sesame answers a POST with a 303 to the same request by GET, which carries the
// Lax cookies a cross-site POST does not). A form_post answer goes to a native app's
// private-use scheme, and the page's CSP lets it. Sesame here is app.New's handler (what
// `sesame serve` runs) behind httptest's TLS listener (testserver.Options.HTTPS).
func TestBrowserHTTPS(t *testing.T) {
	chromium(t)
	h := testserver.Start(t, testserver.Options{HTTPS: true})
	app := newNativeApp(t, h)
	tab := browse(t, chromedp.Flag("ignore-certificate-errors-spki-list", h.CA.SPKIHash()))

	// 1. Sign in once: the app gets its code by query.
	if err := chromedp.Do(tab, chromedp.Navigate(app.request("first", nil))); err != nil {
		t.Fatalf("open the authorization request: %v", err)
	}
	if got, err := landing(tab); err != nil || got != "login form" {
		t.Fatalf("first authorization request landed on %q (%v), want the login form", got, err)
	}
	if err := signIn(tab); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if got, err := landing(tab); err != nil || got != "first: ok" {
		t.Fatalf("first login landed on %q (%v), want the app's callback", got, err)
	}
	jar, err := cookies(tab, h.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"__Host-sesame_session", "__Host-sesame_bind"} {
		c := jar[name]
		if c == nil {
			t.Fatalf("the browser holds no %s cookie for %s: %v", name, h.URL, jar)
		}
		if !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Domain != "localhost" {
			t.Errorf("%s: Secure %v, HttpOnly %v, SameSite %q, Path %q, Domain %q; want Secure, HttpOnly, Lax, /, host-only localhost",
				name, c.Secure, c.HTTPOnly, c.SameSite, c.Path, c.Domain)
		}
	}
	binding := jar["__Host-sesame_bind"].Value

	// 2. Another tab starts a login that asks for the password again, and leaves it open.
	pending, cancel := chromedp.NewContext(tab)
	defer cancel()
	if err := chromedp.Do(pending, chromedp.Navigate(app.request("pending", url.Values{"prompt": {"login"}}))); err != nil {
		t.Fatalf("open the pending login: %v", err)
	}
	if got, err := landing(pending); err != nil || got != "login form" {
		t.Fatalf("prompt=login landed on %q (%v), want the login form", got, err)
	}

	// 3. A page of another site POSTs an authorization request (answered by form_post):
	// the session answers it, no login form.
	cross, cancel := chromedp.NewContext(tab)
	defer cancel()
	app.request("cross-site", url.Values{"response_mode": {"form_post"}})
	if err := chromedp.Do(cross, chromedp.Navigate(app.srv.URL+"/post?state=cross-site")); err != nil {
		t.Fatalf("open the other site's page: %v", err)
	}
	if got, err := landing(cross); err != nil || got != "cross-site: ok" {
		t.Fatalf("cross-site POST to /authorize landed on %q (%v), want the app's callback by SSO", got, err)
	}
	if jar, err := cookies(tab, h.URL); err != nil || jar["__Host-sesame_bind"] == nil || jar["__Host-sesame_bind"].Value != binding {
		t.Errorf("binding cookie after the cross-site POST: %v (%v), want it unchanged", jar["__Host-sesame_bind"], err)
	}

	// 4. The login left open finishes.
	if err := signIn(pending); err != nil {
		t.Fatalf("finish the pending login: %v", err)
	}
	if got, err := landing(pending); err != nil || got != "pending: ok" {
		t.Fatalf("pending login landed on %q (%v), want the app's callback", got, err)
	}

	// 5. form_post to a native app's private-use scheme (SSO answers at once): the browser
	// submits the form there, past the page's Content-Security-Policy.
	native := h.Register(t, client.NewClient{Name: "Native scheme", Public: true, RedirectURIs: []string{privateUseCB}})
	_, challenge := pkce()
	q := url.Values{"client_id": {native.ID}, "redirect_uri": {privateUseCB}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"scheme"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "response_mode": {"form_post"}}
	to, outcome, err := submitted(tab, h.URL+"/authorize?"+q.Encode())
	if err != nil || to != privateUseCB || outcome != "net::ERR_BLOCKED_BY_CLIENT" {
		t.Errorf("form_post to %s: the form went to %q and ended with %q (%v); want %[1]s, handed to the "+
			"app's (absent) scheme handler: net::ERR_BLOCKED_BY_CLIENT (a CSP block is net::ERR_ABORTED)", privateUseCB, to, outcome, err)
	}
}

const privateUseCB = "com.example.app:/cb"

// submitted opens url in the tab and follows the first form submission it leads to: where
// the form went, and, when that was privateUseCB, the network error that ended it (the
// browser has no handler for the scheme; a navigation the page's CSP forbids ends
// otherwise).
func submitted(ctx context.Context, url string) (to, outcome string, err error) {
	_, err = chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		requested := cdp.Events(ctx, t, cdppage.FrameRequestedNavigation)
		started := cdp.Events(ctx, t, cdppage.FrameStartedNavigating)
		failed := cdp.Events(ctx, t, network.LoadingFailed)
		if _, err := chromedp.Navigate(url)(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		for ev, err := range requested {
			if err != nil {
				return chromedp.Void{}, err
			}
			if ev.Reason == cdppage.ClientNavigationReasonFormSubmissionPost {
				to = ev.URL
				break
			}
		}
		if to != privateUseCB {
			return chromedp.Void{}, nil
		}
		var loader string
		for ev, err := range started {
			if err != nil {
				return chromedp.Void{}, err
			}
			if ev.URL == privateUseCB {
				loader = string(ev.LoaderID)
				break
			}
		}
		for ev, err := range failed {
			if err != nil {
				return chromedp.Void{}, err
			}
			if string(ev.RequestID) == loader {
				outcome = ev.ErrorText
				break
			}
		}
		return chromedp.Void{}, nil
	})
	return to, outcome, err
}
