package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestCodeFlow(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	cfg := e.oauth(e.web, rpCallback)
	b := e.browser(t)

	// The login page: labels, autocomplete, CSRF token, security headers.
	verifier, challenge := pkce()
	p := b.get(e.authorizeURL(cfg, "st-1", "n-1", challenge))
	for _, want := range []string{`autocomplete="username"`, `autocomplete="current-password"`, `<label for="email">`, `<label for="password">`, `name="csrf"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	checkPageHeaders(t, "login", p.header)

	// Unknown email and wrong password: same status, same message.
	bad1 := b.signIn(p, "nobody@example.com", userPassword)
	bad2 := b.signIn(bad1, userEmail, "wrong password!!")
	if bad1.status != bad2.status || !strings.Contains(bad1.body, "Invalid email or password") || !strings.Contains(bad2.body, "Invalid email or password") {
		t.Errorf("failed logins differ: %d vs %d", bad1.status, bad2.status)
	}
	p = b.signIn(bad2, userEmail, userPassword)
	q := callbackParams(t, p, rpCallback)
	if q.Get("iss") != e.issuer || q.Get("state") != "st-1" {
		t.Errorf("callback iss/state = %q/%q", q.Get("iss"), q.Get("state"))
	}

	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := e.provider.Verifier(&oidc.Config{ClientID: e.web.ID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token does not verify: %v", err)
	}
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified *bool    `json:"email_verified"`
		Name          string   `json:"name"`
		AMR           []string `json:"amr"`
		AuthTime      int64    `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != e.userID || idt.Nonce != "n-1" || claims.Email != userEmail || claims.Name != "Ada Lovelace" ||
		claims.EmailVerified == nil || !slices.Contains(claims.AMR, "pwd") || claims.AuthTime == 0 {
		t.Errorf("ID token sub=%s nonce=%s claims=%+v", idt.Subject, idt.Nonce, claims)
	}
	if tok.RefreshToken == "" || len(strings.Split(tok.AccessToken, ".")) != 3 {
		t.Errorf("want a JWT access token and a refresh token, got %q / %q", tok.AccessToken, tok.RefreshToken)
	}
	ui, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != e.userID || ui.Email != userEmail {
		t.Errorf("userinfo = %+v", ui)
	}
}

func checkPageHeaders(t *testing.T, name string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("%s: CSP = %q", name, csp)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if h.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", name, k, h.Get(k), v)
		}
	}
}
