package oidcop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/token"
)

// refreshIDPrefix tells a refresh token's ID from an access token's in RevokeToken.
const refreshIDPrefix = "rt:"

// issue is what every token request tells about its client and grant: the lifetimes come
// from the authorization for a code (copied at /authorize), and from the client read once
// in this request otherwise.
func (s *Storage) issue(ctx context.Context, req op.TokenRequest) (clientID, grantID string, lt client.Lifetimes, err error) {
	switch r := req.(type) {
	case authRequest:
		return r.a.ClientID, r.a.GrantID, r.a.Lifetimes, nil
	case *refreshRequest:
		clientID, grantID = r.t.ClientID, r.t.GrantID
	case credentialsRequest:
		clientID = r.clientID
	default:
		return "", "", lt, fmt.Errorf("unsupported token request %T", req)
	}
	c, err := s.client(ctx, clientID)
	return clientID, grantID, c.Lifetimes, err
}

// CreateAccessToken records a new access token.
func (s *Storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	clientID, grantID, lt, err := s.issue(ctx, req)
	if err != nil {
		return "", time.Time{}, err
	}
	return s.saveAccessToken(ctx, req, clientID, grantID, lt.AccessTokenTTL)
}

func (s *Storage) saveAccessToken(ctx context.Context, req op.TokenRequest, clientID, grantID string, ttl time.Duration) (string, time.Time, error) {
	now := s.d.Now()
	t := token.AccessToken{
		ID: uuid.NewString(), ClientID: clientID, Subject: req.GetSubject(), Scopes: req.GetScopes(),
		Audience: req.GetAudience(), GrantID: grantID, ExpiresAt: now.Add(ttl).Truncate(time.Second),
	}
	revoked, err := s.d.Access.SaveAccessToken(ctx, t, now)
	if err != nil {
		return "", time.Time{}, scopeOf(ctx).note(err)
	}
	if revoked {
		// A replay of this grant's code won the race with this issue: the tokens go out
		// dead, as RFC 6749 §4.1.2 asks for everything issued from a replayed code.
		if err := s.revokeGrant(ctx, grantID); err != nil {
			return "", time.Time{}, scopeOf(ctx).note(err)
		}
	}
	return t.ID, t.ExpiresAt, nil
}

// refreshInvalid is the answer to a refresh token that cannot be used; built per request:
// an *oidc.Error is mutable (WithParent), so it is never shared.
func refreshInvalid(parent error) *oidc.Error {
	return oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, expired or already used").WithParent(parent)
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token: a new family for
// a code, or the successor of the refresh token looked up in this same request. The order
// is each grant's rule:
//   - for a code, the refresh family exists before the access token's record reads the
//     grant's revocation flag, so a replay of the code racing this issue revokes both
//     (SaveAccessToken: list, then flag; a replay: flag, then list);
//   - for a refresh, the access token is recorded first, so a refresh refused because Redis
//     is down consumes nothing; a replay revoking the grant meanwhile leaves the rotation no
//     live token. A record left by a failed rotation was never handed out and expires.
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, _ string) (string, string, time.Time, error) {
	clientID, grantID, lt, err := s.issue(ctx, req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	var (
		next secret.Secret
		id   string
		exp  time.Time
	)
	switch r := req.(type) {
	case authRequest:
		if next, _, err = s.d.Refresh.Start(ctx, r.a); err == nil {
			id, exp, err = s.saveAccessToken(ctx, req, clientID, grantID, lt.AccessTokenTTL)
		}
	case *refreshRequest:
		if id, exp, err = s.saveAccessToken(ctx, req, clientID, grantID, lt.AccessTokenTTL); err == nil {
			next, _, err = s.d.Refresh.Rotate(ctx, r.t, lt.RefreshIdleTTL)
		}
	default:
		err = fmt.Errorf("refresh token for %T", req)
	}
	switch {
	case errors.Is(err, token.ErrReused), errors.Is(err, token.ErrNotFound):
		return "", "", time.Time{}, refreshInvalid(err)
	case err != nil:
		return "", "", time.Time{}, scopeOf(ctx).note(err)
	}
	return id, next.Reveal(), exp, nil
}

// TokenRequestByRefreshToken returns the request a usable refresh token stands for. A
// rotated or revoked token is a replay: its family is revoked.
func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, value string) (op.RefreshTokenRequest, error) {
	t, err := s.d.Refresh.Lookup(ctx, value)
	if errors.Is(err, token.ErrReused) {
		slog.WarnContext(ctx, "refresh token replayed: family revoked")
	}
	if err != nil {
		return nil, scopeOf(ctx).note(err)
	}
	return &refreshRequest{t: t, scopes: t.Scopes}, nil
}

// TerminateSession is op's logout hook; the web package ends browser sessions itself, and
// op's end-session route is not mounted.
func (s *Storage) TerminateSession(context.Context, string, string) error {
	return errors.New("end session is handled by Sesame's logout page")
}

// GetRefreshTokenInfo names a refresh token for revocation (the token is kept in the
// request's scope for RevokeToken). A replayed one revokes its family on the way.
func (s *Storage) GetRefreshTokenInfo(ctx context.Context, clientID, value string) (string, string, error) {
	sc := scopeOf(ctx)
	t, err := s.d.Refresh.Lookup(ctx, value)
	switch {
	case errors.Is(err, token.ErrReused), errors.Is(err, token.ErrNotFound):
		return "", "", op.ErrInvalidRefreshToken
	case err != nil:
		return "", "", sc.note(err)
	case t.ClientID != clientID:
		return "", "", op.ErrInvalidRefreshToken
	}
	sc.mu.Lock()
	sc.refresh[value] = t
	sc.mu.Unlock()
	return t.UserID.String(), refreshIDPrefix + value, nil
}

// RevokeToken revokes an access token by ID, or a refresh token's whole family (RFC 7009).
// A token of another client, or an unknown one, is ignored (RFC 7009 §2.2: still 200).
func (s *Storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	sc := scopeOf(ctx)
	if value, ok := strings.CutPrefix(tokenOrID, refreshIDPrefix); ok {
		sc.mu.Lock()
		t, found := sc.refresh[value]
		sc.mu.Unlock()
		if !found {
			return nil
		}
		if err := s.d.Refresh.RevokeFamily(ctx, t); err != nil {
			return oidc.ErrServerError().WithParent(sc.note(err))
		}
		return nil
	}
	t, err := s.d.Access.AccessToken(ctx, tokenOrID)
	if errors.Is(err, token.ErrNotFound) || (err == nil && t.ClientID != clientID) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(sc.note(err))
	}
	if err := s.d.Access.RevokeAccessToken(ctx, tokenOrID); err != nil {
		return oidc.ErrServerError().WithParent(sc.note(err))
	}
	return nil
}
