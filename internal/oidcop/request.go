package oidcop

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/grant"
)

// authRequest presents a grant.AuthRequest to the op package.
type authRequest struct{ r grant.AuthRequest }

var _ op.AuthRequest = authRequest{}

func (a authRequest) GetID() string                      { return a.r.ID }
func (a authRequest) GetACR() string                     { return "" }
func (a authRequest) GetAMR() []string                   { return a.r.AMR }
func (a authRequest) GetAudience() []string              { return []string{a.r.ClientID} }
func (a authRequest) GetAuthTime() time.Time             { return a.r.AuthTime }
func (a authRequest) GetClientID() string                { return a.r.ClientID }
func (a authRequest) GetNonce() string                   { return a.r.Nonce }
func (a authRequest) GetRedirectURI() string             { return a.r.RedirectURI }
func (a authRequest) GetScopes() []string                { return a.r.Scopes }
func (a authRequest) GetState() string                   { return a.r.State }
func (a authRequest) GetSubject() string                 { return a.r.UserID }
func (a authRequest) Done() bool                         { return a.r.Done }
func (a authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.r.ResponseMode)
}

func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.r.CodeChallenge, Method: oidc.CodeChallengeMethod(a.r.CodeChallengeMethod)}
}

// refreshRequest presents a stored refresh token to the op package.
type refreshRequest struct {
	t      grant.RefreshToken
	scopes []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.t.ClientPublicID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.t.ClientPublicID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.t.UserID.String() }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// credentialsRequest is a client_credentials grant: the client acts for itself.
type credentialsRequest struct {
	clientID string
	scopes   []string
}

var _ op.TokenRequest = credentialsRequest{}

func (c credentialsRequest) GetSubject() string    { return c.clientID }
func (c credentialsRequest) GetAudience() []string { return []string{c.clientID} }
func (c credentialsRequest) GetScopes() []string   { return c.scopes }
