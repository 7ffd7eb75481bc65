package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

// forwardedFor sends every request with X-Forwarded-For: ip, as a proxy in front of Sesame
// does for a client at ip.
type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

// browserAt is a browser whose requests a trusted proxy forwards for client ip.
func browserAt(t *testing.T, h *testserver.Harness, ip string) *browser {
	b := newBrowser(t, h)
	b.c.Transport = forwardedFor{ip}
	return b
}

// behindProxy: the harness's peer (the test's own loopback client) is a trusted proxy.
func behindProxy(env map[string]string) map[string]string {
	env["SESAME_TRUSTED_PROXIES"] = "127.0.0.1/32,::1/128"
	return env
}

// failLogins fails n sign-ins from b, each with another email (9 per transaction: the
// 10th would end it).
func failLogins(t *testing.T, b *browser, n int) {
	t.Helper()
	var form url.Values
	for i := range n {
		if i%9 == 0 {
			id, _ := b.authorize(nil)
			form = b.loginForm(id)
		}
		email := fmt.Sprintf("user%d@example.com", i)
		checkPage(t, b.post("/login", withPassword(form, email, "wrong password, long enough")), http.StatusOK, "Sign in")
	}
}

// throttledEvents counts the log's throttled events whose attributes start with attrs.
func throttledEvents(logs, attrs string) int {
	n := 0
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, " msg=throttled ") && strings.Contains(l, " "+attrs) {
			n++
		}
	}
	return n
}

// Failed sign-ins are counted per client IP across all accounts (default 20 per 10 min):
// the 21st attempt from one IP, whatever the email, is refused with 429, Retry-After and a
// page before anything is checked (the right password included); another IP signs in. The
// budget refills with the clock (one failure per 30 s), and each burst is one log event.
func TestLoginFailuresPerIP(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: behindProxy(map[string]string{})})
	b := browserAt(t, h, "192.0.2.1")
	failLogins(t, b, 20)

	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	for _, password := range []string{"wrong password, long enough", testserver.Password} {
		r := b.post("/login", withPassword(form, "user21@example.com", password))
		checkPage(t, r, http.StatusTooManyRequests, "Too many requests")
		if got := r.header.Get("Retry-After"); got != "30" {
			t.Errorf("Retry-After = %q, want 30 (one failure's share of 10 min)", got)
		}
	}
	if next := b.next(id); next != "password" {
		t.Errorf("Next after a refused sign-in = %q: the throttled attempt passed a step", next)
	}

	browserAt(t, h, "192.0.2.2").signIn(testserver.Email, testserver.Password)

	logs := h.Logs.String()
	if n := throttledEvents(logs, "limit=login_failures subject=192.0.2.1 "); n != 1 {
		t.Errorf("%d throttled events for one burst, want 1:\n%s", n, logs)
	}

	// A flood that keeps refilling and draining the budget logs once a minute, not once per
	// refill (outside review: 447 lines from one sustained flood).
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{30 * time.Second, 1}, {30 * time.Second, 2}} {
		h.Clock.Advance(step.advance)
		failLogins(t, b, 1)
		checkPage(t, b.post("/login", withPassword(b.loginForm(id), testserver.Email, testserver.Password)), http.StatusTooManyRequests, "Too many requests")
		if n := throttledEvents(h.Logs.String(), "limit=login_failures "); n != step.want {
			t.Errorf("%d throttled events after a refill %s later, want %d", n, step.advance, step.want)
		}
	}
}

// Without trusted proxies, X-Forwarded-For is the client's own claim and is ignored: failures
// sent under ever other forwarded addresses all count against the connection's IP.
func TestSpoofedForwardedForIgnored(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_LOGIN_FAILURES_PER_IP": "3/10m"}})
	for i := range 3 {
		failLogins(t, browserAt(t, h, fmt.Sprintf("198.51.100.%d", i+1)), 1)
	}
	b := browserAt(t, h, "198.51.100.99")
	id, _ := b.authorize(nil)
	checkPage(t, b.post("/login", withPassword(b.loginForm(id), testserver.Email, testserver.Password)), http.StatusTooManyRequests, "Too many requests")
	if logs := h.Logs.String(); !strings.Contains(logs, "subject=127.0.0.1 ") || !strings.Contains(logs, " client_ip=127.0.0.1 ") || strings.Contains(logs, "client_ip=198.51.100") {
		t.Errorf("the limit was not counted on the connection's IP alone:\n%s", logs)
	}
}

