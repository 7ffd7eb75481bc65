package oidcop

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/token"
)

// introspection is an RFC 7662 §2.2 answer, with the organization of the token's subject.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	JTI       string   `json:"jti,omitempty"`
	OrgID     string   `json:"org_id,omitempty"`
}

// introspect answers RFC 7662 token introspection for a confidential client authenticated
// with client_secret_basic or client_secret_post. The caller learns that a token is active
// only when it was issued to the caller, or, for an access token, when the caller is a
// resource server (client.Client.Introspect) of the organization that registered the token's
// client (§4: a token is not disclosed to whoever asks); and only while the token's client
// still accepts the token's user (client.Audience). Anything else is {"active":false}; a
// store that cannot answer is 503, not a false "inactive".
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) error {
	if err := parseBody(r); err != nil {
		return err
	}
	ctx := r.Context()
	c, err := p.authenticate(ctx, r)
	if err != nil {
		return err
	}
	if c.Type != client.Confidential {
		return errInvalidClient
	}
	value := r.PostForm.Get("token")
	resp := introspection{}
	// One verification of the token: a JWT's signature costs more than the lookup after it.
	if id, subject, ok := p.accessTokenID(ctx, value); ok {
		resp, err = p.introspectAccess(ctx, c, id, subject)
	} else if value != "" && len(value) <= maxRefreshToken {
		resp, err = p.introspectRefresh(ctx, c, value)
	}
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

var inactive = introspection{}

func (p *Provider) introspectAccess(ctx context.Context, caller client.Client, id, subject string) (introspection, error) {
	t, err := p.accessRecord(ctx, id, subject)
	if errors.Is(err, token.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return inactive, err
	}
	owner := caller
	if t.ClientID != caller.ClientID {
		if !caller.Introspect || caller.OrgID != t.ClientOrg {
			return inactive, nil
		}
		if owner, err = p.d.Clients.ByClientID(ctx, t.ClientID); errors.Is(err, client.ErrNotFound) {
			return inactive, nil
		} else if err != nil {
			return inactive, err
		}
	}
	if !owner.Accepts(t.OrgID) {
		return inactive, nil
	}
	return introspection{Active: true, Scope: strings.Join(t.Scopes, " "), ClientID: t.ClientID, TokenType: "Bearer",
		Exp: t.ExpiresAt.Unix(), Sub: t.Subject, Aud: t.Audience, Iss: p.issuer, JTI: t.ID, OrgID: t.OrgID.String()}, nil
}

// introspectRefresh: a refresh token is disclosed only to its own client, by the rule of
// the refresh grant (token.RefreshToken.Check, without the reuse revocation), for an active
// user the client accepts.
func (p *Provider) introspectRefresh(ctx context.Context, caller client.Client, value string) (introspection, error) {
	t, err := p.d.Refresh.Inspect(ctx, value)
	switch {
	case errors.Is(err, token.ErrNotFound), errors.Is(err, token.ErrReused):
		return inactive, nil
	case err != nil:
		return inactive, err
	case t.ClientID != caller.ClientID:
		return inactive, nil
	}
	u, err := p.activeUser(ctx, caller, t.UserID.String())
	var oe *oauthError
	if errors.As(err, &oe) {
		return inactive, nil
	}
	if err != nil {
		return inactive, err
	}
	return introspection{Active: true, Scope: strings.Join(t.Scopes, " "), ClientID: t.ClientID, TokenType: "refresh_token",
		Exp: t.ExpiresAt.Unix(), Sub: t.UserID.String(), Iss: p.issuer, OrgID: u.OrgID.String()}, nil
}
