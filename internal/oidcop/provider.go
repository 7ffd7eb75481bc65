// Package oidcop is Sesame's OpenID Provider edge: the op.Storage and op.Client bridge over
// Sesame's services (storage*.go, client.go, request.go) and the protocol endpoints
// (authorize and its callback, discovery, and op's token, introspection, revocation,
// userinfo and JWKS endpoints, wrapped). It uses github.com/zitadel/oidc/v3/pkg/op for the
// protocol and closes the defaults that package leaves open (docs/security.md). Login pages
// and logout are the web package's.
package oidcop

import (
	"context"
	"net/http"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/token"
)

// Clients looks up registered clients.
type Clients interface {
	ByClientID(ctx context.Context, clientID string) (client.Client, error)
}

// Users looks up users for claims.
type Users interface {
	UserByID(ctx context.Context, id uuid.UUID) (account.User, error)
}

// Logins runs login transactions and reads browser sessions (login.Service).
type Logins interface {
	Begin(req login.Request, c login.Client, bindingCookie string) (login.Transaction, error)
	Adopt(t login.Transaction, s login.Session) login.Transaction
	Save(ctx context.Context, t login.Transaction) error
	Transaction(ctx context.Context, id, bindingCookie string) (login.Transaction, error)
	Next(t login.Transaction) login.Step
	Session(ctx context.Context, id string) (login.Session, error)
	RecordGrant(ctx context.Context, sessionID, grantID string) error
}

// Codes issues and takes authorization codes (Redis).
type Codes interface {
	// IssueCode stores a code for a login whose transaction was never stored (SSO).
	IssueCode(ctx context.Context, code string, a token.Authorization) error
	// FinishTransaction consumes the stored transaction and stores its code, in one step.
	FinishTransaction(ctx context.Context, code string, a token.Authorization) error
	TakeCode(ctx context.Context, code, clientID, challenge string) (token.Authorization, string, error)
}

// AccessTokens records issued access tokens until they expire (Redis).
type AccessTokens interface {
	SaveAccessToken(ctx context.Context, t token.AccessToken, now time.Time) (grantRevoked bool, err error)
	AccessToken(ctx context.Context, id string) (token.AccessToken, error)
	RevokeAccessToken(ctx context.Context, id string) error
	RevokeGrantAccessTokens(ctx context.Context, grantID string) error
}

// Refresh issues, rotates and revokes refresh-token families (token.Refresh).
type Refresh interface {
	Lookup(ctx context.Context, value, clientID string) (token.RefreshToken, error)
	Inspect(ctx context.Context, value string) (token.RefreshToken, error)
	Find(ctx context.Context, value string) (token.RefreshToken, error)
	Start(ctx context.Context, a token.Authorization) (secret.Secret, token.RefreshToken, error)
	Rotate(ctx context.Context, current token.RefreshToken, scopes []string, idle time.Duration) (secret.Secret, token.RefreshToken, error)
	RevokeFamily(ctx context.Context, t token.RefreshToken) error
	RevokeGrant(ctx context.Context, grantID string) error
}

// Keys are the signing keys (signing.Keys).
type Keys interface {
	Active(ctx context.Context) (*signing.Active, error)
	Public(ctx context.Context) ([]jose.JSONWebKey, error)
	Algorithms(ctx context.Context) ([]string, error)
}

// Config configures the provider.
type Config struct {
	Issuer         *url.URL
	CryptoKey      [32]byte // encrypts opaque access tokens and codes (AES-256-GCM)
	LoginPath      string   // the login page, which runs a transaction's next step
	EndSessionPath string   // RP-Initiated Logout, served by the web package
}

// Deps are the provider's collaborators.
type Deps struct {
	Clients Clients
	Users   Users
	Logins  Logins
	Codes   Codes
	Access  AccessTokens
	Refresh Refresh
	Keys    Keys
	Pages   *httpx.Pages
	Now     func() time.Time
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
	PathKeys       = "/keys"
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
	st := &Storage{d: d}
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

var supportedClaims = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
	"at_hash", "email", "email_verified", "name", "org_id"}

var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// Routes registers every provider route on mux.
func (p *Provider) Routes(mux *http.ServeMux) {
	opH := p.op
	page := func(h httpx.HandlerFunc) http.Handler { return p.withIssuer(p.d.Pages.Handle(h)) }
	mux.Handle("GET "+PathDiscovery, cors.New(corsOptions).Handler(p.withIssuer(p.protocol(p.discovery))))
	mux.Handle("GET "+PathKeys, opH)
	mux.Handle("GET "+PathAuthorize, page(p.authorize))
	mux.Handle("POST "+PathAuthorize, page(p.authorize))
	mux.Handle("GET "+PathCallback, page(p.callback))
	api := func(h httpx.HandlerFunc) http.Handler { return cors.New(corsOptions).Handler(p.protocol(h)) }
	mux.Handle("POST "+PathToken, api(p.token))
	mux.Handle("POST "+PathIntrospect, api(p.introspect))
	mux.Handle("POST "+PathRevoke, api(p.revoke))
	mux.Handle("GET "+PathUserinfo, api(p.userinfo))
	mux.Handle("POST "+PathUserinfo, api(p.userinfo))
	// OPTIONS is a CORS preflight or nothing: op would serve any other OPTIONS request as the
	// endpoint itself, reading its parameters from the query string.
	preflight := cors.New(corsOptions).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, POST")
		httpx.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
	}))
	for path := range corsPaths {
		mux.Handle("OPTIONS "+path, preflight)
	}
}

func (p *Provider) withIssuer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(op.ContextWithIssuer(r.Context(), p.issuer)))
	})
}