// Every login page is limited per client IP: past the budget, 429 with Retry-After and a
// page, for that IP only, until the clock refills it; other routes are not counted.
func TestLoginPagesFlood(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: behindProxy(map[string]string{"SESAME_LOGIN_PAGES_RATE": "3/1m"})})
	a := browserAt(t, h, "203.0.113.7")
	_, challenge := testserver.PKCE()
	for i := range 3 {
		if r := a.get(authorizePath(h, challenge, nil)); r.status != http.StatusFound {
			t.Fatalf("GET /authorize #%d = %d, want 302", i+1, r.status)
		}
	}
	for _, path := range []string{authorizePath(h, challenge, nil), "/login?id=x", "/end_session", callbackPath + "?id=x"} {
		r := a.get(path)
		checkPage(t, r, http.StatusTooManyRequests, "Too many requests")
		if got := r.header.Get("Retry-After"); got != "20" {
			t.Errorf("GET %s: Retry-After = %q, want 20", path, got)
		}
	}
	if r := a.get("/.well-known/openid-configuration"); r.status != http.StatusOK {
		t.Errorf("discovery from the throttled IP = %d, want 200 (not a login page)", r.status)
	}
	if r := browserAt(t, h, "203.0.113.8").get(authorizePath(h, challenge, nil)); r.status != http.StatusFound {
		t.Errorf("GET /authorize from another IP = %d, want 302", r.status)
	}
	h.Clock.Advance(20 * time.Second)
	if r := a.get(authorizePath(h, challenge, nil)); r.status != http.StatusFound {
		t.Errorf("GET /authorize 20 s later = %d, want 302", r.status)
	}
	if n := throttledEvents(h.Logs.String(), "limit=login_pages subject=203.0.113.7 "); n != 1 {
		t.Errorf("%d throttled events for one burst, want 1", n)
	}
}

// postToken posts form to the token endpoint, with HTTP Basic credentials when user is set.
func postToken(t *testing.T, h *testserver.Harness, user string, form url.Values) (*http.Response, map[string]string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), "wrong secret")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// The token endpoint is limited per client_id (Basic or form): past the budget, 429 with
// Retry-After and temporarily_unavailable; another client_id is not affected, and the
// form a throttled-through request carries still reaches the endpoint intact.
func TestTokenFloodPerClient(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_TOKEN_RATE": "2/1m"}})
	form := url.Values{"grant_type": {"client_credentials"}}
	for i := range 2 {
		if resp, body := postToken(t, h, h.Web.ID, form); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Fatalf("token #%d with a wrong secret = %d %v, want 401 invalid_client", i+1, resp.StatusCode, body)
		}
	}
	withID := url.Values{"grant_type": {"client_credentials"}, "client_id": {h.Web.ID}, "client_secret": {"wrong"}}
	for name, send := range map[string]func() (*http.Response, map[string]string){
		"basic": func() (*http.Response, map[string]string) { return postToken(t, h, h.Web.ID, form) },
		"form":  func() (*http.Response, map[string]string) { return postToken(t, h, "", withID) },
	} {
		resp, body := send()
		if resp.StatusCode != http.StatusTooManyRequests || body["error"] != "temporarily_unavailable" || resp.Header.Get("Retry-After") != "30" {
			t.Errorf("%s: token past the budget = %d %v Retry-After %q, want 429 temporarily_unavailable, 30", name, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	// A client_id in Basic is form-encoded (RFC 6749 §2.3.1): "odd id" sent either way is
	// one budget.
	odd := url.Values{"grant_type": {"client_credentials"}, "client_id": {"odd id"}, "client_secret": {"x"}}
	for range 2 {
		postToken(t, h, "", odd)
	}
	if resp, _ := postToken(t, h, "odd id", form); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("Basic odd+id after two form posts as \"odd id\" = %d, want 429", resp.StatusCode)
	}
	other := url.Values{"grant_type": {"client_credentials"}, "client_id": {"other-client"}, "client_secret": {"x"}}
	if resp, body := postToken(t, h, "", other); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("token of another client_id = %d %v, want 401 invalid_client (its own budget; the form reached the endpoint)", resp.StatusCode, body)
	}
}

