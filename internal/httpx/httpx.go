// Package httpx holds what Sesame's HTTP edges share: the error-returning handler adapters
// (errors.go: an error's kind chooses the status, a page or a JSON body, and the log
// level), HTML pages with their security headers and cookies (page.go), request IDs,
// access logging, panic recovery and the refusal of TRACE.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/sesameid/sesame/internal/clientip"
)

// WriteJSON writes v as JSON with status, uncacheable.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
)

// RequestID returns the request's ID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Logger returns the request's logger (carrying request_id), or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// hsts asks browsers to use only https with this host and its subdomains for a year.
const hsts = "max-age=31536000; includeSubDomains"

// HSTS sets Strict-Transport-Security on every response of next, pages and JSON endpoints
// alike. Use it whenever the issuer is https, whether Sesame terminates TLS or a proxy does.
func HSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hsts)
		next.ServeHTTP(w, r)
	})
}

// MaxBody bounds every request body: Sesame reads only forms, and a login form is well
// under 1 KiB.
const MaxBody = 64 << 10

// MaxFormBody bounds the body of a form of Sesame's own pages (login, logout confirmation),
// which the browser fills from fields Sesame rendered: well under 1 KiB in use.
const MaxFormBody = 16 << 10

// LimitBody caps the request body of h at n bytes (below the middleware's MaxBody): reading
// past n fails, and the handler answers the unreadable form with 400.
func LimitBody(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// Middleware wraps next with, outermost first: a request ID (X-Request-ID response
// header; a client's own ID is not trusted), a per-request logger, an access log line
// (path only: query strings carry codes and tokens), panic recovery (500, no stack trace
// to the client), a MaxBody limit on the request body and the refusal of TRACE.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		rl := log.With("request_id", id)
		if ip := clientip.From(r.Context()); ip.IsValid() {
			rl = rl.With("client_ip", ip.String())
		}
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), loggerKey, rl)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-ID", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				rl.Error("panic", "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					WriteJSON(sw, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "internal error"})
				}
			}
			rl.LogAttrs(ctx, slog.LevelInfo, "http request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)))
		}()
		// Every body Sesame reads is a small form: a larger one is refused while it is read.
		r.Body = http.MaxBytesReader(sw, r.Body, MaxBody)
		if r.Method == http.MethodTrace || r.Method == "TRACK" {
			WriteJSON(sw, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
			return
		}
		next.ServeHTTP(sw, r)
	})
}
