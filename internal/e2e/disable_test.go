package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/localsvc"
)

// Disabled users (issue 7 item 6), from outside: `sesame user disable` ends at once what
// the user holds (every refresh token, every browser session, the access tokens of every
// grant) and the user cannot sign in, with the page a wrong password gets; `enable` lets
// them sign in again, and what was ended stays ended.
func TestDisabledUser(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	web, web2 := e.oauth(e.web, rpCallback), e.oauth(e.web2, rp2Callback)
	opaque := e.oauth(e.opaque, "https://rp3.example/cb")

	// Three grants through one browser session (the second and third by SSO), and a second
	// session in another browser.
	b, other := e.browser(t), e.browser(t)
	held := map[string]*oauth2.Token{
		"web":            e.loginAs(t, b, web, userEmail, userPassword),
		"web2 (SSO)":     e.loginAs(t, b, web2, "", ""),
		"opaque (SSO)":   e.loginAs(t, b, opaque, "", ""),
		"web, browser 2": e.loginAs(t, other, web, userEmail, userPassword),
	}
	clients := map[string]*oauth2.Config{"web": web, "web2 (SSO)": web2, "opaque (SSO)": opaque, "web, browser 2": web}
	owners := map[string]registered{"web": e.web, "web2 (SSO)": e.web2, "opaque (SSO)": e.opaque, "web, browser 2": e.web}
	for name, tok := range held {
		if code, _ := e.userinfo(t, tok.AccessToken); code != http.StatusOK || e.introspect(t, tok.AccessToken)["active"] != true {
			t.Fatalf("%s: access token not live before disabling (userinfo %d)", name, code)
		}
	}
	_, challenge := pkce()
	ssoAnswers := func(b *browser) bool {
		t.Helper()
		p := b.get(e.authorizeURL(web, "s", "n", challenge, oauth2.SetAuthURLParam("prompt", "none")))
		q := callbackParams(t, p, rpCallback)
		return q.Get("code") != ""
	}
	if !ssoAnswers(b) || !ssoAnswers(other) {
		t.Fatal("no SSO before disabling")
	}

	if out := run(t, e.cliEnv, "", "user", "disable", "--email", userEmail); out != "user "+userEmail+" is disabled\n" {
		t.Errorf("user disable printed %q", out)
	}

	// Ended, each of them, before anything else touches them. Introspection of an access
	// token does not look at the user's status: inactive means the token itself was revoked;
	// a refresh token introspected by its client once the user is enabled again is inactive
	// only if it was revoked (a refresh attempt would revoke it by itself: reuse).
	dead := func(when string) {
		t.Helper()
		for name, tok := range held {
			e.wantDead(t, when+", "+name, owners[name], clients[name], tok.RefreshToken, tok.AccessToken)
		}
		for name, br := range map[string]*browser{"browser 1": b, "browser 2": other} {
			p := br.get(e.authorizeURL(web, "s", "n", challenge))
			if p.status != http.StatusOK || !strings.Contains(p.body, `autocomplete="current-password"`) {
				t.Errorf("%s, %s: /authorize answered %d Location=%q, want the login form (session ended)", when, name, p.status, p.location)
			}
		}
	}
	dead("disabled")

	// The password step: the same page as a wrong password (no enumeration of disabled
	// accounts), and no code.
	p := b.get(e.authorizeURL(web, "s", "n", challenge))
	wrong := b.signIn(p, userEmail, "wrong password, surely")
	refused := b.signIn(wrong, userEmail, userPassword)
	for name, pg := range map[string]page{"wrong password": wrong, "disabled user, right password": refused} {
		if pg.status != http.StatusOK || pg.location != "" || !strings.Contains(pg.body, "Invalid email or password") {
			t.Errorf("%s: %d Location=%q, want the login page with \"Invalid email or password\"", name, pg.status, pg.location)
		}
	}
	if wrong.body != refused.body { // one transaction, one email typed: nothing else may differ
		t.Errorf("a disabled user's page differs from a wrong password's:\n%s\n---\n%s", wrong.body, refused.body)
	}

	if out := run(t, e.cliEnv, "", "user", "enable", "--email", userEmail); out != "user "+userEmail+" is active\n" {
		t.Errorf("user enable printed %q", out)
	}
	// What was ended stays ended: enabling restores the account, not its tokens or sessions.
	dead("enabled again")
	tok := e.loginAs(t, b, web, userEmail, userPassword)
	if code, ui := e.userinfo(t, tok.AccessToken); code != http.StatusOK || ui["sub"] != e.userID {
		t.Errorf("signed in again after enable: userinfo %d %v", code, ui)
	}
	if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Errorf("refresh after enable: %v", err)
	}
}

// A disabling interrupted by a Redis outage (exit 1: the status changed, sessions and access
// tokens are still there) fails closed where the user's status is read: userinfo refuses
// the live access token, a code issued by the surviving session is not redeemed, the
// refresh token is refused; repeating the command finishes the job.
func TestDisabledUserRedisDown(t *testing.T) {
	e := start(t, nil)
	web := e.oauth(e.web, rpCallback)
	b := e.browser(t)
	tok := e.loginAs(t, b, web, userEmail, userPassword)

	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := map[string]string{}
	for k, v := range e.cliEnv {
		down[k] = v
	}
	down["SESAME_REDIS_URL"] = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	var stdout, stderr bytes.Buffer
	args := []string{"user", "disable", "--email", userEmail}
	if code := cli.Main(context.Background(), args, func(k string) string { return down[k] }, strings.NewReader(""), &stdout, &stderr); code != cli.ExitFailure {
		t.Fatalf("user disable with Redis down: exit %d, want %d; stderr %s", code, cli.ExitFailure, stderr.String())
	}

	if code, _ := e.userinfo(t, tok.AccessToken); code != http.StatusUnauthorized {
		t.Errorf("userinfo for a disabled user whose token survived: %d, want 401", code)
	}
	code, verifier := e.login(t, b, web) // the session survived: SSO still issues a code
	if _, err := web.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); !isOAuthError(err, "invalid_grant") {
		t.Errorf("code issued to a disabled user's surviving session: %v, want invalid_grant", err)
	}
	if _, err := web.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); !isOAuthError(err, "invalid_grant") {
		t.Errorf("refresh for a disabled user: %v, want invalid_grant", err)
	}

	run(t, e.cliEnv, "", args...)
	if m := e.introspect(t, tok.AccessToken); m["active"] != false {
		t.Errorf("access token after the repeated disabling: %v, want inactive", m)
	}
	_, challenge := pkce()
	if p := b.get(e.authorizeURL(web, "s", "n", challenge)); p.status != http.StatusOK || !strings.Contains(p.body, `autocomplete="current-password"`) {
		t.Errorf("/authorize after the repeated disabling: %d Location=%q, want the login form", p.status, p.location)
	}
}
