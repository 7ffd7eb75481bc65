package oidcop

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/token"
)

// scope is what one protocol request remembers while op calls the storage bridge several
// times: the clients already read (op asks for the client up to three times per token
// request; PostgreSQL sees one query), the refresh token a revocation looked up, and the
// first dependency failure, which decides the answer when op turns it into something else.
type scope struct {
	mu      sync.Mutex
	clients map[string]client.Client
	refresh map[string]token.RefreshToken
	failure error
	// Set by tokenGate for the code and refresh grants.
	tokenClient string // the authenticated client's client_id
	challenge   string // S256 of the presented code_verifier
}

type scopeKey struct{}

func withScope(ctx context.Context) (context.Context, *scope) {
	sc := &scope{clients: map[string]client.Client{}, refresh: map[string]token.RefreshToken{}}
	return context.WithValue(ctx, scopeKey{}, sc), sc
}

// scopeOf returns the request's scope, or a fresh one outside a guarded route.
func scopeOf(ctx context.Context) *scope {
	if sc, ok := ctx.Value(scopeKey{}).(*scope); ok {
		return sc
	}
	_, sc := withScope(ctx)
	return sc
}

// note records err when it is a dependency failure and returns it unchanged.
func (sc *scope) note(err error) error {
	if kind.Is(err, kind.Unavailable) {
		sc.mu.Lock()
		if sc.failure == nil {
			sc.failure = err
		}
		sc.mu.Unlock()
	}
	return err
}

func (sc *scope) failed() error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.failure
}

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
	status, code, desc := oauthText(kind.Of(err))
	httpx.LogError(r, status, err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", httpx.RetryAfter)
	}
	httpx.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc, "request_id": httpx.RequestID(r.Context())})
}

// writeInvalidClient answers a failed client authentication (RFC 6749 §5.2); an unknown
// client and a wrong secret get the same answer.
func writeInvalidClient(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="sesame", error="invalid_client"`)
	httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "client authentication failed"})
}

// protocolRequest starts a request on a JSON protocol route: uncacheable answers (RFC 6749
// §5.1) and a scope for the storage bridge.
func protocolRequest(w http.ResponseWriter, r *http.Request) (*http.Request, *scope) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	ctx, sc := withScope(r.Context())
	return r.WithContext(ctx), sc
}

// protocol adapts a Sesame handler on a JSON protocol route: its error is answered by
// writeOAuthError.
func (p *Provider) protocol(h httpx.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _ = protocolRequest(w, r)
		if err := h(w, r); err != nil {
			writeOAuthError(w, r, err)
		}
	})
}

var errOpFailed = errors.New("op answered a server error")

// guard wraps one of op's JSON endpoints (token, revocation, userinfo): protocolRequest;
// WWW-Authenticate on a 401 (RFC 6749 §5.2); and Sesame's own error in place of op's when
// op answered 5xx (op puts the internal error's text in error_description) or when a store
// failed during the request (op turns a failed code lookup into invalid_grant).
func (p *Provider) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, sc := protocolRequest(w, r)
		gw := &guardWriter{ResponseWriter: w, sc: sc}
		next.ServeHTTP(gw, r)
		if gw.replaced {
			err := sc.failed()
			if err == nil {
				err = errOpFailed
			}
			writeOAuthError(w, r, err)
		}
	})
}

type guardWriter struct {
	http.ResponseWriter
	sc       *scope
	wrote    bool
	replaced bool
}

func (g *guardWriter) WriteHeader(code int) {
	if g.wrote {
		return
	}
	g.wrote = true
	if code >= 500 || (code >= 400 && g.sc.failed() != nil) {
		g.replaced = true
		return
	}
	if code == http.StatusUnauthorized {
		g.Header().Set("WWW-Authenticate", `Basic realm="sesame", error="invalid_client"`)
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *guardWriter) Write(b []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	if g.replaced {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

// offeredGrants are the token endpoint's grants; op would also try the JWT bearer, token
// exchange and device grants.
var offeredGrants = map[string]bool{
	client.GrantAuthorizationCode: true, client.GrantRefreshToken: true, client.GrantClientCredentials: true,
}

var (
	errMalformedForm = kind.New(kind.Invalid, "malformed form body")
)

// tokenGate runs before op's token endpoint: a grant_type Sesame does not offer is refused
// before op sees it, and for the code and refresh grants the client is authenticated first
// (op would take the code, and revoke its grant on a replay, before checking who asks). The
// authenticated client and the S256 of the presented code_verifier go into the request's
// scope: AuthRequestByCode consumes a code only for its own client and verifier.
func (p *Provider) tokenGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, r, errMalformedForm)
			return
		}
		g := r.PostForm.Get("grant_type")
		if !offeredGrants[g] {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type",
				"error_description": "grant_type must be authorization_code, refresh_token or client_credentials"})
			return
		}
		if g == client.GrantClientCredentials {
			next.ServeHTTP(w, r) // op authenticates first for this grant
			return
		}
		id, sec := clientCredentials(r)
		c, err := p.st.client(r.Context(), id)
		switch {
		case err != nil && !errors.Is(err, client.ErrNotFound):
			writeOAuthError(w, r, err) // a store down (503) or Sesame's failure (500), not the client's
			return
		case err != nil, c.Type == client.Confidential && !c.Authenticate(sec):
			writeInvalidClient(w)
			return
		}
		sc := scopeOf(r.Context())
		sc.mu.Lock()
		sc.tokenClient = c.ClientID
		if v := r.PostForm.Get("code_verifier"); v != "" {
			sc.challenge = secret.S256(v)
		}
		sc.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// clientCredentials returns the client ID and secret of a parsed form request: from HTTP
// Basic (client_secret_basic, form-encoded per RFC 6749 §2.3.1), else from the form
// (client_secret_post, or a public client's client_id alone).
func clientCredentials(r *http.Request) (id, secret string) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	return id, secret
}
