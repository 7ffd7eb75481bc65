// Package client owns the OAuth client registry: registering clients, generating and
// checking their secrets, and the rules their redirect URIs must follow.
package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

// Type is confidential (holds a secret) or public (a native or browser app that cannot).
type Type string

// Client types.
const (
	Confidential Type = "confidential"
	Public       Type = "public"
)

// Grant types Sesame offers.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Client is a registered OAuth client.
type Client struct {
	ID                     uuid.UUID // internal row ID: never leaves the stores and the CLI
	ClientID               string    // the public OAuth client_id
	Name                   string
	Type                   Type
	SecretHash             []byte // SHA-256 of the secret; nil for a public client
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Lifetimes
	Audience            // whose users may sign in to it
	Scopes     []string // the scopes it may receive beyond the OpenID ones (Grantable)
	Introspect bool     // a resource server: may introspect the tokens of its organization's clients
	CreatedAt  time.Time
}

// Audience is the organization rule of a client: its users come from its own organization,
// from the organizations it was registered to allow, or from any organization (one
// application shared by every customer organization, which then separates tenants by the
// tokens' org_id). It holds at every place a user meets the client: the sign-in steps, SSO,
// refresh and introspection.
type Audience struct {
	OrgID       uuid.UUID   // the organization that registered the client
	AllowedOrgs []uuid.UUID // other organizations whose users it accepts
	AnyOrg      bool
}

// Accepts reports whether a user of organization org may sign in to the client.
func (a Audience) Accepts(org uuid.UUID) bool {
	return org != uuid.Nil && (a.AnyOrg || org == a.OrgID || slices.Contains(a.AllowedOrgs, org))
}

// OpenIDScopes are the scopes every code-flow client may receive (offline_access only with
// the refresh_token grant).
var OpenIDScopes = []string{"openid", "profile", "email", "offline_access"}

// Bounds on registered scopes.
const (
	maxScopes      = 32
	maxScopeLen    = 64
	maxAllowedOrgs = 100 // beyond that, --any-org: the list is copied into every login transaction
)

