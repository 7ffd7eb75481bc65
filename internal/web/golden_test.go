package web_test

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesameid/sesame/internal/testserver"
)

var update = flag.Bool("update", false, "rewrite golden files")

// unnormalized matches what a random value left in a snapshot looks like: a UUID or a
// 32-byte base64url token.
var unnormalized = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9_-]{43}`)

// snapshot is r as a golden file holds it: the status, every header but Date and
// Content-Length, and the body, with the transaction ID, the CSRF token and the request ID
// replaced by placeholders.
func snapshot(r response) string {
	f := hidden(r.body)
	var pairs []string
	for _, p := range [][2]string{{f.Get("id"), "{{TX_ID}}"}, {f.Get("csrf"), "{{CSRF}}"}, {r.header.Get("X-Request-ID"), "{{REQUEST_ID}}"}} {
		if p[0] != "" {
			pairs = append(pairs, p[0], p[1])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", r.status)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.header {
			if k != "Date" && k != "Content-Length" && !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		for _, v := range r.header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n" + r.body)
	return strings.NewReplacer(pairs...).Replace(b.String())
}

// The pages as a browser gets them, headers included, against testdata/<name>.golden
// (go test -update rewrites them).
func TestGoldenPages(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	for _, tt := range []struct {
		name string
		open func(t *testing.T) response
	}{
		{"login", func(t *testing.T) response {
			b := newBrowser(t, h)
			id, _ := b.authorize(url.Values{"login_hint": {testserver.Email}})
			return b.get("/login?id=" + id)
		}},
		{"login_failed", func(t *testing.T) response {
			b := newBrowser(t, h)
			id, _ := b.authorize(nil)
			return b.post("/login", withPassword(b.loginForm(id), testserver.Email, "wrong password, long enough"))
		}},
		{"error", func(t *testing.T) response {
			return newBrowser(t, h).get("/login?id=00000000-0000-4000-8000-000000000000")
		}},
		{"logout", func(t *testing.T) response {
			b, _, hint := signedIn(t, h)
			return b.get("/end_session?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
		}},
		{"logged_out", func(t *testing.T) response {
			b, _, _ := signedIn(t, h)
			return b.post("/end_session/confirm", url.Values{"csrf": {hidden(b.get("/end_session").body).Get("csrf")}})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.open(t)
			got := snapshot(r)
			if m := unnormalized.FindString(got); m != "" {
				t.Fatalf("snapshot keeps the random value %q:\n%s", m, got)
			}
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs from %s (-want +got):\n%s", tt.name, path, diff)
			}
			checkSecurityHeaders(t, r)
		})
	}
}
