package oidcop

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
)

// opClient presents a registered client to the op package.
type opClient struct {
	c        client.Client
	loginURL func(id string) string
}

var _ op.Client = opClient{}

func (o opClient) GetID() string                    { return o.c.ClientID }
func (o opClient) RedirectURIs() []string           { return o.c.RedirectURIs }
func (o opClient) PostLogoutRedirectURIs() []string { return o.c.PostLogoutRedirectURIs }
func (o opClient) LoginURL(id string) string        { return o.loginURL(id) }
func (o opClient) IDTokenLifetime() time.Duration   { return o.c.IDTokenTTL }
func (o opClient) ClockSkew() time.Duration         { return 0 }

// DevMode is never on: no relaxed redirect URI rules, ever.
func (o opClient) DevMode() bool { return false }

// ApplicationType: public clients are native apps (RFC 8252), confidential ones web apps.
func (o opClient) ApplicationType() op.ApplicationType {
	if o.c.Type == client.Public {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

// AuthMethod: a confidential client authenticates with its secret (basic or post: op
// accepts either when AuthMethodPost is on), a public one with nothing but PKCE.
func (o opClient) AuthMethod() oidc.AuthMethod {
	if o.c.Type == client.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (o opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (o opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(o.c.GrantTypes))
	for _, g := range o.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

func (o opClient) AccessTokenType() op.AccessTokenType {
	if o.c.AccessTokenFormat == client.FormatOpaque {
		return op.AccessTokenTypeBearer
	}
	return op.AccessTokenTypeJWT
}

func (o opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (o opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed: only the standard scopes Sesame implements.
func (o opClient) IsScopeAllowed(scope string) bool { return slices.Contains(supportedScopes, scope) }

// IDTokenUserinfoClaimsAssertion: put the scope's claims in the ID token too (the issue's
// contract: email, email_verified, name by scope in the ID token and userinfo).
func (o opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}
