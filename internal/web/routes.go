// Package web serves Sesame's browser pages other than the protocol endpoints: the login
// page, which runs each step of a login transaction in the order login.Next gives (and,
// in later issues, second factors, recovery and account pages), RP-Initiated Logout, and
// the static assets. Every state-changing route is behind Go's cross-origin protection.
package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/templates"
)

// Paths of the pages.
const (
	PathLogin             = "/login"
	PathEndSession        = "/end_session"
	PathEndSessionConfirm = "/end_session/confirm"
)

// Logins runs login transactions and browser sessions (login.Service).
type Logins interface {
	Transaction(ctx context.Context, id, bindingCookie string) (login.Transaction, error)
	Next(t login.Transaction) login.Step
	Attempt(ctx context.Context, id, bindingCookie string, step login.Step) (login.Transaction, error)
	Pass(ctx context.Context, id, bindingCookie string, step login.Step, who *login.Identity) (login.Transaction, error)
	StartSession(ctx context.Context, t login.Transaction, replaced string) (login.Session, error)
	Session(ctx context.Context, id string) (login.Session, error)
	EndSession(ctx context.Context, s login.Session) ([]string, error)
	EndOtherSessions(ctx context.Context, s login.Session) error
}

// Grants revokes the access tokens issued from a grant (the token store), leaving its
// refresh token usable.
type Grants interface {
	RevokeIssuedAccessTokens(ctx context.Context, grantID string) error
}

// Authenticator checks a password.
type Authenticator interface {
	Authenticate(ctx context.Context, email string, password secret.Secret) (account.User, error)
}

// LogoutHints verifies an id_token_hint for logout (the oidcop provider).
type LogoutHints interface {
	VerifyLogoutHint(ctx context.Context, hint, clientID string) (client.Client, string, bool)
}

// Lockout is the password step's rule against guessing (login.Lockout).
type Lockout interface {
	Begin(ctx context.Context, email, deviceCookie string) (login.Attempt, error)
	Succeeded(ctx context.Context, a login.Attempt) error
	DeviceCookie(email string) string
}

// Failures is the budget of failed sign-ins per client IP (a throttle.Limit): Take counts
// an attempt, or refuses when the budget is spent; Refund gives back one that signed in.
type Failures interface {
	Take(ctx context.Context, subject string) error
	Refund(ctx context.Context, subject string) error
}

// Handler serves the browser pages.
type Handler struct {
	Logins        Logins
	Authenticator Authenticator
	Lockout       Lockout
	Hints         LogoutHints
	Grants        Grants
	Passwords     Passwords
	Refresh       RefreshTokens
	Failures      Failures // failed sign-ins per client IP
	Pages         *httpx.Pages
	CallbackPath  string // where a finished login goes to get its code (the provider's callback)
}

// Routes registers the pages on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	page := h.Pages.Handle
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(page(func(http.ResponseWriter, *http.Request) error { return errCrossOrigin }))
	mux.Handle("GET "+PathLogin, page(h.loginPage))
	// Sesame's own forms are small; the logout endpoint, a protocol endpoint that may carry
	// an id_token_hint, keeps the middleware's MaxBody.
	mux.Handle("POST "+PathLogin, httpx.LimitBody(httpx.MaxFormBody, cop.Handler(page(h.loginSubmit))))
	mux.Handle("GET "+PathEndSession, page(h.endSession))
	mux.Handle("POST "+PathEndSession, page(h.endSession))
	mux.Handle("POST "+PathEndSessionConfirm, httpx.LimitBody(httpx.MaxFormBody, cop.Handler(page(h.endSessionConfirm))))
	mux.Handle("GET "+PathPassword, page(h.passwordForm))
	mux.Handle("POST "+PathPassword, httpx.LimitBody(httpx.MaxFormBody, cop.Handler(page(h.passwordSubmit))))
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles()))
}

// staticFiles serves the embedded assets, files only: a directory (/static/ itself, or any
// path ending in /, where the file server sends a directory) is 404, never a listing.
func staticFiles() http.Handler {
	files := http.FileServerFS(templates.Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
