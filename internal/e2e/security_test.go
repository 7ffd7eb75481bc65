package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/testenv"
)

// Redirect URIs match the registered string exactly; Sesame shows its own error page for
// anything else. Loopback redirects of native clients may differ in the port alone.
func TestRedirectURIMatching(t *testing.T) {
	e := start(t, nil)
	b := e.browser(t)
	_, challenge := pkce()
	refused := []string{
		"HTTPS://rp.example/cb", "https://RP.example/cb", "https://rp.example/cb/", "https://rp.example/cb?x=1",
		"https://rp.example/cb#f", "https://rp.example/%63b", "https://rp.example/%2563b", "https://rp.example%2Fcb",
		"https://rp.example@evil.example/cb", "https://rp.example.evil.example/cb", "javascript:alert(1)",
		"https://rp.example:443/cb", "https://rp.example/CB", "", "https://rp.example/cb%00",
	}
	for _, uri := range refused {
		p := b.get(e.authorizeURL(e.oauth(e.web, uri), "s", "n", challenge))
		if p.status != http.StatusBadRequest || p.location != "" {
			t.Errorf("redirect_uri %q: %d Location=%q, want 400 error page, no redirect", uri, p.status, p.location)
		}
	}
	native := map[string]bool{
		"http://127.0.0.1:7777/cb":             true,
		"http://127.0.0.1:55123/cb":            true,
		"http://127.0.0.1/cb":                  true,
		"http://127.0.0.1:1@evil.example/cb":   false,
		"http://127.0.0.1:55123/cb/":           false,
		"http://127.0.0.1:55123/cb?x=1":        false,
		"http://localhost:55123/cb":            false,
		"http://127.0.0.2:55123/cb":            false,
		"https://127.0.0.1:55123/cb":           false,
		"http://127.0.0.1:55123@evil.example/": false,
	}
	for uri, ok := range native {
		p := b.get(e.authorizeURL(e.oauth(e.native, uri), "s", "n", challenge))
		accepted := p.status == http.StatusOK && strings.Contains(p.body, `autocomplete="current-password"`)
		if accepted != ok {
			t.Errorf("native redirect_uri %q: %d accepted=%v, want %v", uri, p.status, accepted, ok)
		}
		if !ok && p.location != "" {
			t.Errorf("native redirect_uri %q: redirected to %q", uri, p.location)
		}
	}
	// The same rules as a table over the matcher itself, for the confidential client.
	c := client.Client{Type: client.Confidential, RedirectURIs: []string{"https://rp.example/cb"}}
	for _, uri := range refused {
		if c.RedirectAllowed(uri) {
			t.Errorf("RedirectAllowed(%q) = true", uri)
		}
	}
	if !c.RedirectAllowed("https://rp.example/cb") {
		t.Error("RedirectAllowed(registered) = false")
	}
}

// A login transaction started in one browser and continued in another yields no code for
// either (the login page and the callback both check the binding cookie).
func TestTransactionBinding(t *testing.T) {
	e := start(t, nil)
	web := e.oauth(e.web, rpCallback)
	alice, mallory := e.browser(t), e.browser(t)
	_, challenge := pkce()
	p := mallory.get(e.authorizeURL(web, "s", "n", challenge))
	loginURL := p.url.String()
	form := hidden(p.body)

	// The victim opens the attacker's transaction and signs in: refused.
	p2 := alice.get(loginURL)
	if p2.status != http.StatusBadRequest || strings.Contains(p2.body, "current-password") {
		t.Errorf("login page of another browser's transaction: %d", p2.status)
	}
	form.Set("email", userEmail)
	form.Set("password", userPassword)
	if p := alice.post(e.issuer+"/login", form); p.location != "" || p.status != http.StatusBadRequest {
		t.Errorf("login POST in another browser: %d Location=%q", p.status, p.location)
	}
	// Signed in in her own browser, she cannot be made to complete the attacker's
	// transaction either.
	e.login(t, alice, web)
	if p := alice.get(e.issuer + "/authorize/callback?id=" + url.QueryEscape(form.Get("id"))); p.location != "" || p.status != http.StatusBadRequest {
		t.Errorf("callback of another browser's transaction: %d Location=%q", p.status, p.location)
	}
	// And the attacker, who started it, has no code: nobody signed in there.
	if p := mallory.get(e.issuer + "/authorize/callback?id=" + url.QueryEscape(form.Get("id"))); strings.Contains(p.location, "code=") {
		t.Errorf("attacker got a code: %s", p.location)
	}
	// A CSRF token from another transaction is refused.
	p = alice.get(e.authorizeURL(web, "s", "n", challenge, oauth2.SetAuthURLParam("prompt", "login")))
	f := hidden(p.body)
	f.Set("csrf", form.Get("csrf"))
	f.Set("email", userEmail)
	f.Set("password", userPassword)
	if p := alice.post(e.issuer+"/login", f); p.location != "" {
		t.Errorf("login with a foreign CSRF token redirected to %q", p.location)
	}
}

