package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/testserver"
)

// The login page runs the transaction's next step, only in the browser that started it.
func TestLoginPage(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	// passed is a browser whose transaction has passed the password step.
	passed := func(t *testing.T) (*browser, string) {
		a := newBrowser(t, h)
		id, _ := a.authorize(nil)
		a.passPassword(id, a.loginForm(id))
		return a, id
	}
	for _, tt := range []struct {
		name string
		// open returns the browser that opens the page and the page's path.
		open   func(t *testing.T) (*browser, string)
		status int
		title  string   // the page's heading
		want   []string // in the body
	}{
		{
			name: "password form",
			open: func(t *testing.T) (*browser, string) {
				b := newBrowser(t, h)
				id, _ := b.authorize(url.Values{"login_hint": {testserver.Email}})
				return b, "/login?id=" + id
			},
			status: http.StatusOK, title: "Sign in",
			want: []string{
				`<strong>Web</strong>`, `<form method="post" action="/login">`,
				`<label for="email">Email</label>`,
				`<input id="email" name="email" type="email" autocomplete="username" required autofocus value="ada@example.com">`,
				`<label for="password">Password</label>`,
				`<input id="password" name="password" type="password" autocomplete="current-password" required>`,
			},
		},
		{
			name: "login_hint is text, not markup",
			open: func(t *testing.T) (*browser, string) {
				b := newBrowser(t, h)
				id, _ := b.authorize(url.Values{"login_hint": {`"><script>alert(1)</script>`}})
				return b, "/login?id=" + id
			},
			status: http.StatusOK, title: "Sign in",
			want: []string{`value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`},
		},
		{
			name:   "unknown id",
			open:   func(t *testing.T) (*browser, string) { return newBrowser(t, h), "/login?id=" + uuid.NewString() },
			status: http.StatusBadRequest, title: "Sign-in expired",
		},
		{
			name:   "missing id",
			open:   func(t *testing.T) (*browser, string) { return newBrowser(t, h), "/login" },
			status: http.StatusBadRequest, title: "Sign-in expired",
		},
		{
			name: "other browser without a binding cookie",
			open: func(t *testing.T) (*browser, string) {
				id, _ := newBrowser(t, h).authorize(nil)
				return newBrowser(t, h), "/login?id=" + id
			},
			status: http.StatusBadRequest, title: "Sign-in refused",
		},
		{
			name: "other browser with its own binding cookie",
			open: func(t *testing.T) (*browser, string) {
				id, _ := newBrowser(t, h).authorize(nil)
				other := newBrowser(t, h)
				other.authorize(nil)
				return other, "/login?id=" + id
			},
			status: http.StatusBadRequest, title: "Sign-in refused",
		},
		{
			name: "finished, other browser",
			open: func(t *testing.T) (*browser, string) {
				_, id := passed(t)
				return newBrowser(t, h), "/login?id=" + id
			},
			status: http.StatusBadRequest, title: "Sign-in refused",
		},
		{
			name: "code issued",
			open: func(t *testing.T) (*browser, string) {
				a, id := passed(t)
				rpCallback(t, a.get(callbackPath+"?id="+id))
				return a, "/login?id=" + id
			},
			status: http.StatusBadRequest, title: "Sign-in expired",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, path := tt.open(t)
			r := b.get(path)
			checkPage(t, r, tt.status, tt.title)
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("GET %s lacks %s:\n%s", path, w, r.body)
				}
			}
			if tt.status == http.StatusOK {
				u, _ := url.Parse(path)
				if got, want := hidden(r.body), u.Query().Get("id"); got.Get("id") != want || len(got.Get("csrf")) != 43 {
					t.Errorf("hidden fields = %v, want id=%s and a CSRF token", got, want)
				}
			}
		})
	}
}

// Once every step passed, the login page sends the browser on to the callback.
func TestLoginPageDone(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	b.passPassword(id, b.loginForm(id))
	r := b.get("/login?id=" + id)
	if want := callbackPath + "?id=" + id; r.status != http.StatusFound || r.location() != want {
		t.Errorf("GET /login after the password = %d Location %q, want 302 to %s", r.status, r.location(), want)
	}
}

