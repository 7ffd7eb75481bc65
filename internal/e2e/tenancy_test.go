package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// A second organization, seeded through the CLI beside acme.
const (
	globexEmail    = "gina@globex.example"
	globexPassword = "Grey horse battery staple 9"
	partnerCB      = "https://partner.example/cb"
	sharedCB       = "https://shared.example/cb"
	globexCB       = "https://globex.example/cb"
)

// tenants is acme (start's seed) and globex, with the clients that cross between them.
type tenants struct {
	*env
	acmeID, globexID string
	partner          registered // acme's, --allow-org globex
	shared           registered // acme's, --any-org
	gapp             registered // globex's own code-flow client
	gapi             registered // globex's resource server (--introspect)
}

func createClientIn(t testing.TB, vars map[string]string, org string, args ...string) registered {
	t.Helper()
	var m map[string]string
	out := run(t, vars, "", append([]string{"client", "create", "--org", org, "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return registered{m["client_id"], m["client_secret"]}
}

func startTenants(t *testing.T) *tenants {
	t.Helper()
	e := &tenants{env: start(t, nil)}
	var o struct{ ID string }
	if err := json.Unmarshal([]byte(run(t, e.cliEnv, "", "org", "create", "--name", "Globex", "--slug", "globex", "--json")), &o); err != nil {
		t.Fatal(err)
	}
	e.globexID = o.ID
	var u struct {
		OrgID string `json:"org_id"`
	}
	if err := json.Unmarshal([]byte(run(t, e.cliEnv, globexPassword+"\n", "user", "create", "--org", "globex", "--email", globexEmail,
		"--name", "Gina", "--password-stdin", "--json")), &u); err != nil || u.OrgID != e.globexID {
		t.Fatalf("user create --json: %v, org_id %q, want %q", err, u.OrgID, e.globexID)
	}
	var users []struct {
		OrgID string `json:"org_id"`
	}
	if err := json.Unmarshal([]byte(run(t, e.cliEnv, "", "user", "list", "--org", "acme", "--json")), &users); err != nil || len(users) == 0 {
		t.Fatalf("user list --json: %v %v", err, users)
	}
	e.acmeID = users[0].OrgID
	e.partner = createClient(t, e.cliEnv, "--name", "Partner", "--redirect-uri", partnerCB, "--allow-org", "globex")
	e.shared = createClient(t, e.cliEnv, "--name", "Shared", "--redirect-uri", sharedCB, "--any-org")
	e.gapp = createClientIn(t, e.cliEnv, "globex", "--name", "Globex App", "--redirect-uri", globexCB)
	e.gapi = createClientIn(t, e.cliEnv, "globex", "--name", "Globex API", "--grant-type", "client_credentials", "--introspect")
	return e
}

// loginAs runs a code flow for cfg in b, signing in as email when Sesame asks (email ""
// expects SSO: no form), and returns the tokens.
func (e *env) loginAs(t *testing.T, b *browser, cfg *oauth2.Config, email, password string) *oauth2.Token {
	t.Helper()
	verifier, challenge := pkce()
	p := b.get(e.authorizeURL(cfg, "st-1", "n-1", challenge))
	if p.status == http.StatusOK {
		if email == "" {
			t.Fatalf("%s asked for a sign-in, want SSO:\n%.600s", cfg.ClientID, p.body)
		}
		p = b.signIn(p, email, password)
	}
	q := callbackParams(t, p, cfg.RedirectURL)
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange for %s: %v", cfg.ClientID, err)
	}
	return tok
}

// orgClaims verifies the ID token and the access token of tok (go-oidc: signature, issuer,
// audience, expiry) and returns their org_id and sub claims.
func (e *env) orgClaims(t *testing.T, clientID string, tok *oauth2.Token) (idOrg, idSub, atOrg string) {
	t.Helper()
	ctx := context.Background()
	v := e.provider.Verifier(&oidc.Config{ClientID: clientID})
	var c struct {
		OrgID string `json:"org_id"`
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token of %s: %v", clientID, err)
	}
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	idOrg, idSub = c.OrgID, idt.Subject
	at, err := v.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("access token of %s: %v", clientID, err)
	}
	c.OrgID = ""
	if err := at.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return idOrg, idSub, c.OrgID
}

const otherOrgWeb = "This account cannot sign in to Web"

// Organization boundary (issue 7 item 1) from outside, with users and clients of two
// organizations seeded through the CLI: a client accepts users of its own organization,
// of those it was registered to allow (--allow-org) or of any (--any-org), at the password
// step and at SSO; every token, userinfo and introspection says which organization the
// user belongs to (org_id).
func TestOrganizationBoundary(t *testing.T) {
	e := startTenants(t)
	web := e.oauth(e.web, rpCallback)
	gapp := e.oauth(e.gapp, globexCB)

	t.Run("password step", func(t *testing.T) {
		b := e.browser(t)
		_, challenge := pkce()
		p := b.signIn(b.get(e.authorizeURL(web, "st-1", "n-1", challenge)), globexEmail, globexPassword)
		if p.status != http.StatusOK || p.location != "" || !strings.Contains(p.body, otherOrgWeb) {
			t.Fatalf("globex user at acme's Web: %d Location=%q, want the login page saying %q:\n%.800s", p.status, p.location, otherOrgWeb, p.body)
		}
		// The refusal started no session: globex's own client still asks for a sign-in.
		_, c2 := pkce()
		if q := callbackParams(t, b.get(e.authorizeURL(gapp, "s", "n", c2, oauth2.SetAuthURLParam("prompt", "none"))), globexCB); q.Get("error") != "login_required" {
			t.Errorf("prompt=none at globex's client after the refused sign-in: %v, want login_required", q)
		}
		// The same transaction goes on with an account Web accepts.
		q := callbackParams(t, b.signIn(p, userEmail, userPassword), rpCallback)
		if q.Get("code") == "" || q.Get("state") != "st-1" {
			t.Errorf("acme user after the refusal: %v", q)
		}
	})

	t.Run("SSO and org_id", func(t *testing.T) {
		b := e.browser(t)
		tok := e.loginAs(t, b, gapp, globexEmail, globexPassword)
		if idOrg, sub, atOrg := e.orgClaims(t, e.gapp.ID, tok); idOrg != e.globexID || atOrg != e.globexID || sub == "" {
			t.Errorf("globex's own client: ID token org_id %q sub %q, access token org_id %q; want %s", idOrg, sub, atOrg, e.globexID)
		}
		// The browser's globex session does not answer acme's Web: the login page says so,
		// and prompt=none gets login_required.
		_, challenge := pkce()
		p := b.get(e.authorizeURL(web, "st-1", "n-1", challenge))
		if p.status != http.StatusOK || !strings.Contains(p.body, otherOrgWeb) || !strings.Contains(p.body, `autocomplete="current-password"`) {
			t.Errorf("globex session at acme's Web: %d Location=%q, want the login page saying %q", p.status, p.location, otherOrgWeb)
		}
		q := callbackParams(t, b.get(e.authorizeURL(web, "s", "n", challenge, oauth2.SetAuthURLParam("prompt", "none"))), rpCallback)
		if q.Get("error") != "login_required" || q.Get("code") != "" {
			t.Errorf("prompt=none with a globex session at acme's Web: %v, want login_required", q)
		}
		// Acme's clients registered to accept globex answer from the same session.
		for name, c := range map[string]struct {
			r  registered
			cb string
		}{"--allow-org globex": {e.partner, partnerCB}, "--any-org": {e.shared, sharedCB}} {
			cfg := e.oauth(c.r, c.cb)
			tok := e.loginAs(t, b, cfg, "", "") // SSO: no form
			idOrg, sub, atOrg := e.orgClaims(t, c.r.ID, tok)
			if idOrg != e.globexID || atOrg != e.globexID {
				t.Errorf("%s: ID token org_id %q, access token org_id %q; want globex %s", name, idOrg, atOrg, e.globexID)
			}
			code, ui := e.userinfo(t, tok.AccessToken)
			if code != http.StatusOK || ui["org_id"] != e.globexID || ui["sub"] != sub {
				t.Errorf("%s: userinfo %d %v, want org_id %s", name, code, ui, e.globexID)
			}
			// Acme's resource server introspects its organization's client's token.
			if m := e.introspect(t, tok.AccessToken); m["active"] != true || m["org_id"] != e.globexID || m["sub"] != sub {
				t.Errorf("%s: introspection by acme's resource server = %v, want active with org_id %s", name, m, e.globexID)
			}
			// The client separates tenants by org_id: acme's user there says acme.
			tok = e.loginAs(t, e.browser(t), cfg, userEmail, userPassword)
			if idOrg, sub, atOrg := e.orgClaims(t, c.r.ID, tok); idOrg != e.acmeID || atOrg != e.acmeID || sub != e.userID {
				t.Errorf("%s, acme user: ID token org_id %q sub %q, access token org_id %q; want %s", name, idOrg, sub, atOrg, e.acmeID)
			}
		}
	})

	t.Run("introspection across organizations", func(t *testing.T) {
		tok := e.loginAs(t, e.browser(t), web, userEmail, userPassword)
		if m := e.introspect(t, tok.AccessToken); m["active"] != true || m["org_id"] != e.acmeID {
			t.Fatalf("acme's resource server on acme's token: %v", m)
		}
		for name, c := range map[string]registered{"globex resource server (--introspect)": e.gapi, "globex client": e.gapp,
			"acme client without --introspect": e.web2} {
			for kind, v := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
				code, m := e.introspectAs(t, c, url.Values{"token": {v}}, true)
				if code != http.StatusOK || m["active"] != false || len(m) != 1 {
					t.Errorf("%s on acme's %s token: %d %v, want exactly {\"active\":false}", name, kind, code, m)
				}
			}
		}
		// The globex resource server does see its own organization's tokens.
		gtok := e.loginAs(t, e.browser(t), gapp, globexEmail, globexPassword)
		if _, m := e.introspectAs(t, e.gapi, url.Values{"token": {gtok.AccessToken}}, true); m["active"] != true || m["org_id"] != e.globexID {
			t.Errorf("globex resource server on globex's token: %v, want active with org_id %s", m, e.globexID)
		}
	})
}

