package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

const wrongPassword = "wrong password, long enough"

// attempt posts one password in a fresh login of browser b and returns the response and
// the page with the transaction's ID, CSRF token and the typed email replaced, for comparing.
func (b *browser) attempt(email, password string) (response, string) {
	b.t.Helper()
	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	r := b.post("/login", withPassword(form, email, password))
	return r, strings.NewReplacer(id, "TX", form.Get("csrf"), "CSRF", email, "EMAIL").Replace(r.body)
}

// lockedPage checks that r refuses the attempt with the wait: the sign-in form, status 200,
// no session.
func lockedPage(t *testing.T, r response, wait string) {
	t.Helper()
	checkPage(t, r, http.StatusOK, "Sign in")
	if want := "Too many failed sign-ins. Wait " + wait + " and try again."; !strings.Contains(r.body, want) {
		t.Errorf("page lacks %q:\n%.800s", want, r.body)
	}
	if c := r.setCookie(httpx.SessionCookie); c != nil {
		t.Errorf("a locked attempt set a session cookie")
	}
}

// After five failures without the device cookie, even the right password is refused with
// the wait (30 s, then 1 min after a further failure); the owner on a browser holding their
// device cookie keeps signing in meanwhile; a forged cookie or another user's counts as none;
// once the wait is over the right password signs in and resets the count.
func TestLockout(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	owner := newBrowser(t, h)
	owner.signIn(testserver.Email, testserver.Password)
	device := owner.cookie(httpx.DeviceCookie)
	if device == "" {
		t.Fatal("a successful sign-in set no device cookie")
	}
	other := newBrowser(t, h)
	createUser(t, h, "other@example.com", account.StatusActive)
	other.signIn("other@example.com", testserver.Password)

	attacker := newBrowser(t, h)
	for i := range 5 {
		r, _ := attacker.attempt(testserver.Email, wrongPassword)
		if !strings.Contains(r.body, "Invalid email or password") {
			t.Fatalf("failure %d: %.600s", i+1, r.body)
		}
	}
	r, _ := attacker.attempt(testserver.Email, testserver.Password)
	lockedPage(t, r, "30 seconds")

	forged := newBrowser(t, h)
	for name, value := range map[string]string{"forged": "Zm9yZ2Vk", "another user's": other.cookie(httpx.DeviceCookie)} {
		forged.jar.SetCookies(forged.site, []*http.Cookie{{Name: httpx.DeviceCookie, Value: value, Path: "/"}})
		r, _ := forged.attempt(testserver.Email, testserver.Password)
		t.Run(name+" device cookie", func(t *testing.T) { lockedPage(t, r, "30 seconds") })
	}

	// The owner on another browser holding only the device cookie (no session): not delayed.
	known := newBrowser(t, h)
	known.jar.SetCookies(known.site, []*http.Cookie{{Name: httpx.DeviceCookie, Value: device, Path: "/"}})
	known.signIn(testserver.Email, testserver.Password)

	h.Clock.Advance(30 * time.Second)
	attacker.attempt(testserver.Email, wrongPassword) // the sixth failure: 1 min
	r, _ = attacker.attempt(testserver.Email, testserver.Password)
	lockedPage(t, r, "1 minute")
	h.Clock.Advance(time.Minute)
	attacker.signIn(testserver.Email, testserver.Password)
	later := newBrowser(t, h) // no session, so each attempt reaches the form
	for i := range 4 {
		if r, _ := later.attempt(testserver.Email, wrongPassword); !strings.Contains(r.body, "Invalid email or password") {
			t.Fatalf("failure %d after a success: %.600s", i+1, r.body)
		}
	}
	logs := h.Logs.String()
	for _, want := range []string{"event=lockout email=" + testserver.Email + " class=unknown failures=5 delay=30s", "event=lockout_refused email=" + testserver.Email + " class=unknown"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
}

// createUser adds a user of the harness's organization with the harness's password.
func createUser(t *testing.T, h *testserver.Harness, email string, status account.Status) {
	t.Helper()
	ctx := t.Context()
	if _, err := h.Services.Users.Create(ctx, account.NewUser{OrgID: h.OrgID, Email: email, Password: secret.New(testserver.Password)}); err != nil {
		t.Fatal(err)
	}
	if status == account.StatusDisabled {
		if _, err := h.Services.Users.SetDisabled(ctx, email, true); err != nil {
			t.Fatal(err)
		}
	}
}

// Unknown email, wrong password and disabled account get the same page (modulo the form
// token and the typed email); a locked email gets the same locked page whether the account
// exists or not.
func TestLockoutNoEnumeration(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	createUser(t, h, "disabled@example.com", account.StatusDisabled)
	b := newBrowser(t, h)
	pages := map[string]string{}
	for name, in := range map[string][2]string{
		"wrong password": {testserver.Email, wrongPassword},
		"unknown email":  {"nobody@example.com", wrongPassword},
		"disabled":       {"disabled@example.com", testserver.Password},
	} {
		r, page := b.attempt(in[0], in[1])
		checkPage(t, r, http.StatusOK, "Sign in")
		pages[name] = page
	}
	for _, name := range []string{"unknown email", "disabled"} {
		if diff := cmp.Diff(pages["wrong password"], pages[name]); diff != "" {
			t.Errorf("wrong password and %s pages differ:\n%s", name, diff)
		}
	}
	locked := map[string]string{}
	for _, email := range []string{testserver.Email, "nobody@example.com"} {
		for range 4 {
			b.attempt(email, wrongPassword)
		}
		r, page := b.attempt(email, testserver.Password)
		lockedPage(t, r, "30 seconds")
		locked[email] = page
	}
	if diff := cmp.Diff(locked[testserver.Email], locked["nobody@example.com"]); diff != "" {
		t.Errorf("locked pages of an existing and an unknown email differ:\n%s", diff)
	}
}

// 50 wrong passwords sent together one failure below the threshold: one is checked (one
// "login failed" line: the password was verified), the 49 others get the wait without any
// verification.
func TestLockoutParallel(t *testing.T) {
	t.Parallel()
	// The 54 attempts come from one IP: its failure budget (TestLoginFailuresPerIP) is raised
	// so that the lockout alone answers them.
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_LOGIN_FAILURES_PER_IP": "1000/10m"}})
	const email = "parallel@example.com"
	b := newBrowser(t, h)
	for range 4 {
		b.attempt(email, wrongPassword)
	}
	type form struct {
		b    *browser
		form url.Values
	}
	forms := make([]form, 50)
	for i := range forms {
		fb := newBrowser(t, h)
		id, _ := fb.authorize(nil)
		forms[i] = form{fb, withPassword(fb.loginForm(id), email, wrongPassword)}
	}
	failed := func() int { // "login failed" lines: a password was verified
		n := 0
		for _, line := range strings.Split(h.Logs.String(), "\n") {
			if strings.Contains(line, `msg="login failed"`) && strings.Contains(line, " email="+email+" ") {
				n++
			}
		}
		return n
	}
	before := failed()
	var locked atomic.Int64
	testenv.Together(len(forms), func(i int) {
		if r := forms[i].b.post("/login", forms[i].form); strings.Contains(r.body, "Wait 30 seconds") {
			locked.Add(1)
		}
	})
	verified := failed() - before
	if verified != 1 || locked.Load() != 49 {
		t.Errorf("%d passwords verified, %d answered with the wait; want 1 and 49", verified, locked.Load())
	}
}

// An email carrying CR LF or an ANSI escape adds no line of its own to the log.
func TestLockoutLogInjection(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	for _, email := range []string{"a@example.com\r\nlevel=ERROR msg=forged", "b@example.com\x1b[2J\nlevel=ERROR msg=forged"} {
		for range 6 {
			b.attempt(email, wrongPassword)
		}
	}
	logs := h.Logs.String()
	if strings.Contains(logs, "\nlevel=ERROR msg=forged") || strings.Contains(logs, "\x1b") {
		t.Errorf("an email forged a log line or wrote an escape:\n%s", logs)
	}
	if !strings.Contains(logs, "event=lockout_refused email=invalid_identifier") {
		t.Errorf("no lockout event logged:\n%s", logs)
	}
}

// A lockout count that fails (here Redis refuses scripts, while the transaction's own
// commands still work) stops the password step: the password is not checked, the step not
// passed, no cookie set.
func TestLockoutCountFails(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnRedis: true})
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	opt, err := goredis.ParseURL(h.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	defer c.Close()
	if err := c.Do(t.Context(), "ACL", "SETUSER", "default", "-@scripting").Err(); err != nil {
		t.Fatal(err)
	}
	r := b.post("/login", withPassword(form, testserver.Email, testserver.Password))
	if r.status < 500 || r.setCookie(httpx.SessionCookie) != nil || r.setCookie(httpx.DeviceCookie) != nil {
		t.Errorf("POST /login with the lockout count failing = %d, cookies %q; want a 5xx and no cookie", r.status, r.header.Values("Set-Cookie"))
	}
	if next := b.next(id); next != login.StepPassword {
		t.Errorf("Next = %q, want the password step still (not passed)", next)
	}
}

// With Redis down the password step answers 503 and nobody signs in.
func TestLockoutRedisDown(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnRedis: true})
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	h.StopRedis(t)
	r := b.post("/login", withPassword(form, testserver.Email, testserver.Password))
	if r.status != http.StatusServiceUnavailable || r.setCookie(httpx.SessionCookie) != nil || r.setCookie(httpx.DeviceCookie) != nil {
		t.Errorf("POST /login with Redis down = %d, cookies %q; want 503 and no cookie", r.status, r.header.Values("Set-Cookie"))
	}
}
