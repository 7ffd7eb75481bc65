package oidcop

import (
	"context"
	"errors"
	"log/slog"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/token"
)

// Sesame's authorization endpoint and callback are its own handlers (authorize.go), built on
// login transactions; op's are not mounted. These methods serve op's interface for them and
// refuse, so nothing could complete a request without the browser binding and login.Next.
var errOwnAuthorize = errors.New("authorization requests are handled by Sesame's authorize endpoint")

// CreateAuthRequest refuses: see errOwnAuthorize.
func (s *Storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errOwnAuthorize
}

// AuthRequestByID refuses: see errOwnAuthorize.
func (s *Storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errOwnAuthorize
}

// SaveAuthCode refuses: codes are issued by the callback from the transaction in hand.
func (s *Storage) SaveAuthCode(context.Context, string, string) error { return errOwnAuthorize }

// DeleteAuthRequest is called by op after tokens are issued for a code. The code was taken
// atomically (AuthRequestByCode) and the transaction consumed when it was issued: nothing
// is left to delete.
func (s *Storage) DeleteAuthRequest(context.Context, string) error { return nil }

// AuthRequestByCode consumes a code atomically (op reads it, issues tokens and only then
// deletes the request, so without this parallel redemptions could all succeed), and only for
// the client it was issued to, authenticated by tokenGate, presenting the right PKCE
// verifier: anyone else leaves it untouched. A second use by its client gets an error, which
// op answers invalid_grant, and revokes every token issued from the first use (RFC 6749
// §4.1.2).
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	sc := scopeOf(ctx)
	sc.mu.Lock()
	clientID, challenge := sc.tokenClient, sc.challenge
	sc.mu.Unlock()
	a, grantID, err := s.d.Codes.TakeCode(ctx, code, clientID, challenge)
	if errors.Is(err, token.ErrReused) {
		if rerr := s.revokeGrant(ctx, grantID); rerr != nil {
			return nil, sc.note(rerr)
		}
		slog.WarnContext(ctx, "authorization code replayed: grant revoked", "grant_id", grantID)
		return nil, err
	}
	if err != nil {
		return nil, sc.note(err)
	}
	return authRequest{a}, nil
}

// revokeGrant revokes every access and refresh token issued from one authorization.
func (s *Storage) revokeGrant(ctx context.Context, grantID string) error {
	if err := s.d.Access.RevokeGrantAccessTokens(ctx, grantID); err != nil {
		return err
	}
	return s.d.Refresh.RevokeGrant(ctx, grantID)
}
