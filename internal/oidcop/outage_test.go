package oidcop_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/testserver"
)

// internalText is what a store failure's error says and no answer may: the dialer's and
// the driver's words, and where Redis listens.
var internalText = []string{"dial", "refused", "redis", "127.0.0.1", "tcp", "connect", "EOF"}

// checkNoInternalText checks that body (with the request ID, which is random text, taken
// out) says nothing of internalText.
func checkNoInternalText(t *testing.T, r reply) {
	t.Helper()
	body := strings.ToLower(strings.ReplaceAll(r.body, r.header.Get("X-Request-ID"), ""))
	for _, s := range internalText {
		if strings.Contains(body, strings.ToLower(s)) {
			t.Errorf("answer says %q:\n%s", s, r.body)
		}
	}
}

// With Redis down, pages and protocol endpoints answer 503 with Retry-After: a page for a
// browser, temporarily_unavailable for a client, and never the store's error.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnRedis: true})
	service := h.Register(t, client.NewClient{Name: "Service", GrantTypes: []string{client.GrantClientCredentials}})
	verifier, challenge := pkce()
	q := authParams(h.Web.ID, testserver.WebCB, challenge)
	b := newBrowser(t, h.URL)
	id := b.startLogin(t, q)
	h.StopRedis(t)

	t.Run("pages", func(t *testing.T) {
		for _, path := range []string{"/login?id=" + url.QueryEscape(id), "/authorize?" + q.Encode()} {
			r := b.get(t, path)
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != httpx.RetryAfter || r.location() != "" {
				t.Errorf("GET %s = %v, want 503 with Retry-After %s", path, r, httpx.RetryAfter)
				continue
			}
			if !strings.Contains(r.body, "Temporarily unavailable") {
				t.Errorf("GET %s: not the unavailable page:\n%s", path, r.body)
			}
			checkPageHeaders(t, r)
			checkNoInternalText(t, r)
		}
	})

	for _, tt := range []struct {
		name string
		c    testserver.Client
		form url.Values
	}{
		{"authorization_code", h.Web, url.Values{"grant_type": {"authorization_code"}, "code": {"some-code"},
			"redirect_uri": {testserver.WebCB}, "code_verifier": {verifier}}},
		{"client_credentials", service, url.Values{"grant_type": {"client_credentials"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, m := tokenPost(t, h.URL, tt.c, tt.form)
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != httpx.RetryAfter {
				t.Fatalf("POST /oauth/token = %v, want 503 with Retry-After %s", r, httpx.RetryAfter)
			}
			if m["error"] != "temporarily_unavailable" || m["request_id"] != r.header.Get("X-Request-ID") || len(m) != 3 {
				t.Errorf("body = %v, want error, error_description and request_id (the X-Request-ID)", m)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			checkNoInternalText(t, r)
		})
	}
}