// The token endpoint is also limited per client IP, whatever client_id a request names: a
// flood that invents a client_id per request (each a 401 costing a client lookup) meets it
// (outside review: 4,000 such requests were never throttled).
func TestTokenFloodPerIP(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_TOKEN_IP_RATE": "3/1m"}})
	form := url.Values{"grant_type": {"client_credentials"}}
	for i := range 3 {
		if resp, body := postToken(t, h, fmt.Sprintf("invented-%d", i), form); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Fatalf("token #%d = %d %v, want 401 invalid_client", i+1, resp.StatusCode, body)
		}
	}
	resp, body := postToken(t, h, "invented-3", form)
	if resp.StatusCode != http.StatusTooManyRequests || body["error"] != "temporarily_unavailable" || resp.Header.Get("Retry-After") != "20" {
		t.Errorf("a 4th invented client_id from one IP = %d %v Retry-After %q, want 429, 20", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	h.Clock.Advance(20 * time.Second)
	if resp, _ := postToken(t, h, "invented-4", form); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after the budget refilled one = %d, want 401", resp.StatusCode)
	}
}

// With Redis down, the limits fail closed: the login pages and the token endpoint answer
// 503, and the limit is what answered.
func TestThrottleRedisDown(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnRedis: true})
	b := newBrowser(t, h)
	h.StopRedis(t)
	_, challenge := testserver.PKCE()
	checkPage(t, b.get(authorizePath(h, challenge, nil)), http.StatusServiceUnavailable, "Temporarily unavailable")
	if resp, body := postToken(t, h, h.Web.ID, url.Values{"grant_type": {"client_credentials"}}); resp.StatusCode != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
		t.Errorf("token with Redis down = %d %v, want 503 temporarily_unavailable", resp.StatusCode, body)
	}
	for _, limit := range []string{"login_pages: rate limit", "token_ip: rate limit"} {
		if !strings.Contains(h.Logs.String(), limit) {
			t.Errorf("no %q failure logged:\n%s", limit, h.Logs)
		}
	}
}

// Each sign-in attempt is counted before anything is checked, in one atomic step: of 20
// wrong passwords posted at once from one IP (distinct emails, so no lockout), with a budget
// of 5, exactly 5 are checked and 15 get 429 without a password verification.
func TestLoginFailuresPerIPConcurrent(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_LOGIN_FAILURES_PER_IP": "5/10m"}})
	type post struct {
		b    *browser
		form url.Values
	}
	var posts []post
	for i := range 4 {
		b := newBrowser(t, h)
		id, _ := b.authorize(nil)
		form := b.loginForm(id)
		for j := range 5 {
			posts = append(posts, post{b, withPassword(form, fmt.Sprintf("user%d-%d@example.com", i, j), "wrong password, long enough")})
		}
	}
	statuses := make([]int, len(posts))
	testenv.Together(len(posts), func(i int) {
		statuses[i] = posts[i].b.post("/login", posts[i].form).status
	})
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 5 || counts[http.StatusTooManyRequests] != 15 {
		t.Errorf("statuses of 20 parallel failures with a budget of 5 = %v, want 5 × 200 and 15 × 429", counts)
	}
	if n := strings.Count(h.Logs.String(), `msg="login failed"`); n != 5 {
		t.Errorf("%d passwords checked, want 5", n)
	}
}

// A sign-in that succeeds gives its attempt back: successes never spend the failure budget.
func TestLoginSuccessNotCounted(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_LOGIN_FAILURES_PER_IP": "2/10m"}})
	for range 3 {
		newBrowser(t, h).signIn(testserver.Email, testserver.Password)
	}
	b := newBrowser(t, h)
	failLogins(t, b, 2)
	id, _ := b.authorize(nil)
	checkPage(t, b.post("/login", withPassword(b.loginForm(id), testserver.Email, testserver.Password)), http.StatusTooManyRequests, "Too many requests")
}
