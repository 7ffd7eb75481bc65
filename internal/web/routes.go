// Package web serves Sesame's browser pages other than the protocol endpoints: the login
// page (and, in later issues, second factors, recovery and account pages) and the static
// assets. Every state-changing route is behind Go's cross-origin protection.
package web

import (
	"context"
	"net/http"
	"time"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/templates"
)

// Requests reads and completes pending authorization requests.
type Requests interface {
	AuthRequest(ctx context.Context, id string) (grant.AuthRequest, error)
	SaveAuthRequest(ctx context.Context, r grant.AuthRequest) error
}

// Authenticator checks a password.
type Authenticator interface {
	Authenticate(ctx context.Context, email string, password secret.Secret) (account.User, error)
}

// Sessions creates and ends browser sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s grant.Session, lt grant.SessionLifetimes) error
	DeleteSession(ctx context.Context, id, userID string) error
}

// Clients names the application a user signs in to.
type Clients interface {
	ByClientID(ctx context.Context, clientID string) (client.Client, error)
}

// Handler serves the browser pages.
type Handler struct {
	Requests      Requests
	Authenticator Authenticator
	Sessions      Sessions
	Clients       Clients
	Pages         *httpx.Pages
	Lifetimes     grant.SessionLifetimes
	CallbackPath  string // where a completed login continues (the provider's callback)
	Now           func() time.Time
}

// Routes registers the pages on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	mux.Handle("GET /login", httpx.Handler(h.loginPage))
	mux.Handle("POST /login", cop.Handler(httpx.Handler(h.loginSubmit)))
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles()))
}

func staticFiles() http.Handler {
	fs := http.FileServerFS(templates.Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fs.ServeHTTP(w, r)
	})
}
