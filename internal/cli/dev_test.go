package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/localsvc"
	"github.com/sesameid/sesame/internal/testenv"
)

// `sesame dev` seeds the demo data and prints an authorize URL that works in a browser:
// signing in there lands on the demo app, which shows the ID token's claims.
func TestDevAuthorizeURLWorks(t *testing.T) {
	t.Parallel()
	rURL, prefix := testenv.Redis(t)
	port, _ := localsvc.FreePort()
	appPort, _ := localsvc.FreePort()
	env := map[string]string{
		"SESAME_DATABASE_URL": testenv.PostgresURL(t), "SESAME_REDIS_URL": rURL, "SESAME_REDIS_KEY_PREFIX": prefix,
		"SESAME_LISTEN": fmt.Sprintf("127.0.0.1:%d", port),
	}
	out, logs := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"dev", "--dir", t.TempDir(), "--demo-app-listen", fmt.Sprintf("127.0.0.1:%d", appPort)},
			func(k string) string { return env[k] }, strings.NewReader(""), out, logs)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("dev exited %d:\n%s", code, logs)
		}
	}()
	authRE := regexp.MustCompile(`(http://127\.0\.0\.1:\d+/authorize\?\S+)`)
	pwRE := regexp.MustCompile(`password:\s+(\S+)`)
	var authURL, password string
	for deadline := time.Now().Add(30 * time.Second); authURL == "" || !strings.Contains(logs.String(), "sesame serving"); time.Sleep(20 * time.Millisecond) {
		if m := authRE.FindStringSubmatch(out.String()); m != nil {
			authURL = m[1]
			password = pwRE.FindStringSubmatch(out.String())[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no authorize URL printed:\n%s\n%s", out, logs)
		}
	}
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar}
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"email": {"demo@example.com"}, "password": {password}}
	for _, m := range regexp.MustCompile(`name="(id|csrf)" value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], m[2])
	}
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/login", port), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Request.URL.String(), fmt.Sprintf("127.0.0.1:%d/callback", appPort)) ||
		!strings.Contains(string(body), "demo@example.com") || strings.Contains(string(body), "Sign-in failed") {
		t.Errorf("after sign-in: %s\n%s", resp.Request.URL, body)
	}
}