// The right password passes the step, starts a browser session and sends the browser to
// the callback, which gives the relying party its code.
func TestLoginSubmitSignsIn(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	if next := b.next(id); next != login.StepPassword {
		t.Fatalf("Next before the password = %q, want %q", next, login.StepPassword)
	}
	r := b.post("/login", withPassword(form, " "+testserver.Email+" ", testserver.Password))
	if want := callbackPath + "?id=" + id; r.status != http.StatusSeeOther || r.location() != want {
		t.Fatalf("POST /login = %d Location %q, want 303 to %s:\n%.400s", r.status, r.location(), want, r.body)
	}
	checkSecurityHeaders(t, r)
	c := r.setCookie(httpx.SessionCookie)
	if c == nil {
		t.Fatalf("no %s cookie set: %q", httpx.SessionCookie, r.header.Values("Set-Cookie"))
	}
	got := http.Cookie{Name: c.Name, Path: c.Path, HttpOnly: c.HttpOnly, SameSite: c.SameSite, MaxAge: c.MaxAge}
	want := http.Cookie{Name: httpx.SessionCookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session cookie attributes (-want +got):\n%s", diff)
	}
	sess, err := h.Logins.Session(t.Context(), c.Value)
	if err != nil || sess.UserID != h.UserID {
		t.Errorf("Session(cookie) = %+v, %v, want a session of %s", sess, err, h.UserID)
	}
	if next := b.next(id); next != login.Done {
		t.Errorf("Next after the password = %q, want Done", next)
	}
	if q := rpCallback(t, b.get(r.location())); q.Get("code") == "" || q.Get("state") != "st-1" || q.Get("iss") != h.URL {
		t.Errorf("callback parameters = %v", q)
	}
}

