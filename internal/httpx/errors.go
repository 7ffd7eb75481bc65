package httpx

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/throttle"
)

// HandlerFunc is an HTTP handler that returns its error; an adapter (Pages.Handle for
// browser routes; oidcop's for the protocol's JSON routes) logs it once and writes the answer
// its kind calls for.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// RetryAfter is the Retry-After (seconds) of every 503: PostgreSQL or Redis failing over.
const RetryAfter = "5"

// LogError logs a handled error once, with the request ID its logger carries: at error
// level for Sesame's failures, at info for the caller's mistakes.
func LogError(r *http.Request, status int, err error) {
	level := slog.LevelInfo
	switch {
	case errors.Is(err, account.ErrBusy):
		// Load shed on purpose, and anyone can cause it: a warning, so a sign-in flood does
		// not fill the error log and page whoever watches it.
		level = slog.LevelWarn
	case status >= 500:
		level = slog.LevelError
	}
	logThrottled(r, err)
	Logger(r.Context()).Log(r.Context(), level, "request failed", "status", status, "kind", kind.Of(err).String(), "err", err)
}

// pageText is what a person sees for an error: fixed text, never err.Error().
type pageText struct {
	status         int
	title, message string
}

// pageErrors are the errors with text of their own, checked in order with errors.Is.
var pageErrors = []struct {
	err error
	pageText
}{
	{login.ErrExpired, pageText{http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or was already used. Return to the application and try again."}},
	{login.ErrOtherBrowser, pageText{http.StatusBadRequest, "Sign-in refused", "This sign-in was started in another browser. Return to the application and start again here."}},
	{login.ErrBadCSRF, pageText{http.StatusBadRequest, "Form expired", "The form expired or was sent from another page. Go back, reload it and try again."}},
	{login.ErrNotHintedUser, pageText{http.StatusForbidden, "Different account", "The application asked for another account than the one you signed in with. Return to the application and sign in as that account, or sign out there first."}},
	{login.ErrTooManyAttempts, pageText{http.StatusBadRequest, "Too many attempts", "This sign-in was stopped after too many attempts. Return to the application and start again."}},
	{login.ErrNoSession, pageText{http.StatusForbidden, "Not signed in", "This page is for a signed-in user. Sign in through one of your applications, then come back."}},
	{login.ErrOutOfOrder, pageText{http.StatusBadRequest, "Sign-in step out of order", "This step of the sign-in is not expected now. Return to the application and try again."}},
	{throttle.ErrLimited, pageText{http.StatusTooManyRequests, "Too many requests", "Too many requests or failed sign-ins came from your network. Wait a few minutes and try again."}},
	{client.ErrNotFound, pageText{http.StatusBadRequest, "Unknown application", "The application that sent you here is not registered."}},
	{client.ErrRedirectURI, pageText{http.StatusBadRequest, "Invalid redirect", "The application asked to return to an address it has not registered."}},
}

// kindPages is the text for any other error, by kind.
var kindPages = map[kind.Kind]pageText{
	kind.Invalid:     {http.StatusBadRequest, "Invalid request", "The request could not be read."},
	kind.NotFound:    {http.StatusNotFound, "Not found", "There is nothing here."},
	kind.Conflict:    {http.StatusConflict, "Already done", "This was already done or changed meanwhile. Go back and try again."},
	kind.Forbidden:   {http.StatusForbidden, "Not allowed", "You may not do this."},
	kind.Unavailable: {http.StatusServiceUnavailable, "Temporarily unavailable", "Sesame cannot complete this right now. Try again in a minute."},
	kind.Internal:    {http.StatusInternalServerError, "Something went wrong", "Sesame could not complete this request. Try again later."},
}

func textOf(err error) pageText {
	for _, pe := range pageErrors {
		if errors.Is(err, pe.err) {
			return pe.pageText
		}
	}
	return kindPages[kind.Of(err)]
}

// Handle adapts h for a browser route: an error becomes Sesame's error page (fixed text,
// the request ID, the pages' security headers), never a redirect and never err.Error().
func (p *Pages) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.fail(w, r, err)
		}
	})
}

// fail logs err and writes its error page.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	t := textOf(err)
	LogError(r, t.status, err)
	if t.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfter)
	}
	var lim *throttle.Limited
	if errors.As(err, &lim) {
		w.Header().Set("Retry-After", lim.RetryAfterSeconds())
	}
	data := ErrorPage{Title: t.title, Message: t.message, RequestID: RequestID(r.Context())}
	if rerr := p.Render(w, t.status, "error.html", data); rerr != nil {
		Logger(r.Context()).Error("render error page", "err", rerr)
		p.SecurityHeaders(w.Header())
		http.Error(w, t.message, t.status)
	}
}
