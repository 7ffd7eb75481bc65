package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testserver"
)

// otherOrgAlert is what the login page says to a user whose organization the Web client
// does not accept.
const otherOrgAlert = `<p class="error" role="alert">This account cannot sign in to Web. Sign in with another account.</p>`

// A user of another organization cannot pass the password step of a client that does not
// accept that organization, even with the right password: the login page says so, no
// session starts, the callback gives no code, and another account may then sign in on the
// same form.
func TestOtherOrgPasswordRefused(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	globex := h.AddTenant(t, "globex", "grace@globex.example")
	b := newBrowser(t, h)
	id, _ := b.authorize(nil)
	form := b.loginForm(id)
	r := b.post("/login", withPassword(form, globex.Email, testserver.Password))
	checkPage(t, r, http.StatusOK, "Sign in")
	if !strings.Contains(r.body, otherOrgAlert) {
		t.Errorf("page lacks %s:\n%s", otherOrgAlert, r.body)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("refused password step set cookies %q", sc)
	}
	if next := b.next(id); next != login.StepPassword {
		t.Errorf("Next after the refused password step = %q, want %q", next, login.StepPassword)
	}
	if r := b.get(callbackPath + "?id=" + id); r.status != http.StatusFound || r.location() != "/login?id="+id {
		t.Errorf("callback after the refused step = %d Location %q, want 302 back to the login page", r.status, r.location())
	}
	// The same form, another account of an accepted organization.
	b.passPassword(id, withPassword(hidden(r.body), testserver.Email, testserver.Password))
	if q := rpCallback(t, b.get(callbackPath+"?id="+id)); q.Get("code") == "" {
		t.Errorf("callback after the seeded user signed in = %v, want a code", q)
	}
}

// A browser session of another organization's user does not answer the Web client (no
// SSO across organizations): the login page asks for another account, prompt=none is
// login_required, and once another account signs in the old session is gone.
func TestOtherOrgSession(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	globex := h.AddTenant(t, "globex", "grace@globex.example")
	const globexCB = "https://globex.example/cb"
	app := h.Register(t, client.NewClient{OrgID: globex.OrgID, Name: "Globex App", RedirectURIs: []string{globexCB}})

	// Signed in at Globex's own application.
	b := newBrowser(t, h)
	_, challenge := pkce()
	q := url.Values{"client_id": {app.ID}, "redirect_uri": {globexCB}, "response_type": {"code"}, "scope": {"openid"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	r := b.get("/authorize?" + q.Encode())
	id := strings.TrimPrefix(r.location(), "/login?id=")
	r = b.post("/login", withPassword(b.loginForm(id), globex.Email, testserver.Password))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /login at Globex's app = %d:\n%.400s", r.status, r.body)
	}
	if r = b.get(r.location()); r.status != http.StatusFound || !strings.HasPrefix(r.location(), globexCB+"?code=") {
		t.Fatalf("callback at Globex's app = %d Location %q", r.status, r.location())
	}
	globexSession := b.cookie(httpx.SessionCookie)

	if q := rpCallback(t, b.get(authorizePath(h, challenge, url.Values{"prompt": {"none"}}))); q.Get("error") != "login_required" || q.Has("code") {
		t.Errorf("prompt=none at Web with Globex's session = %v, want login_required and no code", q)
	}
	id, _ = b.authorize(nil)
	page := b.get("/login?id=" + id)
	checkPage(t, page, http.StatusOK, "Sign in")
	if !strings.Contains(page.body, otherOrgAlert) {
		t.Errorf("login page lacks %s:\n%s", otherOrgAlert, page.body)
	}
	b.passPassword(id, withPassword(hidden(page.body), testserver.Email, testserver.Password))
	if q := rpCallback(t, b.get(callbackPath+"?id="+id)); q.Get("code") == "" {
		t.Errorf("callback after another account signed in = %v, want a code", q)
	}
	if sessionLive(t, h, globexSession) {
		t.Error("Globex's session is still live after another account signed in in the same browser")
	}
	sess, err := h.Logins.Session(t.Context(), b.cookie(httpx.SessionCookie))
	if err != nil || sess.UserID != h.UserID {
		t.Errorf("browser session = %+v, %v, want the seeded user's", sess, err)
	}
}
