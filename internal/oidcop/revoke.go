package oidcop

import (
	"context"
	"errors"
	"net/http"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/token"
)

// revoke is the revocation endpoint (RFC 7009). token_type_hint only decides which kind is
// tried first (§2.1: the server extends its search when the hint is wrong). A client
// revokes only its own tokens; another client's, or an unknown one, is answered 200 and
// left alone (§2.2), so the answer tells nothing about other clients' tokens. Revoking a
// refresh token revokes its family and the access tokens of its grant.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := parseBody(r); err != nil {
		return err
	}
	ctx := r.Context()
	c, err := p.authenticate(ctx, r)
	if err != nil {
		return err
	}
	value := r.PostForm.Get("token")
	if value == "" {
		return refuse("invalid_request", "token is required")
	}
	if len(value) > maxAccessToken {
		w.WriteHeader(http.StatusOK) // no token of Sesame's is this long
		return nil
	}
	tries := []func(context.Context, client.Client, string) (bool, error){p.revokeAccess, p.revokeRefresh}
	if r.PostForm.Get("token_type_hint") == "refresh_token" {
		tries[0], tries[1] = tries[1], tries[0]
	}
	for _, try := range tries {
		found, err := try(ctx, c, value)
		if err != nil {
			return err
		}
		if found {
			break
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// revokeAccess revokes value if it is an access token of c; found reports whether value was
// an access token Sesame issued at all.
func (p *Provider) revokeAccess(ctx context.Context, c client.Client, value string) (found bool, err error) {
	id, _, ok := p.accessTokenID(ctx, value)
	if !ok {
		return false, nil
	}
	t, err := p.d.Access.AccessToken(ctx, id)
	switch {
	case errors.Is(err, token.ErrNotFound):
		return true, nil
	case err != nil:
		return true, err
	case t.ClientID != c.ClientID:
		return true, nil
	}
	return true, p.d.Access.RevokeAccessToken(ctx, id)
}

// revokeRefresh revokes value's family and its grant's access tokens if it is a refresh
// token of c; found reports whether value was a refresh token at all.
func (p *Provider) revokeRefresh(ctx context.Context, c client.Client, value string) (found bool, err error) {
	t, err := p.d.Refresh.Find(ctx, value)
	switch {
	case errors.Is(err, token.ErrNotFound):
		return false, nil
	case err != nil:
		return true, err
	case t.ClientID != c.ClientID:
		return true, nil
	}
	if err := p.d.Refresh.RevokeFamily(ctx, t); err != nil {
		return true, err
	}
	return true, p.d.Access.RevokeGrantAccessTokens(ctx, t.GrantID)
}
