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
	OrgID                  uuid.UUID
	ClientID               string // the public OAuth client_id
	Name                   string
	Type                   Type
	SecretHash             []byte // SHA-256 of the secret; nil for a public client
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Lifetimes
	CreatedAt time.Time
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
}

// Register validates and stores a client. For a confidential client it returns the
// secret: 256 random bits, shown this once and stored only as SHA-256.
func (s *Service) Register(ctx context.Context, in NewClient) (Client, secret.Secret, error) {
	c := Client{OrgID: in.OrgID, Name: strings.TrimSpace(in.Name), Type: Confidential, CreatedAt: s.now().UTC()}
	if in.Public {
		c.Type = Public
	}
	if c.Name == "" {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: name must not be empty", ErrInvalid)
	}
	if utf8.RuneCountInString(c.Name) > 200 {
		return Client{}, secret.Secret{}, fmt.Errorf("%w: name must be at most 200 characters", ErrInvalid)
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

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
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
func (s *Service) ByClientID(ctx context.Context, clientID string) (Client, error) {
	if clientID == "" || len(clientID) > 64 {
		return Client{}, ErrNotFound
	}
	return s.store.ClientByClientID(ctx, clientID)
}

// Has reports whether the client registered grant type g.
func (c Client) Has(g string) bool { return slices.Contains(c.GrantTypes, g) }
