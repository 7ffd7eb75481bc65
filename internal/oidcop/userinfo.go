package oidcop

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *Storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills ID token claims by scope.
func (s *Storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.fillUserinfo(ctx, info, req.GetSubject(), scopes)
}

// SetUserinfoFromToken answers userinfo for a live, unrevoked access token.
func (s *Storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("access token is invalid, expired or revoked")
	}
	return s.fillUserinfo(ctx, info, subject, t.Scopes)
}

func (s *Storage) fillUserinfo(ctx context.Context, info *oidc.UserInfo, subject string, scopes []string) error {
	id, err := uuid.Parse(subject)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("not a user's token")
	}
	u, err := s.d.Users.UserByID(ctx, id)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("user not found").WithParent(scopeOf(ctx).note(err))
	}
	info.Subject = u.ID.String()
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeEmail:
			info.Email = u.Email
			// oidc.Bool omits false; the claim must say false, not be absent.
			info.AppendClaims("email_verified", u.EmailVerified)
		case oidc.ScopeProfile:
			info.Name = u.Name
		}
	}
	return nil
}

var errInactive = errors.New("inactive token")

// SetIntrospectionFromToken answers op's introspection for a live, unrevoked access token
// (Sesame's own introspection endpoint, introspect.go, uses the same lookup).
func (s *Storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	t, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return errInactive
	}
	fillIntrospection(resp, t)
	return nil
}

// GetPrivateClaimsFromScopes: Sesame adds no private claims to access tokens.
func (s *Storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
