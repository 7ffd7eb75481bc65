package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
)

// unclean are values no parameter may carry: a NUL byte (PostgreSQL refuses it), invalid
// UTF-8 and a control character.
var unclean = []struct{ name, value string }{
	{"NUL", "ada\x00b"}, {"invalid UTF-8", "ada\xffb"}, {"control character", "ada\x1b[2Jb"},
}

// sweepCase is one endpoint: a request that works, and what the endpoint must answer when
// one of its parameters is replaced by an unclean value.
type sweepCase struct {
	name string
	base url.Values
	send func(t *testing.T, form url.Values) page
	// want is the status for a parameter: 400 on Sesame's pages, the protocol's answer
	// elsewhere (always a 4xx unless the RFC says otherwise).
	want func(param string) int
	ok   int // the status of base itself, or 0 when base cannot be sent twice (a code)
}

// Every parameter of every endpoint, given a NUL byte, invalid UTF-8 or a control
// character, gets a 4xx (400 on the pages), never a 5xx: nothing unclean reaches
// PostgreSQL, a log line or the client.
func TestUncleanInputSweep(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	web := e.oauth(e.web, rpCallback)
	b := e.browser(t)
	code, verifier := e.login(t, b, web)
	tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	code2, verifier2 := e.login(t, b, web)
	_, challenge := pkce()

	authz := url.Values{"client_id": {e.web.ID}, "redirect_uri": {rpCallback}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"st"}, "nonce": {"n"}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}, "login_hint": {userEmail}, "prompt": {"login"}, "max_age": {"300"},
		"response_mode": {"query"}, "ui_locales": {"en"}}
	signIn := e.browser(t)
	loginPage := signIn.get(e.issuer + "/authorize?" + authz.Encode())
	loginForm := hidden(loginPage.body)
	loginForm.Set("email", userEmail)
	loginForm.Set("password", "wrong password, long enough")
	logout := url.Values{"id_token_hint": {idToken}, "client_id": {e.web.ID}, "post_logout_redirect_uri": {"https://rp.example/bye"}, "state": {"s"}}
	secretPost := func(c registered, form url.Values) url.Values {
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
		return form
	}
	postForm := func(path string) func(t *testing.T, form url.Values) page {
		return func(t *testing.T, form url.Values) page {
			req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return e.browser(t).do(req)
		}
	}
	status := func(s int) func(string) int { return func(string) int { return s } }
	// RFC 7662 §2.2 and RFC 7009 §2.2: a token the server does not know is inactive, and
	// revoking it succeeds; a client that fails authentication gets 401.
	tokenOr401 := func(ok int) func(string) int {
		return func(p string) int {
			if p == "client_id" || p == "client_secret" {
				return http.StatusUnauthorized
			}
			return ok
		}
	}

	cases := []sweepCase{
		{"GET /authorize", authz, func(t *testing.T, f url.Values) page { return e.browser(t).get(e.issuer + "/authorize?" + f.Encode()) },
			status(http.StatusBadRequest), http.StatusOK},
		{"POST /authorize", authz, func(t *testing.T, f url.Values) page { return e.browser(t).post(e.issuer+"/authorize", f) },
			status(http.StatusBadRequest), http.StatusOK},
		{"POST /login", loginForm, func(t *testing.T, f url.Values) page { return signIn.post(e.issuer+"/login", f) },
			status(http.StatusBadRequest), http.StatusOK},
		{"GET /end_session", logout, func(t *testing.T, f url.Values) page {
			return e.browser(t).get(e.issuer + "/end_session?" + f.Encode())
		},
			status(http.StatusBadRequest), http.StatusFound},
		{"POST /end_session", logout, func(t *testing.T, f url.Values) page { return e.browser(t).post(e.issuer+"/end_session", f) },
			status(http.StatusBadRequest), http.StatusFound},
		{"POST /oauth/token (authorization_code)", secretPost(e.web, url.Values{"grant_type": {"authorization_code"}, "code": {code2},
			"redirect_uri": {rpCallback}, "code_verifier": {verifier2}}), postForm("/oauth/token"), tokenOr401(http.StatusBadRequest), 0},
		{"POST /oauth/token (refresh_token)", secretPost(e.web, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
			"scope": {"openid"}}), postForm("/oauth/token"), tokenOr401(http.StatusBadRequest), 0},
		{"POST /oauth/token (client_credentials)", secretPost(e.service, url.Values{"grant_type": {"client_credentials"}, "scope": {""}}),
			postForm("/oauth/token"), tokenOr401(http.StatusBadRequest), http.StatusOK},
		{"POST /oauth/introspect", secretPost(e.web, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}),
			postForm("/oauth/introspect"), tokenOr401(http.StatusOK), http.StatusOK},
		{"POST /revoke", secretPost(e.web, url.Values{"token": {"no-such-token"}, "token_type_hint": {"refresh_token"}}),
			postForm("/revoke"), tokenOr401(http.StatusOK), http.StatusOK},
		{"POST /userinfo", url.Values{"access_token": {tok.AccessToken}}, postForm("/userinfo"), status(http.StatusUnauthorized), http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.ok != 0 {
				if p := c.send(t, c.base); p.status != c.ok {
					t.Fatalf("the clean request = %d, want %d:\n%.400s", p.status, c.ok, p.body)
				}
			}
			params := slices.Sorted(func(yield func(string) bool) {
				for k := range c.base {
					if !yield(k) {
						return
					}
				}
			})
			for _, param := range params {
				for _, u := range unclean {
					form := url.Values{}
					for k, v := range c.base {
						form[k] = slices.Clone(v)
					}
					form.Set(param, u.value)
					p := c.send(t, form)
					if want := c.want(param); p.status != want {
						t.Errorf("%s with %s in %s = %d, want %d:\n%.300s", c.name, u.name, param, p.status, want, p.body)
					}
					if p.location != "" {
						t.Errorf("%s with %s in %s redirected to %q", c.name, u.name, param, p.location)
					}
				}
			}
		})
	}
	t.Run("userinfo bearer token", func(t *testing.T) {
		if status, _ := e.userinfo(t, tok.AccessToken+"\xff"); status != http.StatusUnauthorized {
			t.Errorf("userinfo with invalid UTF-8 in the bearer token = %d, want 401", status)
		}
	})
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("unclean input logged an error:\n%s", e.logs)
	}
}