// An unknown email and a wrong password get the same page: same status, same message, the
// typed email kept, no session.
func TestLoginSubmitBadCredentials(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	pages := map[string]string{}
	for _, email := range []string{testserver.Email, "nobody@example.com"} {
		b := newBrowser(t, h)
		id, _ := b.authorize(nil)
		form := b.loginForm(id)
		r := b.post("/login", withPassword(form, email, "wrong password, long enough"))
		checkPage(t, r, http.StatusOK, "Sign in")
		for _, want := range []string{`<p class="error" role="alert">Invalid email or password</p>`, `value="` + email + `"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("POST /login as %s: page lacks %s:\n%s", email, want, r.body)
			}
		}
		if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("POST /login as %s set cookies %q, want none", email, sc)
		}
		if next := b.next(id); next != login.StepPassword {
			t.Errorf("Next after a failed password = %q, want %q", next, login.StepPassword)
		}
		pages[email] = strings.NewReplacer(id, "TX", form.Get("csrf"), "CSRF", email, "EMAIL").Replace(r.body)
	}
	if diff := cmp.Diff(pages[testserver.Email], pages["nobody@example.com"]); diff != "" {
		t.Errorf("wrong password and unknown email pages differ (-wrong password +unknown email):\n%s", diff)
	}
}

// The password step is refused, and the transaction left as it was, unless the form comes
// from the browser that started the transaction, carries its CSRF token, and the password is
// what the transaction needs next.
func TestLoginSubmitRefused(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	// Each case prepares the form of a fresh transaction (browser a, transaction id), may
	// finish the password step first, and posts from a or from another browser.
	csrfOf := func(t *testing.T, a *browser, _ string, form url.Values) {
		other, _ := a.authorize(nil)
		form.Set("csrf", a.loginForm(other).Get("csrf"))
	}
	del := func(key string) func(*testing.T, *browser, string, url.Values) {
		return func(_ *testing.T, _ *browser, _ string, form url.Values) { form.Del(key) }
	}
	finish := func(_ *testing.T, a *browser, id string, form url.Values) {
		a.passPassword(id, withPassword(form, testserver.Email, testserver.Password))
	}
	unknownID := func(_ *testing.T, _ *browser, _ string, form url.Values) { form.Set("id", uuid.NewString()) }
	fresh := func(t *testing.T) *browser { return newBrowser(t, h) }
	begun := func(t *testing.T) *browser { b := newBrowser(t, h); b.authorize(nil); return b }
	for _, tt := range []struct {
		name     string
		prepare  func(t *testing.T, a *browser, id string, form url.Values) // nil: the form as served
		from     func(t *testing.T) *browser                                // nil: the browser that started it
		password string                                                     // "": the right one
		status   int
		title    string
		next     login.Step // what a's transaction needs afterwards
	}{
		{"CSRF token of another transaction", csrfOf, nil, "", http.StatusBadRequest, "Form expired", login.StepPassword},
		{"no CSRF token", del("csrf"), nil, "", http.StatusBadRequest, "Form expired", login.StepPassword},
		{"other browser without a binding cookie", nil, fresh, "", http.StatusBadRequest, "Sign-in refused", login.StepPassword},
		{"other browser with its own binding cookie", nil, begun, "", http.StatusBadRequest, "Sign-in refused", login.StepPassword},
		{"finished, other browser", finish, begun, "", http.StatusBadRequest, "Sign-in refused", login.Done},
		{"password again, right", finish, nil, "", http.StatusBadRequest, "Sign-in step out of order", login.Done},
		// Refused before the password is even checked: a finished login is no oracle.
		{"password again, wrong", finish, nil, "wrong password, long enough", http.StatusBadRequest, "Sign-in step out of order", login.Done},
		{"body over 64 KiB", nil, nil, strings.Repeat("p", 64<<10), http.StatusBadRequest, "Invalid request", login.StepPassword},
		// An expired transaction is gone from Redis, as an unknown one.
		{"unknown id", unknownID, nil, "", http.StatusBadRequest, "Sign-in expired", login.StepPassword},
		{"no id", del("id"), nil, "", http.StatusBadRequest, "Sign-in expired", login.StepPassword},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newBrowser(t, h)
			id, _ := a.authorize(nil)
			form := a.loginForm(id)
			if tt.prepare != nil {
				tt.prepare(t, a, id, form)
			}
			poster, password := a, testserver.Password
			if tt.from != nil {
				poster = tt.from(t)
			}
			if tt.password != "" {
				password = tt.password
			}
			r := poster.post("/login", withPassword(form, testserver.Email, password))
			checkPage(t, r, tt.status, tt.title)
			if c := r.setCookie(httpx.SessionCookie); c != nil {
				t.Errorf("refused POST /login set the session cookie %q", c.Value)
			}
			if next := a.next(id); next != tt.next {
				t.Errorf("Next afterwards = %q, want %q", next, tt.next)
			}
		})
	}
}

// Go's cross-origin protection guards the state-changing forms.
func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	form := withPassword(b.loginForm(id), testserver.Email, testserver.Password)
	// Refused with Sesame's own page (its headers and request ID), not Go's plain text.
	checkPage(t, b.postFrom("https://evil.example", "/login", form), http.StatusForbidden, "Not allowed")
	if next := b.next(id); next != login.StepPassword {
		t.Errorf("Next after a cross-origin POST /login = %q, want %q", next, login.StepPassword)
	}

	b.passPassword(id, form)
	rpCallback(t, b.get(callbackPath+"?id="+id))
	sid := b.cookie(httpx.SessionCookie)
	csrf := hidden(b.get("/end_session").body).Get("csrf")
	checkPage(t, b.postFrom("https://evil.example", "/end_session/confirm", url.Values{"csrf": {csrf}}), http.StatusForbidden, "Not allowed")
	if !sessionLive(t, h, sid) {
		t.Error("a cross-origin POST /end_session/confirm ended the session")
	}
}

// A new sign-in in a browser replaces its session (a fresh ID: no fixation); the old
// cookie value no longer signs anyone in.
func TestLoginReplacesSession(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	b := newBrowser(t, h)
	b.signIn(testserver.Email, testserver.Password)
	old := b.cookie(httpx.SessionCookie)
	if !sessionLive(t, h, old) {
		t.Fatal("no live session after the first sign-in")
	}

	id, _ := b.authorize(url.Values{"prompt": {"login"}})
	b.passPassword(id, b.loginForm(id))
	cur := b.cookie(httpx.SessionCookie)
	if cur == "" || cur == old {
		t.Fatalf("session cookie after the second sign-in = %q, want a new value", cur)
	}
	if !sessionLive(t, h, cur) {
		t.Error("the new session is not live")
	}
	if sessionLive(t, h, old) {
		t.Error("the replaced session is still live")
	}

	// The old cookie value, kept by someone, gets no SSO.
	kept := newBrowser(t, h)
	kept.setSessionCookie(old)
	_, challenge := pkce()
	q := rpCallback(t, kept.get(authorizePath(h, challenge, url.Values{"prompt": {"none"}})))
	if q.Get("error") != "login_required" || q.Get("code") != "" {
		t.Errorf("prompt=none with the replaced session's cookie: error=%q, code given: %v; want error=login_required and no code", q.Get("error"), q.Get("code") != "")
	}
}

// An id_token_hint names the user the relying party expects: signing in as anyone else is
// refused (OpenID Connect Core §3.1.2.1), and no session starts; the named user passes.
func TestLoginSubmitHintedUser(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	code, verifier := newBrowser(t, h).signIn(testserver.Email, testserver.Password)
	hint := idToken(t, h, code, verifier)
	o, err := h.Services.Orgs.BySlug(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	const grace = "grace@example.com"
	if _, err := h.Services.Users.Create(t.Context(), account.NewUser{OrgID: o.ID, Email: grace, Password: secret.New(testserver.Password)}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h)
	id, _ := b.authorize(url.Values{"id_token_hint": {hint}})
	r := b.post("/login", withPassword(b.loginForm(id), grace, testserver.Password))
	checkPage(t, r, http.StatusForbidden, "Different account")
	if r.setCookie(httpx.SessionCookie) != nil || b.next(id) != login.StepPassword {
		t.Errorf("another user than the hinted one: session cookie set or step passed (Next = %q)", b.next(id))
	}
	if r := b.post("/login", withPassword(b.loginForm(id), testserver.Email, testserver.Password)); r.status != http.StatusSeeOther {
		t.Errorf("the hinted user: %d, want 303", r.status)
	}
}
