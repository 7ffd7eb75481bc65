package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testserver"
)

// A login transaction accepts login.MaxAttempts password submissions: the last one is still
// checked (the right password signs in), and after that many failures the transaction is
// dead: its page and its form say so, and even the right password no longer signs in. (The
// lockout's threshold and the IP's failure budget are set above those failures: this tests
// the transaction's own bound.)
func TestLoginAttempts(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{Env: map[string]string{"SESAME_LOCKOUT_THRESHOLD": "100", "SESAME_LOGIN_FAILURES_PER_IP": "1000/10m"}})
	const wrong = "wrong password, long enough"
	// allButOne starts a login in a new browser and fails all its attempts but the last.
	allButOne := func(t *testing.T) (*browser, string, url.Values) {
		b := newBrowser(t, h)
		id, _ := b.authorize(nil)
		form := b.loginForm(id)
		for i := 1; i < login.MaxAttempts; i++ {
			checkPage(t, b.post("/login", withPassword(form, testserver.Email, wrong)), http.StatusOK, "Sign in")
		}
		return b, id, form
	}

	t.Run("the last attempt still counts", func(t *testing.T) {
		t.Parallel()
		b, id, form := allButOne(t)
		b.passPassword(id, form)
	})

	t.Run("then the transaction is dead", func(t *testing.T) {
		t.Parallel()
		b, id, form := allButOne(t)
		checkPage(t, b.post("/login", withPassword(form, testserver.Email, wrong)), http.StatusBadRequest, "Too many attempts")
		checkPage(t, b.get("/login?id="+url.QueryEscape(id)), http.StatusBadRequest, "Too many attempts")
		r := b.post("/login", withPassword(form, testserver.Email, testserver.Password))
		checkPage(t, r, http.StatusBadRequest, "Too many attempts")
		if c := r.setCookie(httpx.SessionCookie); c != nil {
			t.Errorf("the right password on a dead transaction set a session cookie: %+v", c)
		}
		if next := b.next(id); next != login.StepPassword {
			t.Errorf("Next after the attempts ran out = %q, want %q (never passed)", next, login.StepPassword)
		}
	})
}

// A failed sign-in is logged with the attempted email only when it is an address: a
// password typed into the email field is logged as invalid_identifier.
func TestFailedLoginLog(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	const typedPassword = "Hunter2-in-the-email-field"
	for _, email := range []string{"nobody@example.com", typedPassword} {
		checkPage(t, b.post("/login", withPassword(form, email, "wrong password, long enough")), http.StatusOK, "Sign in")
	}
	logs := h.Logs.String()
	if strings.Contains(logs, typedPassword) {
		t.Errorf("the logs hold what was typed into the email field:\n%s", logs)
	}
	for _, want := range []string{" email=nobody@example.com attempts=1\n", " email=invalid_identifier attempts=2\n"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %s:\n%s", want, logs)
		}
	}
}

// Sesame's own forms are read up to httpx.MaxFormBody: a larger body is refused with 400,
// changes nothing, and a form just under the bound works.
func TestFormBodyLimit(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	pad := func(form url.Values, size int) url.Values {
		out := url.Values{"pad": {""}}
		for k, v := range form {
			out[k] = v
		}
		out.Set("pad", strings.Repeat("x", size-len(out.Encode())))
		return out
	}

	t.Run("login", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, h)
		id, _ := b.authorize(nil)
		form := withPassword(b.loginForm(id), testserver.Email, testserver.Password)
		checkPage(t, b.post("/login", pad(form, httpx.MaxFormBody+1)), http.StatusBadRequest, "Invalid request")
		if next := b.next(id); next != login.StepPassword {
			t.Fatalf("Next after an oversized form = %q, want %q", next, login.StepPassword)
		}
		if r := b.post("/login", pad(form, httpx.MaxFormBody-1)); r.status != http.StatusSeeOther {
			t.Errorf("POST /login just under the bound = %d, want 303:\n%.400s", r.status, r.body)
		}
	})

	t.Run("logout confirmation", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, h)
		b.signIn(testserver.Email, testserver.Password)
		sid := b.cookie(httpx.SessionCookie)
		form := url.Values{"csrf": {hidden(b.get("/end_session").body).Get("csrf")}}
		if r := b.post("/end_session/confirm", pad(form, httpx.MaxFormBody+1)); r.status != http.StatusBadRequest || !sessionLive(t, h, sid) {
			t.Fatalf("POST /end_session/confirm over the bound = %d, session live %v; want 400 and the session kept", r.status, sessionLive(t, h, sid))
		}
		checkPage(t, b.post("/end_session/confirm", pad(form, httpx.MaxFormBody-1)), http.StatusOK, "Signed out")
	})
}

// /static/ serves files, never a directory listing.
func TestStaticNoListing(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	for _, path := range []string{"/static/", "/static/./", "/static/style.css/"} {
		if r := b.get(path); r.status == http.StatusOK || strings.Contains(r.body, "style.css") {
			t.Errorf("GET %s = %d:\n%.300s\nwant no listing", path, r.status, r.body)
		}
	}
	if r := b.get("/static/style.css"); r.status != http.StatusOK || r.header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("GET /static/style.css = %d, Cache-Control %q; want 200, cached", r.status, r.header.Get("Cache-Control"))
	}
}