// Scopes are granted, not echoed (issue 7 item 2), from outside: client_credentials asks
// only for registered scopes (invalid_scope otherwise, RFC 6749 §5.2); the code flow drops
// unknown scopes and says what it granted; a refresh never widens, and a narrowing stays.
func TestGrantedScopes(t *testing.T) {
	e := start(t, nil)
	reader := createClient(t, e.cliEnv, "--name", "Reader", "--grant-type", "client_credentials", "--scope", "read", "--scope", "write")

	for _, tt := range []struct {
		name   string
		c      registered
		scope  string // "-": no scope parameter
		status int
		want   string // the granted scope, or the error code
	}{
		{"no registered scope asks admin", e.service, "admin", http.StatusBadRequest, "invalid_scope"},
		{"asks openid", e.service, "openid", http.StatusBadRequest, "invalid_scope"},
		{"registered scope", reader, "read", http.StatusOK, "read"},
		{"no scope parameter: all registered", reader, "-", http.StatusOK, "read write"},
		{"one registered, one not", reader, "read admin", http.StatusBadRequest, "invalid_scope"},
		{"registered scope twice", reader, "write write", http.StatusOK, "write"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}}
			if tt.scope != "-" {
				form.Set("scope", tt.scope)
			}
			status, body, _ := e.tokenPost(t, tt.c, form)
			got, _ := body["scope"].(string)
			if tt.status != http.StatusOK {
				got, _ = body["error"].(string)
			}
			if status != tt.status || got != tt.want {
				t.Errorf("scope=%q: %d %v, want %d %q", tt.scope, status, body, tt.status, tt.want)
			}
			if at, _ := body["access_token"].(string); status == http.StatusOK && tt.status == http.StatusOK {
				if m := e.introspect(t, at); m["scope"] != tt.want {
					t.Errorf("introspected scope = %v, want %q", m["scope"], tt.want)
				}
			}
		})
	}

	t.Run("code flow and refresh", func(t *testing.T) {
		web := e.oauth(e.web, rpCallback, "openid", "email", "offline_access", "admin", "read")
		tok := e.loginAs(t, e.browser(t), web, userEmail, userPassword)
		if s := tok.Extra("scope"); s != "openid email offline_access" {
			t.Errorf("code flow granted scope %v, want the unknown ones dropped", s)
		}
		refresh := func(rt, scope string) (int, map[string]any) {
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			if scope != "-" {
				form.Set("scope", scope)
			}
			status, body, _ := e.tokenPost(t, e.web, form)
			return status, body
		}
		if status, body := refresh(tok.RefreshToken, "openid email offline_access admin"); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
			t.Errorf("refresh asking more: %d %v, want invalid_scope", status, body)
		}
		// The refused refresh consumed nothing: the token narrows now.
		status, body := refresh(tok.RefreshToken, "openid offline_access")
		if status != http.StatusOK || body["scope"] != "openid offline_access" {
			t.Fatalf("narrowing refresh: %d %v", status, body)
		}
		rt, _ := body["refresh_token"].(string)
		if status, body := refresh(rt, "openid email offline_access"); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
			t.Errorf("refresh widening back after a narrowing: %d %v, want invalid_scope", status, body)
		}
		status, body = refresh(rt, "-")
		if status != http.StatusOK || body["scope"] != "openid offline_access" {
			t.Errorf("refresh without scope after a narrowing: %d %v, want the narrowed scope", status, body)
		}
		at, _ := body["access_token"].(string)
		if code, ui := e.userinfo(t, at); code != http.StatusOK || ui["email"] != nil {
			t.Errorf("userinfo after narrowing away email: %d %v", code, ui)
		}
	})
}

