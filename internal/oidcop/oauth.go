package oidcop

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/kind"
)

// oauthText is the one mapping from kinds to OAuth errors at the JSON protocol endpoints:
// a generic description and the request ID, never the internal text. Sesame raises only
// these kinds here (the protocol's own refusals are op's oidc.Errors); RFC 6749 has no code
// for "try again later" at the token endpoint, and temporarily_unavailable (its §4.1.2.1
// code) with 503 and Retry-After is what clients retry on.
func oauthText(k kind.Kind) (status int, code, description string) {
	switch k {
	case kind.Unavailable:
		return http.StatusServiceUnavailable, "temporarily_unavailable", "the service is temporarily unavailable: retry later"
	case kind.Invalid:
		return http.StatusBadRequest, "invalid_request", "the request is invalid"
	}
	return http.StatusInternalServerError, "server_error", "internal error"
}

func writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if errors.As(err, &oe) {
		if oe.wwwAuthHead != "" {
			w.Header().Set("WWW-Authenticate", oe.wwwAuthHead)
		}
		httpx.WriteJSON(w, oe.status, map[string]string{"error": oe.code, "error_description": oe.desc})
		return
	}
	status, code, desc := oauthText(kind.Of(err))
	httpx.LogError(r, status, err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", httpx.RetryAfter)
	}
	httpx.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc, "request_id": httpx.RequestID(r.Context())})
}

// protocol adapts a Sesame handler on a JSON protocol route: uncacheable answers (RFC 6749
// §5.1), and its error is answered by writeOAuthError.
func (p *Provider) protocol(h httpx.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if err := h(w, r); err != nil {
			writeOAuthError(w, r, err)
		}
	})
}

// offeredGrants are the token endpoint's grants.
var offeredGrants = map[string]bool{
	client.GrantAuthorizationCode: true, client.GrantRefreshToken: true, client.GrantClientCredentials: true,
}

var errMalformedForm = kind.New(kind.Invalid, "malformed form body")

// oauthError is a protocol refusal of a JSON endpoint, answered as RFC 6749 §5.2 says:
// status, error code and a description meant for the client's developer.
type oauthError struct {
	status      int
	code, desc  string
	wwwAuthHead string // WWW-Authenticate, for a 401
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func refuse(code, desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, desc: desc}
}

// errInvalidClient answers a failed client authentication (RFC 6749 §5.2); an unknown
// client and a wrong secret get the same answer.
var errInvalidClient = &oauthError{status: http.StatusUnauthorized, code: "invalid_client",
	desc: "client authentication failed", wwwAuthHead: `Basic realm="sesame", error="invalid_client"`}

// authenticate returns the client that authenticated the parsed form request r: a
// confidential client by its secret (HTTP Basic or the form, not both), a public one by its
// client_id alone. An unknown client and a wrong secret are both errInvalidClient.
func (p *Provider) authenticate(ctx context.Context, r *http.Request) (client.Client, error) {
	id, sec, err := clientCredentials(r)
	if err != nil {
		return client.Client{}, err
	}
	c, err := p.d.Clients.ByClientID(ctx, id)
	switch {
	case errors.Is(err, client.ErrNotFound):
		return client.Client{}, errInvalidClient
	case err != nil:
		return client.Client{}, err
	case c.Type == client.Confidential && !c.Authenticate(sec), c.Type == client.Public && sec != "":
		return client.Client{}, errInvalidClient
	}
	return c, nil
}

// clientCredentials returns the client ID and secret of a parsed form request: from HTTP
// Basic (client_secret_basic, form-encoded per RFC 6749 §2.3.1), else from the form
// (client_secret_post, or a public client's client_id alone).
// Credentials in the URL query are refused by the endpoints before this is called.
func clientCredentials(r *http.Request) (id, secret string, err error) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), nil
	}
	if r.PostForm.Has("client_secret") {
		return "", "", refuse("invalid_request", "use one client authentication method: HTTP Basic or the form, not both")
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if formID := r.PostForm.Get("client_id"); formID != "" && formID != id {
		return "", "", errInvalidClient
	}
	return id, secret, nil
}

// errQueryParameters: RFC 6749 §2.3.1 and §3.2 — credentials and codes never travel in
// the URL, where logs and Referer headers keep them.
var errQueryParameters = refuse("invalid_request", "send the parameters in the request body, not in the URL query")

// parseBody parses a protocol endpoint's form body, refusing any URL query.
func parseBody(r *http.Request) error {
	if r.URL.RawQuery != "" {
		return errQueryParameters
	}
	if err := r.ParseForm(); err != nil {
		return errMalformedForm
	}
	return nil
}