// ownRedis starts a redis-server for this test alone (nothing else's keys or memory in
// it) and returns the settings that point Sesame at it, and a client.
func ownRedis(t *testing.T) (map[string]string, *goredis.Client) {
	t.Helper()
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	r := testenv.StartRedis(t, port)
	opt, err := goredis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	rc := goredis.NewClient(opt)
	t.Cleanup(func() { _ = rc.Close() })
	return map[string]string{"SESAME_REDIS_URL": r.URL()}, rc
}

// usedMemory is Redis's used_memory (INFO memory), in bytes.
func usedMemory(t *testing.T, rc *goredis.Client) int64 {
	t.Helper()
	info, err := rc.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("INFO memory has no used_memory:\n%s", info)
	return 0
}

// 50 authorization requests POSTed at once, each with a 1 MB nonce: every one is refused
// with 400 and Redis holds nothing more than before (the client IP's flood budget aside).
func TestNonceFlood(t *testing.T) {
	settings, rc := ownRedis(t)
	e := start(t, settings)
	ctx := context.Background()
	_, challenge := pkce()
	form := url.Values{"client_id": {e.web.ID}, "redirect_uri": {rpCallback}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "nonce": {strings.Repeat("n", 1<<20)}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}}
	body := form.Encode()
	const n = 50
	// n small requests first, at once: the login pages' flood limit then has its key for
	// this IP, its script loaded (Redis's Lua engine starts on the first script) and Sesame's
	// pool its connections, so the flood adds to none of them.
	testenv.Together(n, func(int) {
		if resp, err := http.Get(e.issuer + "/authorize"); err == nil {
			resp.Body.Close()
		}
	})
	keysBefore, memBefore := rc.DBSize(ctx).Val(), usedMemory(t, rc)
	statuses := make([]int, n)
	testenv.Together(n, func(i int) {
		req, _ := http.NewRequest(http.MethodPost, e.issuer+"/authorize", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Errorf("POST %d: %v", i, err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[i] = resp.StatusCode
	})
	for i, s := range statuses {
		if s != http.StatusBadRequest {
			t.Errorf("POST /authorize %d with a 1 MB nonce = %d, want 400", i, s)
		}
	}
	keysAfter, memAfter := rc.DBSize(ctx).Val(), usedMemory(t, rc)
	t.Logf("Redis: %d keys and %d bytes used before, %d keys and %d bytes after", keysBefore, memBefore, keysAfter, memAfter)
	if keysAfter != keysBefore || memAfter-memBefore > 256<<10 {
		t.Errorf("Redis after the flood: %d keys, used_memory %+d bytes; want no new key and no growth", keysAfter-keysBefore, memAfter-memBefore)
	}
}

// A pending authorization request costs Redis a few KiB at most and lives
// login.TransactionLifetime (10 minutes); a request whose stored form would pass 8 KiB
// (here a state of characters JSON escapes six-fold) is refused and stores nothing.
func TestPendingRequestMemory(t *testing.T) {
	settings, rc := ownRedis(t)
	e := start(t, settings)
	ctx := context.Background()
	_, challenge := pkce()
	request := func(state, nonce, hint string) url.Values {
		q := url.Values{"client_id": {e.web.ID}, "redirect_uri": {rpCallback}, "response_type": {"code"},
			"scope": {"openid email profile"}, "state": {state}, "nonce": {nonce}, "code_challenge": {challenge},
			"code_challenge_method": {"S256"}}
		if hint != "" {
			q.Set("login_hint", hint)
		}
		return q
	}
	for _, tt := range []struct {
		name   string
		q      url.Values
		stored bool
	}{
		{"typical", request("af0ifjsldkj", "n-0S6_WzA2Mj", ""), true},
		{"every parameter at its bound", request(strings.Repeat("s", 2048), strings.Repeat("n", 512), strings.Repeat("h", 320)), true},
		{"escaped state within the bound", request(strings.Repeat("<", 1000), strings.Repeat("n", 512), strings.Repeat("h", 320)), true},
		{"escaped state past the bound", request(strings.Repeat("<", 2048), "n", ""), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := rc.DBSize(ctx).Val()
			p := e.browser(t).get(e.issuer + "/authorize?" + tt.q.Encode())
			keys := rc.Keys(ctx, "*tx:*").Val()
			if !tt.stored {
				q := callbackParams(t, p, rpCallback)
				if q.Get("error") != "invalid_request" || rc.DBSize(ctx).Val() != before {
					t.Errorf("answer %v and %d new keys, want invalid_request and nothing stored", q, rc.DBSize(ctx).Val()-before)
				}
				return
			}
			id := p.url.Query().Get("id")
			if p.status != http.StatusOK || id == "" {
				t.Fatalf("GET /authorize = %d at %s, want the login page", p.status, p.url)
			}
			key := keys[slices.IndexFunc(keys, func(k string) bool { return strings.HasSuffix(k, "tx:"+id) })]
			mem, err := rc.MemoryUsage(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			ttl := rc.PTTL(ctx, key).Val()
			t.Logf("%s: MEMORY USAGE %d bytes, TTL %s", tt.name, mem, ttl)
			if mem > 12<<10 {
				t.Errorf("MEMORY USAGE of the pending request = %d bytes, want at most 12 KiB", mem)
			}
			if ttl <= 9*time.Minute || ttl > login.TransactionLifetime || login.TransactionLifetime != 10*time.Minute {
				t.Errorf("pending request TTL = %s (lifetime %s), want just under 10m", ttl, login.TransactionLifetime)
			}
		})
	}
}