// In a real browser: a globex user signing in to an acme application reads "This account
// cannot sign in to <application>" on the login page and signs in there with an acme
// account, which reaches the application.
func TestBrowserOtherOrganization(t *testing.T) {
	chromium(t) // fail (or skip) before starting anything
	e := startTenants(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := createClient(t, e.cliEnv, "--name", "Browser app", "--public", "--redirect-uri", "http://127.0.0.1/cb")
	cfg := e.oauth(app, fmt.Sprintf("http://127.0.0.1:%d/cb", ln.Addr().(*net.TCPAddr).Port), oidc.ScopeOpenID)
	codes := make(chan url.Values, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query():
		default:
		}
		fmt.Fprint(w, "<!doctype html><title>RP</title><p id=who>callback</p>")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	verifier, challenge := pkce()
	ctx := browse(t)
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.authorizeURL(cfg, "browser-state", "browser-nonce", challenge)),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, globexEmail),
		chromedp.SendKeys(`#password`, globexPassword),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`p.error`),
	)
	var alert string
	if err == nil {
		alert, err = chromedp.Run(ctx, chromedp.Text(`p.error`))
	}
	if err != nil {
		t.Fatalf("browser, globex user: %v", err)
	}
	if want := "This account cannot sign in to Browser app"; !strings.Contains(alert, want) {
		t.Errorf("login page says %q, want %q", alert, want)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#email`, userEmail),
		chromedp.SendKeys(`#password`, userPassword),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`#who`),
	)
	if err != nil {
		t.Fatalf("browser, acme user after the refusal: %v", err)
	}
	q := <-codes
	if q.Get("state") != "browser-state" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := e.provider.Verifier(&oidc.Config{ClientID: app.ID}).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil || idt.Subject != e.userID {
		t.Errorf("ID token after the refusal: %v, sub %v; want the acme user %s", err, idt, e.userID)
	}
}
