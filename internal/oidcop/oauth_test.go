package oidcop_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/testserver"
)

// Every protocol endpoint reads at most 64 KiB of form: a larger body is refused as the
// caller's mistake, never a 500, and never read to its end.
func TestProtocolBodyLimit(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	big := url.Values{"grant_type": {"client_credentials"}, "pad": {strings.Repeat("x", 65<<10)}}.Encode()
	for _, tt := range []struct {
		path   string
		status int
		body   string // in the answer
	}{
		{"/oauth/token", http.StatusBadRequest, `"error":"invalid_request"`},
		{"/oauth/introspect", http.StatusBadRequest, `"error":"invalid_request"`},
		{"/revoke", http.StatusBadRequest, `"error":"invalid_request"`},
		{"/userinfo", http.StatusBadRequest, `"error":"invalid_request"`},
	} {
		path := tt.path
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.URL+path, strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(h.Web.ID, h.Web.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("POST %s with a 65 KiB body = %d %s, want %d with %s", path, resp.StatusCode, b, tt.status, tt.body)
		}
	}
}
