package oidcop

import (
	"context"
	"errors"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
)

// VerifyLogoutHint checks an id_token_hint for RP-Initiated Logout (the web package's
// logout page calls it): an ID token (typ JWT: never an access token), signed by one of
// Sesame's published keys with their algorithm (never alg none), issued by this issuer, not
// expired, for a registered client that matches clientID when given. It returns the client
// and the subject. Anything less, an expired hint included, leaves the logout to the user's
// confirmation: a hint that old is no proof the relying party is asking now.
func (p *Provider) VerifyLogoutHint(ctx context.Context, hint, clientID string) (client.Client, string, bool) {
	if hint == "" || jwtType(hint) != typIDToken {
		return client.Client{}, "", false
	}
	ctx = op.ContextWithIssuer(ctx, p.issuer)
	// op checks expiry by the wall clock; Sesame's own clock decides (p.d.Now).
	claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, hint, p.op.IDTokenHintVerifier(ctx))
	if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) || claims == nil || !p.d.Now().Before(claims.GetExpiration()) {
		httpx.Logger(ctx).Info("end session: id_token_hint refused", "err", err)
		return client.Client{}, "", false
	}
	if claims == nil || len(claims.Audience) != 1 || (clientID != "" && clientID != claims.Audience[0]) {
		return client.Client{}, "", false
	}
	c, err := p.d.Clients.ByClientID(ctx, claims.Audience[0])
	if err != nil {
		return client.Client{}, "", false
	}
	return c, claims.Subject, true
}
