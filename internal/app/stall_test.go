package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type answer struct {
	status int
	header http.Header
	body   string
	took   time.Duration
}

// do sends r with a client that waits far longer than any store deadline: a request that
// hangs on a stalled dependency fails the test instead of answering late.
func do(t *testing.T, r *http.Request) answer {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	resp, err := c.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b), time.Since(start)}
}

func get(t *testing.T, u string) answer {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, r)
}

// With PostgreSQL or Redis stalled (stopped with SIGSTOP: connections open, nothing
// answers), requests that need it fail at the store's deadline: /readyz 503 naming it, a
// page 503 with Retry-After, a protocol endpoint 503 temporarily_unavailable. Nothing waits
// for the stalled server, and all is well again once it answers.
func TestStalledDependencies(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnPostgres: true, OwnRedis: true, Env: map[string]string{
		"SESAME_DATABASE_TIMEOUT": "300ms", "SESAME_REDIS_TIMEOUT": "300ms",
	}})
	service := h.Register(t, client.NewClient{Name: "Service", GrantTypes: []string{client.GrantClientCredentials}})
	_, challenge := testserver.PKCE()
	authorize := h.URL + "/authorize?" + url.Values{"response_type": {"code"}, "client_id": {h.Web.ID},
		"redirect_uri": {testserver.WebCB}, "scope": {"openid"}, "state": {"s"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
	token := func() answer {
		r, err := http.NewRequest(http.MethodPost, h.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(service.ID, service.Secret)
		return do(t, r)
	}
	if a := get(t, h.URL+"/readyz"); a.status != http.StatusOK {
		t.Fatalf("/readyz before the stall = %d %s", a.status, a.body)
	}

	for _, dep := range []struct {
		name  string
		stall func(testing.TB) func()
	}{
		{"postgres", h.StallPostgres},
		{"redis", h.StallRedis},
	} {
		t.Run(dep.name, func(t *testing.T) {
			resume := dep.stall(t)
			ready := get(t, h.URL+"/readyz")
			var body struct{ Failed []string }
			_ = json.Unmarshal([]byte(ready.body), &body)
			if ready.status != http.StatusServiceUnavailable || fmt.Sprint(body.Failed) != "["+dep.name+"]" {
				t.Errorf("/readyz = %d %s, want 503 naming %s", ready.status, ready.body, dep.name)
			}
			page := get(t, authorize)
			if page.status != http.StatusServiceUnavailable || page.header.Get("Retry-After") != httpx.RetryAfter ||
				!strings.Contains(page.body, "Temporarily unavailable") {
				t.Errorf("GET /authorize = %d (Retry-After %q), want the 503 page with Retry-After", page.status, page.header.Get("Retry-After"))
			}
			tok := token()
			var oauth struct{ Error string }
			_ = json.Unmarshal([]byte(tok.body), &oauth)
			if tok.status != http.StatusServiceUnavailable || oauth.Error != "temporarily_unavailable" || tok.header.Get("Retry-After") != httpx.RetryAfter {
				t.Errorf("POST /oauth/token = %d %s, want 503 temporarily_unavailable with Retry-After", tok.status, tok.body)
			}
			if live := get(t, h.URL+"/healthz"); live.status != http.StatusOK {
				t.Errorf("/healthz = %d, want 200: the process is up", live.status)
			}
			t.Logf("%s stalled: /readyz answered in %s, /authorize in %s, /oauth/token in %s",
				dep.name, ready.took.Round(time.Millisecond), page.took.Round(time.Millisecond), tok.took.Round(time.Millisecond))

			resume()
			if a := token(); a.status != http.StatusOK {
				t.Errorf("POST /oauth/token once %s answers again = %d %s, want 200", dep.name, a.status, a.body)
			}
		})
	}
}
