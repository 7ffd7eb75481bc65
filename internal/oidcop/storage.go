package oidcop

import (
	"context"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/signing"
)

// Storage implements op.Storage over Sesame's services. Sesame uses op for the JWKS
// endpoint, the discovery document's base, the authorization request parser and the
// verification of ID and access tokens it signed; those need only the keys. Every other
// endpoint op could serve (authorize, token, introspection, revocation, userinfo, end
// session) is Sesame's own, so the methods behind them refuse: nothing can complete a
// request through op without Sesame's rules.
type Storage struct {
	d Deps
}

var _ op.Storage = (*Storage)(nil)

var errNotThroughOp = errors.New("this endpoint is served by Sesame, not by op")

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
		return nil, err
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

// The methods below serve endpoints Sesame does not let op serve: see Storage.

func (s *Storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errNotThroughOp
}
func (s *Storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotThroughOp
}
func (s *Storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotThroughOp
}
func (s *Storage) SaveAuthCode(context.Context, string, string) error { return errNotThroughOp }
func (s *Storage) DeleteAuthRequest(context.Context, string) error    { return errNotThroughOp }
func (s *Storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errNotThroughOp
}
func (s *Storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotThroughOp
}
func (s *Storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNotThroughOp
}
func (s *Storage) TerminateSession(context.Context, string, string) error { return errNotThroughOp }
func (s *Storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithParent(errNotThroughOp)
}
func (s *Storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", errNotThroughOp
}
func (s *Storage) GetClientByClientID(context.Context, string) (op.Client, error) {
	return nil, errNotThroughOp
}
func (s *Storage) AuthorizeClientIDSecret(context.Context, string, string) error {
	return errNotThroughOp
}
func (s *Storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return errNotThroughOp
}
func (s *Storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotThroughOp
}
func (s *Storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotThroughOp
}
func (s *Storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, errNotThroughOp
}
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotThroughOp
}
func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotThroughOp
}
