package oidcop

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/token"
)

// maxAccessToken bounds a presented access token (a JWT of Sesame's is under 1 KiB).
const maxAccessToken = 4096

// errInvalidToken is RFC 6750 §3.1's answer to a missing, malformed, expired or revoked
// bearer token.
var errInvalidToken = &oauthError{status: http.StatusUnauthorized, code: "invalid_token",
	desc: "the access token is missing, invalid, expired or revoked", wwwAuthHead: `Bearer realm="sesame", error="invalid_token"`}

// userinfo is the UserInfo endpoint (OpenID Connect Core §5.3): the claims of the user a
// live access token with the openid scope was issued for, released by its scopes.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) error {
	value, err := bearerToken(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	t, err := p.liveAccessToken(ctx, value)
	if errors.Is(err, token.ErrNotFound) {
		return errInvalidToken
	}
	if err != nil {
		return err
	}
	if !slices.Contains(t.Scopes, oidc.ScopeOpenID) {
		return &oauthError{status: http.StatusForbidden, code: "insufficient_scope", desc: "the token was not issued with the openid scope",
			wwwAuthHead: `Bearer realm="sesame", error="insufficient_scope", scope="openid"`}
	}
	id, err := uuid.Parse(t.Subject)
	if err != nil {
		return errInvalidToken
	}
	u, err := p.d.Users.UserByID(ctx, id)
	switch {
	case errors.Is(err, account.ErrNotFound):
		return errInvalidToken
	case err != nil:
		return err
	case u.Status != account.StatusActive:
		return errInvalidToken
	}
	// The organization boundary holds here as at refresh and introspection: a client that no
	// longer accepts the user's organization gets nothing more for the user.
	c, err := p.d.Clients.ByClientID(ctx, t.ClientID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		return errInvalidToken
	case err != nil:
		return err
	case !c.Accepts(u.OrgID):
		return errInvalidToken
	}
	info := &oidc.UserInfo{}
	userClaims(info, u, t.Scopes)
	httpx.WriteJSON(w, http.StatusOK, info)
	return nil
}

// bearerToken returns the access token of a userinfo request: from the Authorization
// header (RFC 6750 §2.1) or a form-encoded POST body (§2.2), never from the URL query,
// where logs and Referer headers keep it; presenting it twice is invalid_request (§2).
func bearerToken(r *http.Request) (string, error) {
	var form string
	if r.Method == http.MethodPost {
		if r.URL.RawQuery != "" {
			return "", errQueryParameters
		}
		if err := r.ParseForm(); err != nil {
			return "", errMalformedForm
		}
		form = r.PostForm.Get("access_token")
	}
	h := r.Header.Get("Authorization")
	var header string
	if h != "" {
		scheme, v, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", errInvalidToken
		}
		header = strings.TrimSpace(v)
	}
	switch {
	case header != "" && form != "":
		return "", refuse("invalid_request", "send the access token once: the Authorization header or the form body")
	case header != "":
		form = header
	}
	if form == "" || len(form) > maxAccessToken {
		return "", errInvalidToken
	}
	return form, nil
}

// liveAccessToken returns the record of an access token Sesame issued that is neither
// expired nor revoked, or token.ErrNotFound.
func (p *Provider) liveAccessToken(ctx context.Context, value string) (token.AccessToken, error) {
	id, subject, ok := p.accessTokenID(ctx, value)
	if !ok {
		return token.AccessToken{}, token.ErrNotFound
	}
	return p.accessRecord(ctx, id, subject)
}

// accessRecord returns the live record id of an access token issued for subject, or
// token.ErrNotFound.
func (p *Provider) accessRecord(ctx context.Context, id, subject string) (token.AccessToken, error) {
	t, err := p.d.Access.AccessToken(ctx, id)
	if err != nil {
		return token.AccessToken{}, err
	}
	if t.Subject != subject {
		return token.AccessToken{}, token.ErrNotFound
	}
	return t, nil
}

// accessTokenID reads the token ID and subject of an access token Sesame issued: an opaque
// one decrypts to "id:subject"; a JWT must be of type at+jwt (never an ID token) and verify
// against the published keys.
func (p *Provider) accessTokenID(ctx context.Context, value string) (id, subject string, ok bool) {
	if value == "" || len(value) > maxAccessToken {
		return "", "", false
	}
	if jwtType(value) != typAccessToken {
		plain, err := p.op.Crypto().Decrypt(value)
		if err != nil {
			return "", "", false
		}
		id, subject, ok = strings.Cut(plain, ":")
		return id, subject, ok && !strings.Contains(subject, ":")
	}
	// op.VerifyAccessToken would check expiry by the wall clock; Sesame's clock decides.
	ctx = op.ContextWithIssuer(ctx, p.issuer)
	v := p.op.AccessTokenVerifier(ctx)
	claims := new(oidc.AccessTokenClaims)
	payload, err := oidc.ParseToken(value, claims)
	if err != nil || oidc.CheckIssuer(claims, p.issuer) != nil ||
		oidc.CheckSignature(ctx, value, payload, claims, v.SupportedSignAlgs, v.KeySet) != nil ||
		!p.d.Now().Before(claims.GetExpiration()) {
		return "", "", false
	}
	return claims.JWTID, claims.Subject, claims.JWTID != ""
}
