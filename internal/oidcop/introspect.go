package oidcop

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/token"
)

// introspect answers RFC 7662 token introspection for a confidential client authenticated
// with client_secret_basic or client_secret_post (op's handler takes only the first). An
// access token is active while its record lives; a refresh token is active for the client it
// was issued to by the same rule as the refresh grant (token.RefreshToken.Check), without
// the reuse revocation a refresh does. Anything else is {"active":false}; a store that cannot
// answer is 503, not a false "inactive".
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errMalformedForm
	}
	ctx := r.Context()
	id, sec := clientCredentials(r)
	c, err := p.st.authenticate(ctx, id, sec)
	if errors.Is(err, errInvalidClient) {
		writeInvalidClient(w)
		return nil
	}
	if err != nil {
		return err
	}
	value := r.PostForm.Get("token")
	resp := &oidc.IntrospectionResponse{}
	if tokenID, subject, ok := p.accessTokenID(ctx, value); ok {
		t, err := p.st.liveAccessToken(ctx, tokenID, subject)
		switch {
		case err == nil:
			fillIntrospection(resp, t)
		case !errors.Is(err, token.ErrNotFound):
			return err
		}
	} else {
		t, err := p.d.Refresh.Inspect(ctx, value)
		switch {
		case err == nil && t.ClientID == c.ClientID:
			resp.Active, resp.Subject, resp.ClientID, resp.Scope = true, t.UserID.String(), t.ClientID, t.Scopes
			resp.Expiration, resp.TokenType = oidc.FromTime(t.ExpiresAt), "refresh_token"
		case err != nil && !errors.Is(err, token.ErrNotFound) && !errors.Is(err, token.ErrReused):
			return err
		}
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// accessTokenID reads the token ID and subject of an access token Sesame issued: an opaque
// one decrypts to "id:subject", a JWT must verify against the published keys.
func (p *Provider) accessTokenID(ctx context.Context, value string) (id, subject string, ok bool) {
	if value == "" {
		return "", "", false
	}
	if plain, err := p.op.Crypto().Decrypt(value); err == nil {
		id, subject, ok = strings.Cut(plain, ":")
		return id, subject, ok && !strings.Contains(subject, ":")
	}
	ctx = op.ContextWithIssuer(ctx, p.issuer)
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, value, p.op.AccessTokenVerifier(ctx))
	if err != nil {
		return "", "", false
	}
	return claims.JWTID, claims.Subject, true
}

// liveAccessToken returns the record of an unrevoked, unexpired access token for subject,
// or token.ErrNotFound.
func (s *Storage) liveAccessToken(ctx context.Context, tokenID, subject string) (token.AccessToken, error) {
	t, err := s.d.Access.AccessToken(ctx, tokenID)
	if err != nil {
		return token.AccessToken{}, scopeOf(ctx).note(err)
	}
	if t.Subject != subject {
		return token.AccessToken{}, token.ErrNotFound
	}
	return t, nil
}

func fillIntrospection(resp *oidc.IntrospectionResponse, t token.AccessToken) {
	resp.Active, resp.Subject, resp.ClientID, resp.Scope = true, t.Subject, t.ClientID, t.Scopes
	resp.Audience, resp.Expiration, resp.JWTID = t.Audience, oidc.FromTime(t.ExpiresAt), t.ID
	resp.TokenType = oidc.BearerToken
}
