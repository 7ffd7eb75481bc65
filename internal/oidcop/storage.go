package oidcop

import (
	"context"
	"errors"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/signing"
)

// Storage implements op.Storage over Sesame's services. Its methods are split by concern:
// clients and keys here, authorization requests and codes in requests.go, tokens in
// tokens.go, userinfo and introspection in userinfo.go. Every dependency failure is noted
// in the request's scope (oauth.go) so the edge answers it as one.
type Storage struct {
	d        Deps
	loginURL func(id string) string
}

var (
	_ op.Storage                   = (*Storage)(nil)
	_ op.ClientCredentialsStorage  = (*Storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*Storage)(nil)
)

// client returns the live client clientID, read once per request.
func (s *Storage) client(ctx context.Context, clientID string) (client.Client, error) {
	sc := scopeOf(ctx)
	sc.mu.Lock()
	c, ok := sc.clients[clientID]
	sc.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := s.d.Clients.ByClientID(ctx, clientID)
	if err != nil {
		return client.Client{}, sc.note(err)
	}
	sc.mu.Lock()
	sc.clients[clientID] = c
	sc.mu.Unlock()
	return c, nil
}

// GetClientByClientID returns a client; an unknown one is a plain error (not server_error).
func (s *Storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.client(ctx, clientID)
	if errors.Is(err, client.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return opClient{c: c, loginURL: s.loginURL}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret: SHA-256, constant time.
func (s *Storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	_, err := s.authenticate(ctx, clientID, clientSecret)
	return err
}

var errInvalidClient = errors.New("client authentication failed")

// authenticate returns the client whose secret is clientSecret; an unknown client and a
// wrong secret get the same error.
func (s *Storage) authenticate(ctx context.Context, clientID, clientSecret string) (client.Client, error) {
	c, err := s.client(ctx, clientID)
	if errors.Is(err, client.ErrNotFound) {
		return client.Client{}, errInvalidClient
	}
	if err != nil {
		return client.Client{}, oidc.ErrServerError().WithParent(err)
	}
	if !c.Authenticate(clientSecret) {
		return client.Client{}, errInvalidClient
	}
	return c, nil
}

// ClientCredentials authenticates a confidential client for the client_credentials grant.
func (s *Storage) ClientCredentials(ctx context.Context, clientID, clientSecret string) (op.Client, error) {
	c, err := s.authenticate(ctx, clientID, clientSecret)
	if err != nil {
		return nil, err
	}
	if !c.Has(client.GrantClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client_credentials is not registered for this client")
	}
	return opClient{c: c, loginURL: s.loginURL}, nil
}

// ClientCredentialsTokenRequest: the client acts for itself; user scopes mean nothing here.
func (s *Storage) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	return credentialsRequest{clientID: clientID, scopes: slices.DeleteFunc(scopes, func(sc string) bool {
		return slices.Contains(supportedScopes, sc)
	})}, nil
}

// signingKey presents the active key to op.
type signingKey struct{ *signing.Active }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.Alg }
func (k signingKey) Key() any                                    { return k.Signer }
func (k signingKey) ID() string                                  { return k.KID }

// publicKey presents a published key to op.
type publicKey struct{ jwk jose.JSONWebKey }

func (p publicKey) ID() string { return p.jwk.KeyID }
func (p publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(p.jwk.Algorithm)
}
func (p publicKey) Use() string { return "sig" }
func (p publicKey) Key() any    { return p.jwk.Key }

// SigningKey returns the active signing key.
func (s *Storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	a, err := s.d.Keys.Active(ctx)
	if err != nil {
		return nil, scopeOf(ctx).note(err)
	}
	return signingKey{a}, nil
}

// SignatureAlgorithms returns the algorithms of the published keys.
func (s *Storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	algs, err := s.d.Keys.Algorithms(ctx)
	out := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out, err
}

// KeySet returns the published keys (JWKS).
func (s *Storage) KeySet(ctx context.Context) ([]op.Key, error) {
	pub, err := s.d.Keys.Public(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(pub))
	for i, k := range pub {
		out[i] = publicKey{k}
	}
	return out, nil
}

// Health is op's readiness probe; Sesame's /readyz checks its stores instead.
func (s *Storage) Health(ctx context.Context) error {
	_, err := s.d.Keys.Active(ctx)
	return err
}

// GetKeyByIDAndClientID: the JWT profile grant and private_key_jwt are not offered.
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("private_key_jwt is not supported")
}

// ValidateJWTProfileScopes: the JWT profile grant is not offered.
func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}