// Grantable returns the requested scopes the client may receive, each once, in order:
// the OpenID ones for a code-flow client and the ones it was registered with. Anything else
// is dropped (RFC 6749 §3.3: the server may grant less than asked, and says so in scope).
func (c Client) Grantable(requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if c.MayReceive(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// MayReceive reports whether scope s may be granted to the client.
func (c Client) MayReceive(s string) bool {
	switch s {
	case "openid", "profile", "email":
		return c.Has(GrantAuthorizationCode)
	case "offline_access":
		return c.Has(GrantRefreshToken)
	}
	return slices.Contains(c.Scopes, s)
}

// checkScope is RFC 6749 §3.3's scope-token (printable ASCII but space, '"' and '\\'),
// bounded.
func checkScope(s string) error {
	if s == "" || len(s) > maxScopeLen {
		return fmt.Errorf("%w: a scope must be 1-%d characters", ErrInvalid, maxScopeLen)
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return fmt.Errorf("%w: scope %q: only printable ASCII without space, '\"' or '\\'", ErrInvalid, s)
		}
	}
	if slices.Contains(OpenIDScopes, s) {
		return fmt.Errorf("%w: scope %q is granted by the flow, not registered", ErrInvalid, s)
	}
	return nil
}

// Errors callers branch on.
var (
	ErrNotFound = kind.New(kind.NotFound, "client not found")
	ErrInvalid  = kind.New(kind.Invalid, "invalid client")
	// ErrRedirectURI: an authorization request named a redirect URI the client has not registered.
	ErrRedirectURI = kind.New(kind.Invalid, "redirect URI not registered for the client")
)

// Access token formats.
const (
	FormatJWT    = "jwt"
	FormatOpaque = "opaque"
)

// Lifetimes are a client's token lifetimes and access token format.
type Lifetimes struct {
	AccessTokenFormat  string
	AccessTokenTTL     time.Duration
	IDTokenTTL         time.Duration
	RefreshIdleTTL     time.Duration
	RefreshAbsoluteTTL time.Duration
}

// DefaultLifetimes apply when a client is registered without its own.
var DefaultLifetimes = Lifetimes{
	AccessTokenFormat:  FormatJWT,
	AccessTokenTTL:     5 * time.Minute,
	IDTokenTTL:         5 * time.Minute,
	RefreshIdleTTL:     24 * time.Hour,
	RefreshAbsoluteTTL: 30 * 24 * time.Hour,
}

// MaxTokenTTL bounds access and ID token lifetimes, and so how long a retired signing key
// stays published.
const MaxTokenTTL = time.Hour

func (l Lifetimes) check() error {
	switch {
	case l.AccessTokenFormat != FormatJWT && l.AccessTokenFormat != FormatOpaque:
		return fmt.Errorf("%w: access token format must be jwt or opaque", ErrInvalid)
	case l.AccessTokenTTL < time.Minute || l.AccessTokenTTL > MaxTokenTTL:
		return fmt.Errorf("%w: access token lifetime must be from 1m to %s", ErrInvalid, MaxTokenTTL)
	case l.IDTokenTTL < time.Minute || l.IDTokenTTL > MaxTokenTTL:
		return fmt.Errorf("%w: ID token lifetime must be from 1m to %s", ErrInvalid, MaxTokenTTL)
	case l.RefreshIdleTTL < time.Minute || l.RefreshIdleTTL > l.RefreshAbsoluteTTL:
		return fmt.Errorf("%w: refresh token idle lifetime must be at least 1m and at most the absolute lifetime", ErrInvalid)
	case l.RefreshAbsoluteTTL > 365*24*time.Hour:
		return fmt.Errorf("%w: refresh token absolute lifetime must be at most 8760h", ErrInvalid)
	}
	return nil
}

// Store is the persistence the Service needs.
type Store interface {
	CreateClient(ctx context.Context, c Client) error
	ClientByClientID(ctx context.Context, clientID string) (Client, error)
	ClientsByOrg(ctx context.Context, orgID uuid.UUID) ([]Client, error)
}

// Service manages clients.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// NewClient is the input of Register.
type NewClient struct {
	OrgID                  uuid.UUID
	Name                   string
	Public                 bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string   // empty: authorization_code and refresh_token
	Lifetimes              *Lifetimes // nil: DefaultLifetimes
	AllowedOrgs            []uuid.UUID
	AnyOrg                 bool
	Scopes                 []string
	Introspect             bool
}

// Register validates and stores a client. For a confidential client it returns the
// secret: 256 random bits, shown this once and stored only as SHA-256.
func (s *Service) Register(ctx context.Context, in NewClient) (Client, secret.Secret, error) {
	c := Client{Name: strings.TrimSpace(in.Name), Type: Confidential, CreatedAt: s.now().UTC()}
	if in.Public {
		c.Type = Public
	}
	if c.Name == "" {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: name must not be empty", ErrInvalid)
	}
	if utf8.RuneCountInString(c.Name) > 200 {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: name must be at most 200 characters", ErrInvalid)
	}
	if !input.Clean(c.Name) {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: name must be text without control characters", ErrInvalid)
	}
	c.Lifetimes = DefaultLifetimes
	if in.Lifetimes != nil {
		c.Lifetimes = *in.Lifetimes
	}
	if err := c.Lifetimes.check(); err != nil {
		return Client{}, secret.Secret{}, err
	}
	grants, err := checkGrants(in.GrantTypes, c.Type)
	if err != nil {
		return Client{}, secret.Secret{}, err
	}
	c.GrantTypes = grants
	for _, u := range in.RedirectURIs {
		if err := CheckRedirectURI(u, c.Type); err != nil {
			return Client{}, secret.Secret{}, err
		}
	}
	if slices.Contains(grants, GrantAuthorizationCode) && len(in.RedirectURIs) == 0 {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: the authorization_code grant needs at least one redirect URI", ErrInvalid)
	}
	for _, u := range in.PostLogoutRedirectURIs {
		if err := CheckRedirectURI(u, c.Type); err != nil {
			return Client{}, secret.Secret{}, fmt.Errorf("post-logout %w", err)
		}
	}
	if in.AnyOrg && len(in.AllowedOrgs) > 0 {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: --any-org and --allow-org exclude each other", ErrInvalid)
	}
	if len(in.AllowedOrgs) > maxAllowedOrgs {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: at most %d allowed organizations (or --any-org)", ErrInvalid, maxAllowedOrgs)
	}
	c.Audience = Audience{OrgID: in.OrgID, AnyOrg: in.AnyOrg}
	for _, o := range dedupe(in.AllowedOrgs) {
		if o != in.OrgID {
			c.AllowedOrgs = append(c.AllowedOrgs, o)
		}
	}
	if len(in.Scopes) > maxScopes {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: at most %d scopes", ErrInvalid, maxScopes)
	}
	for _, sc := range in.Scopes {
		if err := checkScope(sc); err != nil {
			return Client{}, secret.Secret{}, err
		}
	}
	c.Scopes = dedupe(in.Scopes)
	if in.Introspect && c.Type != Confidential {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: only a confidential client can introspect", ErrInvalid)
	}
	c.Introspect = in.Introspect
	c.RedirectURIs = dedupe(in.RedirectURIs)
	c.PostLogoutRedirectURIs = dedupe(in.PostLogoutRedirectURIs)
	if c.ID, err = uuid.NewV7(); err != nil {
		return Client{}, secret.Secret{}, err
	}
	c.ClientID = newClientID()
	var sec secret.Secret
	if c.Type == Confidential {
		sec = secret.Token()
		c.SecretHash = secret.Digest(sec.Reveal())
	}
	if err := s.store.CreateClient(ctx, c); err != nil {
		return Client{}, secret.Secret{}, err
	}
	return c, sec, nil
}

// newClientID returns a public, unguessable identifier (128 random bits).
func newClientID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func checkGrants(in []string, t Type) ([]string, error) {
	if len(in) == 0 {
		return []string{GrantAuthorizationCode, GrantRefreshToken}, nil
	}
	out := dedupe(in)
	for _, g := range out {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken:
		case GrantClientCredentials:
			if t == Public {
				return nil, fmt.Errorf("%w: a public client cannot use client_credentials", ErrInvalid)
			}
		default:
			return nil, fmt.Errorf("%w: unsupported grant type %q (use authorization_code, refresh_token or client_credentials)", ErrInvalid, g)
		}
	}
	if slices.Contains(out, GrantRefreshToken) && !slices.Contains(out, GrantAuthorizationCode) {
		return nil, fmt.Errorf("%w: refresh_token needs the authorization_code grant", ErrInvalid)
	}
	return out, nil
}

func dedupe[T comparable](in []T) []T {
	out := make([]T, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Authenticate reports whether presented is c's secret, in constant time.
func (c Client) Authenticate(presented string) bool {
	return c.Type == Confidential && len(c.SecretHash) > 0 && secret.Matches(presented, c.SecretHash)
}

// List returns the organization's clients.
func (s *Service) List(ctx context.Context, orgID uuid.UUID) ([]Client, error) {
	return s.store.ClientsByOrg(ctx, orgID)
}

// ByClientID returns the live client with the public identifier clientID, or ErrNotFound.
// An identifier no client can have (empty, too long, not clean text: PostgreSQL would fail on
// a NUL byte or invalid UTF-8) is ErrNotFound without a query.
func (s *Service) ByClientID(ctx context.Context, clientID string) (Client, error) {
	if clientID == "" || len(clientID) > 64 || !input.Clean(clientID) {
		return Client{}, ErrNotFound
	}
	return s.store.ClientByClientID(ctx, clientID)
}

// Has reports whether the client registered grant type g.
func (c Client) Has(g string) bool { return slices.Contains(c.GrantTypes, g) }
