package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// chromium finds Debian's chromium; without it the test fails (CI installs it), unless
// CI is unset and SESAME_TEST_ALLOW_SKIP=1.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found: install it (Debian: apt-get install chromium)"
	if os.Getenv("CI") == "" && os.Getenv("SESAME_TEST_ALLOW_SKIP") == "1" {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// browse starts headless Chromium with a fresh profile (the flags keep it off the closed
// network, where it would otherwise stall) and returns the context of its first tab, which
// ends with the test or after 90 seconds; chromedp.NewContext on it opens another tab.
func browse(t *testing.T, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
	}, flags...)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A real browser signs in through the login page and lands on the relying party's
// callback, which exchanges the code and verifies the ID token.
func TestBrowserLogin(t *testing.T) {
	chromium(t)
	e := start(t, nil)
	// The relying party: a native app listening on a loopback port of its choosing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/cb", ln.Addr().(*net.TCPAddr).Port)
	app := createClient(t, e.cliEnv, "--name", "Browser app", "--public", "--redirect-uri", "http://127.0.0.1/cb")
	cfg := e.oauth(app, redirect, oidc.ScopeOpenID, "email")
	verifier, challenge := pkce()
	result := make(chan string, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("iss") != e.issuer || q.Get("state") != "browser-state" {
			result <- fmt.Sprintf("bad callback %v", q)
			return
		}
		tok, err := cfg.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			result <- "exchange: " + err.Error()
			return
		}
		idt, err := e.provider.Verifier(&oidc.Config{ClientID: app.ID}).Verify(r.Context(), tok.Extra("id_token").(string))
		if err != nil {
			result <- "verify: " + err.Error()
			return
		}
		var c struct{ Email string }
		_ = idt.Claims(&c)
		fmt.Fprintf(w, "<!doctype html><title>RP</title><p id=who>signed in as %s</p>", c.Email)
		result <- "ok " + c.Email
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	ctx := browse(t)
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.authorizeURL(cfg, "browser-state", "browser-nonce", challenge)),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, userEmail),
		chromedp.SendKeys(`#password`, userPassword),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`#who`),
	)
	var landed string
	if err == nil {
		landed, err = chromedp.Run(ctx, chromedp.Text(`#who`))
	}
	if err != nil {
		select {
		case r := <-result:
			t.Fatalf("browser: %v (relying party: %s)", err, r)
		default:
			t.Fatalf("browser: %v", err)
		}
	}
	if r := <-result; r != "ok "+userEmail {
		t.Errorf("relying party: %s", r)
	}
	if !strings.Contains(landed, userEmail) {
		t.Errorf("callback page says %q", landed)
	}
}
