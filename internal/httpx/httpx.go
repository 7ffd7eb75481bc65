// Package httpx holds what Sesame's HTTP edges share: the error-returning handler adapter,
// request IDs, access logging, panic recovery and the refusal of TRACE.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// Error is an error with the status and the safe, fixed message a client sees.
type Error struct {
	Status  int
	Code    string // machine-readable, e.g. "invalid_request"
	Message string // shown to the client: never err.Error() of an internal error
	Err     error  // logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Handler is an http.Handler that returns an error; ServeHTTP writes it safely.
type Handler func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs h and, on error, logs the detail with the request ID and writes a JSON
// body with a status and a fixed message. An error not of type *Error is a 500 whose
// detail stays in the log.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	err := h(w, r)
	if err == nil {
		return
	}
	var he *Error
	if !errors.As(err, &he) {
		he = &Error{Status: http.StatusInternalServerError, Code: "server_error", Message: "internal error", Err: err}
	}
	level := slog.LevelInfo
	if he.Status >= 500 {
		level = slog.LevelError
	}
	Logger(r.Context()).Log(r.Context(), level, "request failed", "status", he.Status, "err", err)
	WriteJSON(w, he.Status, map[string]string{"error": he.Code, "error_description": he.Message})
}

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

// Middleware wraps next with, outermost first: a request ID (X-Request-ID response
// header; a client's own ID is not trusted), a per-request logger, an access log line
// (path only: query strings carry codes and tokens), panic recovery (500, no stack trace
// to the client) and the refusal of TRACE.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		rl := log.With("request_id", id)
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
		if r.Method == http.MethodTrace || r.Method == "TRACK" {
			WriteJSON(sw, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
			return
		}
		next.ServeHTTP(sw, r)
	})
}
