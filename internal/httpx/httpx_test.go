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

	"github.com/sesameid/sesame/internal/kind"
)

func TestMiddlewareAndHandler(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	mux := http.NewServeMux()
	mux.Handle("GET /internal", JSON(func(w http.ResponseWriter, r *http.Request) error {
		return errors.New(`pq: relation "users" at /srv/sesame/store.go:42`)
	}))
	mux.Handle("GET /client", JSON(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("parse: %w", kind.New(kind.Invalid, "missing parameter at /srv/x.go"))
	}))
	mux.Handle("GET /panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom at /srv/x.go") }))
	h := Middleware(log, mux)

	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/internal", 500, `"error":"internal"`},
		{"GET", "/client", 400, `"error":"invalid"`},
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
		for _, leak := range []string{"/srv/", "pq:", "goroutine", "boom"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s %s body leaks %q: %s", tt.method, tt.path, leak, body)
			}
		}
		if rec.Header().Get("X-Request-ID") == "" {
			t.Errorf("%s %s: no X-Request-ID", tt.method, tt.path)
		}
	}
	if !strings.Contains(logs.String(), "relation") || !strings.Contains(logs.String(), "request_id=") {
		t.Errorf("internal error detail not logged with a request ID:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "secret-code") {
		t.Errorf("access log contains the query string:\n%s", logs.String())
	}
}
