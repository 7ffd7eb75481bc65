// Package oidcop is Sesame's OpenID Provider: op.Storage over Sesame's services, the
// signing keys, and the routes. It uses github.com/zitadel/oidc/v3/pkg/op for the protocol
// and closes the defaults that package leaves open (DESIGN.md, docs/security.md): the
// authorization endpoint, its callback, discovery and end session are Sesame's own
// handlers built from op's parts; token, introspection, revocation, userinfo and JWKS are
// op's, wrapped.
package oidcop

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/httpx"
)

// Sessions reads and ends browser sessions.
type Sessions interface {
	TouchSession(ctx context.Context, id string, lt grant.SessionLifetimes, now time.Time) (grant.Session, error)
	DeleteSession(ctx context.Context, id, userID string) error
}

// Config configures the provider.
type Config struct {
	Issuer    *url.URL
	CryptoKey [32]byte // encrypts opaque access tokens and codes (AES-256-GCM)
	Sessions  grant.SessionLifetimes
}

// Deps are the provider's collaborators.
type Deps struct {
	Clients  Clients
	Users    Users
	Requests Requests
	Access   AccessTokens
	Refresh  RefreshTokens
	Sessions Sessions
	Keys     *Keys
	Pages    *httpx.Pages
	Now      func() time.Time
}

// Provider serves the OpenID Provider endpoints.
type Provider struct {
	op     *op.Provider
	st     *Storage
	d      Deps
	cfg    Config
	issuer string
}

// Endpoint paths.
const (
	PathAuthorize  = "/authorize"
	PathCallback   = "/authorize/callback"
	PathToken      = "/oauth/token"
	PathIntrospect = "/oauth/introspect"
	PathUserinfo   = "/userinfo"
	PathRevoke     = "/revoke"
	PathEndSession = "/end_session"
	PathKeys       = "/keys"
	PathLogin      = "/login"
	PathDiscovery  = "/.well-known/openid-configuration"
)

// corsPaths may be called cross-origin (by browser apps), without credentials. The
// authorization endpoint and every page are not among them.
var corsPaths = map[string]bool{
	PathDiscovery: true, PathKeys: true, PathToken: true, PathUserinfo: true,
	PathIntrospect: true, PathRevoke: true,
}

// corsOptions replace op's default (every origin, with credentials, on every route).
var corsOptions = cors.Options{
	AllowOriginRequestFunc: func(r *http.Request, _ string) bool { return corsPaths[r.URL.Path] },
	AllowCredentials:       false,
	AllowedMethods:         []string{http.MethodGet, http.MethodPost},
	AllowedHeaders:         []string{"Authorization", "Content-Type", "Accept"},
}

// New builds the provider.
func New(cfg Config, d Deps) (*Provider, error) {
	issuer := cfg.Issuer.String()
	st := &Storage{
		clients: d.Clients, users: d.Users, requests: d.Requests, access: d.Access, refresh: d.Refresh,
		keys: d.Keys, now: d.Now,
		loginURL: func(id string) string { return issuer + PathLogin + "?id=" + url.QueryEscape(id) },
	}
	opts := []op.Option{
		// Authenticated encryption only: without this op still decrypts legacy AES-CFB values.
		op.WithCrypto(op.NewAES256GCMCrypto(cfg.CryptoKey, "sesame")),
		op.WithCORSOptions(&corsOptions),
	}
	if cfg.Issuer.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure()) // config allows http only on loopback
	}
	p, err := op.NewProvider(&op.Config{
		CryptoKey:             cfg.CryptoKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       supportedScopes,
		SupportedClaims:       supportedClaims,
	}, st, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, err
	}
	return &Provider{op: p, st: st, d: d, cfg: cfg, issuer: issuer}, nil
}

var supportedClaims = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp",
	"at_hash", "email", "email_verified", "name"}

// Routes registers every provider route on mux.
func (p *Provider) Routes(mux *http.ServeMux) {
	opH := p.op
	mux.Handle("GET "+PathDiscovery, cors.New(corsOptions).Handler(p.withIssuer(httpx.Handler(p.discovery))))
	mux.Handle("GET "+PathKeys, opH)
	mux.Handle("GET "+PathAuthorize, p.withIssuer(httpx.Handler(p.authorize)))
	mux.Handle("POST "+PathAuthorize, p.withIssuer(httpx.Handler(p.authorize)))
	mux.Handle("GET "+PathCallback, p.withIssuer(httpx.Handler(p.callback)))
	mux.Handle("POST "+PathToken, tokenEndpoint(opH))
	mux.Handle("POST "+PathIntrospect, noStore(opH))
	mux.Handle("POST "+PathRevoke, noStore(opH))
	mux.Handle("GET "+PathUserinfo, noStore(opH))
	mux.Handle("POST "+PathUserinfo, noStore(opH))
	for path := range corsPaths {
		mux.Handle("OPTIONS "+path, opH) // CORS preflight, answered by op's CORS handler
	}
	mux.Handle("GET "+PathEndSession, p.withIssuer(httpx.Handler(p.endSession)))
	mux.Handle("POST "+PathEndSession, p.withIssuer(httpx.Handler(p.endSession)))
	mux.Handle("POST "+PathEndSession+"/confirm", http.NewCrossOriginProtection().Handler(httpx.Handler(p.endSessionConfirm)))
}

func (p *Provider) withIssuer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(op.ContextWithIssuer(r.Context(), p.issuer)))
	})
}
