package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/templates"
)

func TestMiddlewareAndHandler(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	mux := http.NewServeMux()
	tmpl, err := templates.Parse()
	if err != nil {
		t.Fatal(err)
	}
	pages := NewPages(tmpl, false)
	mux.Handle("GET /internal", pages.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return errors.New(`pq: relation "users" at /srv/sesame/store.go:42`)
	}))
	mux.Handle("GET /client", pages.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("parse: %w", kind.New(kind.Invalid, "missing parameter at /srv/x.go"))
	}))
	mux.Handle("GET /down", pages.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return kind.Wrap(kind.Unavailable, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"))
	}))
	mux.Handle("GET /panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom at /srv/x.go") }))
	h := Middleware(log, mux)

	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/internal", 500, `<h1>Something went wrong</h1>`},
		{"GET", "/client", 400, `<h1>Invalid request</h1>`},
		{"GET", "/down", 503, `<h1>Temporarily unavailable</h1>`},
		{"GET", "/panic", 500, `"error":"server_error"`},
		{"TRACE", "/client", 405, `"error":"method_not_allowed"`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path+"?code=secret-code", nil))
		body := rec.Body.String()
		if rec.Code != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s = %d %s, want %d with %s", tt.method, tt.path, rec.Code, body, tt.status, tt.want)
		}
		for _, leak := range []string{"/srv/", "pq:", "goroutine", "boom", "dial", "refused", "missing parameter"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s %s body leaks %q: %s", tt.method, tt.path, leak, body)
			}
		}
		if id := rec.Header().Get("X-Request-ID"); id == "" || (tt.status != 500 && tt.status != 405 && !strings.Contains(body, id)) {
			t.Errorf("%s %s: X-Request-ID %q missing or not on the page", tt.method, tt.path, id)
		}
		if ra := rec.Header().Get("Retry-After"); (tt.status == 503) != (ra != "") {
			t.Errorf("%s %s: Retry-After = %q", tt.method, tt.path, ra)
		}
		if strings.HasPrefix(tt.want, "<h1>") && rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: error page without the security headers", tt.method, tt.path)
		}
	}
	if !strings.Contains(logs.String(), "relation") || !strings.Contains(logs.String(), "request_id=") {
		t.Errorf("internal error detail not logged with a request ID:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "secret-code") {
		t.Errorf("access log contains the query string:\n%s", logs.String())
	}
}

// Every kind has its page, with the status its kind calls for.
func TestEveryKindHasAPage(t *testing.T) {
	for k, status := range map[kind.Kind]int{
		kind.Internal: 500, kind.Invalid: 400, kind.NotFound: 404, kind.Conflict: 409,
		kind.Forbidden: 403, kind.Unavailable: 503,
	} {
		if p := textOf(kind.New(k, "x")); p.status != status || p.title == "" || p.message == "" {
			t.Errorf("page for %s = %+v, want status %d with a title and a message", k, p, status)
		}
	}
}

// HSTS reaches every response, JSON and errors included (a panic's 500 too).
func TestHSTS(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
	}))
	mux.Handle("GET /panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	h := HSTS(Middleware(slog.New(slog.DiscardHandler), mux))
	for _, path := range []string{"/json", "/panic", "/missing"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := rec.Header().Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
			t.Errorf("GET %s (%d): HSTS = %q", path, rec.Code, got)
		}
	}
}

// Each failure is logged once, at the level its cause calls for: a store outage or a bug is
// an error, a sign-in shed because every hashing slot stayed busy a warning (anyone can cause
// it), a client's mistake information.
func TestLogErrorLevels(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{kind.New(kind.Unavailable, "redis down"), http.StatusServiceUnavailable, "level=ERROR"},
		{account.ErrBusy, http.StatusServiceUnavailable, "level=WARN"},
		{errors.New("bug"), http.StatusInternalServerError, "level=ERROR"},
		{kind.New(kind.Invalid, "bad form"), http.StatusBadRequest, "level=INFO"},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		rec := httptest.NewRecorder()
		Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			LogError(r, tc.status, tc.err)
		})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
		if line := firstLine(buf.String(), "request failed"); !strings.Contains(line, tc.want) {
			t.Errorf("LogError(%v) logged %q, want %s", tc.err, line, tc.want)
		}
	}
}

func firstLine(logs, msg string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, msg) {
			return l
		}
	}
	return ""
}
