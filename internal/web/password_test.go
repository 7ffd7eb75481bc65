package web_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/testserver"
	"github.com/sesameid/sesame/internal/token"
)

// The password change page (issue 8 item 6): for a signed-in user only; the current
// password is required and the new one must pass the password rules, each refusal with its
// own message and nothing changed; on success every other browser session and every
// refresh token of the user end, this browser stays signed in, and only the new password
// signs in.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	ctx := t.Context()

	anon := newBrowser(t, h)
	checkPage(t, anon.get("/account/password"), http.StatusForbidden, "Not signed in")
	checkPage(t, anon.post("/account/password", url.Values{"csrf": {"x"}, "current": {testserver.Password}, "new": {"A brand new passphrase 2"}}),
		http.StatusForbidden, "Not signed in")

	a, sidA, _ := signedIn(t, h)
	_, sidB, _ := signedIn(t, h)
	refresh := token.NewRefresh(postgres.New(h.Services.Pool, 5*time.Second), h.Clock.Now)
	rt, _, err := refresh.Start(ctx, token.Authorization{GrantID: "grant-pw", ClientID: h.Web.ID, UserID: h.UserID,
		Scopes: []string{"openid", "offline_access"}, AMR: []string{"pwd"}, AuthTime: h.Clock.Now(), Lifetimes: client.DefaultLifetimes})
	if err != nil {
		t.Fatal(err)
	}

	r := a.get("/account/password")
	checkPage(t, r, http.StatusOK, "Change password")
	csrf := hidden(r.body).Get("csrf")
	submit := func(csrf, current, next string) response {
		return a.post("/account/password", url.Values{"csrf": {csrf}, "current": {current}, "new": {next}})
	}
	for _, tc := range []struct {
		name, csrf, current, next string
		status                    int
		title, text               string
	}{
		{"no form token", "", testserver.Password, "A brand new passphrase 2", http.StatusBadRequest, "Form expired", ""},
		{"another session's form token", "x" + csrf[1:], testserver.Password, "A brand new passphrase 2", http.StatusBadRequest, "Form expired", ""},
		{"wrong current password", csrf, "not the password", "A brand new passphrase 2", http.StatusBadRequest, "Change password", "The current password is not right."},
		{"new password too short", csrf, testserver.Password, "short", http.StatusBadRequest, "Change password", "The new password must be at least 10 characters."},
		{"new password common", csrf, testserver.Password, "password12", http.StatusBadRequest, "Change password", "The new password is one of the most commonly used passwords: choose another."},
		{"new password of one class", csrf, testserver.Password, "aaaaaaaaaa", http.StatusBadRequest, "Change password", "The new password must mix at least 3 of: lower-case letters, upper-case letters, digits, symbols."},
		{"new password with the email", csrf, testserver.Password, "Ada@Example 2024", http.StatusBadRequest, "Change password", "The new password must not contain the name of your email address."},
	} {
		r := submit(tc.csrf, tc.current, tc.next)
		checkPage(t, r, tc.status, tc.title)
		if !strings.Contains(r.body, tc.text) {
			t.Errorf("%s: page lacks %q:\n%.600s", tc.name, tc.text, r.body)
		}
		if !sessionLive(t, h, sidB) {
			t.Fatalf("%s: a refused change ended another session", tc.name)
		}
	}
	if _, err := refresh.Lookup(ctx, rt.Reveal(), h.Web.ID); err != nil {
		t.Fatalf("a refused change revoked the refresh token: %v", err)
	}

	const next = "A brand new passphrase 2"
	r = submit(csrf, testserver.Password, next)
	checkPage(t, r, http.StatusOK, "Change password")
	if !strings.Contains(r.body, "Your password was changed.") {
		t.Errorf("success page:\n%.600s", r.body)
	}
	if !sessionLive(t, h, sidA) {
		t.Error("the browser that changed the password was signed out")
	}
	if sessionLive(t, h, sidB) {
		t.Error("another browser session survived the password change")
	}
	if _, err := refresh.Lookup(ctx, rt.Reveal(), h.Web.ID); !errors.Is(err, token.ErrReused) {
		t.Errorf("refresh token after the password change: %v, want revoked (ErrReused)", err)
	}
	if a.cookie(httpx.SessionCookie) != sidA {
		t.Error("the session cookie changed")
	}
	fresh := newBrowser(t, h)
	id, _ := fresh.authorize(nil)
	if r := fresh.post("/login", withPassword(fresh.loginForm(id), testserver.Email, testserver.Password)); r.status != http.StatusOK {
		t.Errorf("the old password after the change: %d, want the form again", r.status)
	}
	fresh.signIn(testserver.Email, next)
}

// Guessing the current password on the change page meets the sign-in lockout: after the
// threshold (5) of wrong current passwords even the right one is refused for the delay, and
// the password stays as it was.
func TestPasswordChangeLockout(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	a, _, _ := signedIn(t, h)
	csrf := hidden(a.get("/account/password").body).Get("csrf")
	submit := func(current string) response {
		return a.post("/account/password", url.Values{"csrf": {csrf}, "current": {current}, "new": {"A brand new passphrase 2"}})
	}
	for i := range 5 {
		if r := submit("wrong guess"); !strings.Contains(r.body, "The current password is not right.") {
			t.Fatalf("guess %d:\n%.600s", i+1, r.body)
		}
	}
	r := submit(testserver.Password)
	checkPage(t, r, http.StatusBadRequest, "Change password")
	if !strings.Contains(r.body, "Too many wrong passwords. Wait 30 seconds") {
		t.Errorf("the right password after 5 wrong ones:\n%.600s", r.body)
	}
	newBrowser(t, h).signIn(testserver.Email, testserver.Password) // unchanged
	h.Clock.Advance(31 * time.Second)
	if r := submit(testserver.Password); !strings.Contains(r.body, "Your password was changed.") {
		t.Errorf("after the delay:\n%.600s", r.body)
	}
}
