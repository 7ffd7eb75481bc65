package oidcop

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/token"
)

// authRequest presents the authorization a code stands for to the op package.
type authRequest struct{ a token.Authorization }

var _ op.AuthRequest = authRequest{}

func (a authRequest) GetID() string                      { return a.a.GrantID }
func (a authRequest) GetACR() string                     { return a.a.ACR }
func (a authRequest) GetAMR() []string                   { return a.a.AMR }
func (a authRequest) GetAudience() []string              { return []string{a.a.ClientID} }
func (a authRequest) GetAuthTime() time.Time             { return a.a.AuthTime }
func (a authRequest) GetClientID() string                { return a.a.ClientID }
func (a authRequest) GetNonce() string                   { return a.a.Nonce }
func (a authRequest) GetRedirectURI() string             { return a.a.RedirectURI }
func (a authRequest) GetScopes() []string                { return a.a.Scopes }
func (a authRequest) GetState() string                   { return "" } // the state went back with the code
func (a authRequest) GetSubject() string                 { return a.a.UserID }
func (a authRequest) Done() bool                         { return true } // codes are issued for finished logins only
func (a authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseModeQuery }

func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.a.CodeChallengeMethod)}
}

// refreshRequest presents a stored refresh token to the op package.
type refreshRequest struct {
	t      token.RefreshToken
	scopes []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.t.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.t.ClientID }
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
