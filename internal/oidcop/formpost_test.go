package oidcop_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/testserver"
)

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// formPostPage reads a form_post page: where its form goes, and its fields.
func formPostPage(t *testing.T, r reply) (string, url.Values) {
	t.Helper()
	m := formAction.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("answer = %v, want the form_post page", r)
	}
	fields := url.Values{}
	for _, f := range formInput.FindAllStringSubmatch(r.body, -1) {
		fields.Set(f[1], html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), fields
}

// formActionAllows reports whether a page with Content-Security-Policy csp may submit a
// form to a URI of scheme: form-action does not fall back to default-src, so a policy
// without it allows every target (CSP Level 3 §6.4.1).
func formActionAllows(csp, scheme string) bool {
	for d := range strings.SplitSeq(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && strings.EqualFold(f[0], "form-action") {
			return slices.Contains(f[1:], scheme+":")
		}
	}
	return true
}

// form_post answers a native app at its private-use scheme redirect URI (RFC 8252 §7.1):
// the form goes to the registered URI (not html/template's "#ZgotmplZ"), the page's
// Content-Security-Policy lets it go there, and the code it carries is the app's.
func TestFormPostPrivateUseScheme(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	const cb = "com.example.app:/cb"
	app := h.Register(t, client.NewClient{Name: "Native", Public: true, RedirectURIs: []string{cb}})
	verifier, challenge := pkce()
	q := authParams(app.ID, cb, challenge)
	q.Set("response_mode", "form_post")
	noPKCE := authParams(app.ID, cb, "")
	noPKCE.Set("response_mode", "form_post")

	for _, tt := range []struct {
		name   string
		answer func() reply
		want   string // the field that must be there: code or error
	}{
		{"code", func() reply { return newBrowser(t, h.URL).signIn(t, q) }, "code"},
		{"error", func() reply { return newBrowser(t, h.URL).get(t, "/authorize?"+noPKCE.Encode()) }, "error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.answer()
			action, fields := formPostPage(t, r)
			if action != cb {
				t.Errorf("form action = %q, want %q", action, cb)
			}
			if fields.Get(tt.want) == "" || fields.Get("state") != "st-1" || fields.Get("iss") != h.URL {
				t.Errorf("form fields %v, want %s, state st-1 and iss %s", fields, tt.want, h.URL)
			}
			checkPageHeaders(t, r)
			if csp := r.header.Get("Content-Security-Policy"); !formActionAllows(csp, "com.example.app") {
				t.Errorf("Content-Security-Policy %q does not let the form go to %s", csp, cb)
			}
			if tt.want != "code" {
				return
			}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {fields.Get("code")}, "client_id": {app.ID},
				"redirect_uri": {cb}, "code_verifier": {verifier}}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.URL+"/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if r := newBrowser(t, h.URL).do(t, req); r.status != http.StatusOK || !strings.Contains(r.body, `"id_token"`) {
				t.Errorf("the app's code exchange = %v, want 200 with an ID token", r)
			}
		})
	}
}