func TestCORS(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct {
		method, path string
		allowed      bool
	}{
		{http.MethodGet, "/authorize?client_id=" + e.web.ID, false},
		{http.MethodOptions, "/authorize", false},
		{http.MethodGet, "/login", false},
		{http.MethodPost, "/oauth/token", true},
		{http.MethodOptions, "/oauth/token", true},
		{http.MethodGet, "/.well-known/openid-configuration", true},
		{http.MethodGet, "/keys", true},
	} {
		req, _ := http.NewRequest(tc.method, e.issuer+tc.path, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Origin", "https://evil.example")
		if tc.method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		} else if tc.method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := resp.Header.Get("Access-Control-Allow-Credentials"); c != "" {
			t.Errorf("%s %s: Access-Control-Allow-Credentials = %q", tc.method, tc.path, c)
		}
		got := resp.Header.Get("Access-Control-Allow-Origin") != ""
		if !tc.allowed {
			for k := range resp.Header {
				if strings.HasPrefix(k, "Access-Control-Allow-") {
					t.Errorf("%s %s: %s present", tc.method, tc.path, k)
				}
			}
		} else if !got {
			t.Errorf("%s %s: no Access-Control-Allow-Origin", tc.method, tc.path)
		}
	}
}

// One code redeemed by 50 goroutines released together: exactly one success, and since the
// code was replayed, the winner's tokens are revoked too (RFC 6749 §4.1.2). One refresh
// token refreshed by 50 together: exactly one success (the rotation is the lock), the 49
// others are reuse, which revokes the family and the grant's access tokens, so the winner's
// new refresh token and access token are dead as well.
func TestConcurrentRedemption(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	web := e.oauth(e.web, rpCallback)
	code, verifier := e.login(t, e.browser(t), web)

	const n = 50
	won := make([]*oauth2.Token, n)
	testenv.Together(n, func(i int) {
		tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err == nil {
			won[i] = tok
		} else if !isOAuthError(err, "invalid_grant") {
			t.Errorf("loser: %v, want invalid_grant", err)
		}
	})
	winner := onlyWinner(t, "redemptions of one code", won)
	if e.introspect(t, winner.AccessToken)["active"] != false {
		t.Error("the winner's access token is still active after the code was replayed")
	}
	if _, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: winner.RefreshToken}).Token(); !isOAuthError(err, "invalid_grant") {
		t.Errorf("the winner's refresh token after replay: %v", err)
	}

	code, verifier = e.login(t, e.browser(t), web)
	tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	won = make([]*oauth2.Token, n)
	testenv.Together(n, func(i int) {
		next, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err == nil {
			won[i] = next
		} else if !isOAuthError(err, "invalid_grant") {
			t.Errorf("refresh loser: %v, want invalid_grant", err)
		}
	})
	winner = onlyWinner(t, "refreshes of one token", won)
	if winner.RefreshToken == "" || winner.RefreshToken == tok.RefreshToken || winner.AccessToken == tok.AccessToken {
		t.Fatalf("the winning refresh returned no new tokens: %+v", winner)
	}
	e.wantDead(t, "the grant after the race", e.web, web, winner.RefreshToken, winner.AccessToken, tok.AccessToken)
}

// onlyWinner returns the one non-nil token of won, failing the test unless there is
// exactly one.
func onlyWinner(t *testing.T, what string, won []*oauth2.Token) *oauth2.Token {
	t.Helper()
	var winner *oauth2.Token
	wins := 0
	for _, tok := range won {
		if tok != nil {
			winner = tok
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d %s succeeded, want exactly 1", wins, len(won), what)
	}
	return winner
}

// 200 independent refresh chains rotated concurrently (released together) against a pool
// of 5 connections all complete within a generous deadline, with no error and no deadlock;
// each round returns a refresh token and an access token never seen before, and both work
// (the access token at userinfo, the refresh token in the next round or, for the last,
// at introspection by its client).
func TestRefreshUnderLoad(t *testing.T) {
	e := start(t, map[string]string{"SESAME_DATABASE_MAX_CONNS": "5"})
	web := e.oauth(e.web, rpCallback)
	b := e.browser(t)
	const chains, rounds = 200, 3
	tokens := make([]*oauth2.Token, chains)
	for i := range chains {
		code, verifier := e.login(t, b, web) // SSO after the first: no form
		tok, err := web.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = tok
	}
	// A deadline, not a timing assertion: a deadlock or a starved pool fails here with the
	// context's error instead of hanging until the test binary's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]bool{}
	for _, tok := range tokens {
		seen[tok.RefreshToken], seen[tok.AccessToken] = true, true
	}
	fresh := func(values ...string) bool {
		mu.Lock()
		defer mu.Unlock()
		ok := true
		for _, v := range values {
			ok = ok && v != "" && !seen[v]
			seen[v] = true
		}
		return ok
	}
	var failures atomic.Int32
	testenv.Together(chains, func(i int) {
		tok := tokens[i]
		for r := range rounds {
			next, err := web.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil {
				failures.Add(1)
				t.Errorf("chain %d round %d: %v", i, r, err)
				return
			}
			if !fresh(next.RefreshToken, next.AccessToken) {
				failures.Add(1)
				t.Errorf("chain %d round %d: a refresh token or access token seen before", i, r)
				return
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.issuer+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+next.AccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				failures.Add(1)
				t.Errorf("chain %d round %d: userinfo: %v", i, r, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures.Add(1)
				t.Errorf("chain %d round %d: userinfo with the new access token: %d", i, r, resp.StatusCode)
				return
			}
			tok = next
		}
		tokens[i] = tok
	})
	if failures.Load() != 0 {
		t.Fatalf("%d of %d chains failed", failures.Load(), chains)
	}
	for i, tok := range tokens {
		if _, m := e.introspectAs(t, e.web, url.Values{"token": {tok.RefreshToken}}, true); m["active"] != true {
			t.Errorf("chain %d: the last refresh token introspects %v, want active", i, m)
		}
	}
}
