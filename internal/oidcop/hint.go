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
// logout page calls it): signed by one of Sesame's published keys (never alg none), issued
// by this issuer (an expired one is fine), for a registered client that matches clientID
// when given. It returns the client and the subject.
func (p *Provider) VerifyLogoutHint(ctx context.Context, hint, clientID string) (client.Client, string, bool) {
	if hint == "" {
		return client.Client{}, "", false
	}
	ctx = op.ContextWithIssuer(ctx, p.issuer)
	claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, hint, p.op.IDTokenHintVerifier(ctx))
	if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
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
