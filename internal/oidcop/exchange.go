package oidcop

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/token"
)

// verifierRE is a PKCE code_verifier: 43-128 characters of the unreserved set (RFC 7636 §4.1).
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// Bounds on token request parameters (the body is capped by httpx).
const (
	maxCode         = 256
	maxRefreshToken = 256
	maxScopeParam   = 2048
)

func invalidGrant(desc string) *oauthError { return refuse("invalid_grant", desc) }

// token is the token endpoint (RFC 6749 §3.2): parameters in the body only; the client is
// authenticated before anything is looked up, so a code or refresh token presented with a
// wrong secret is neither consumed nor revoked; then the grant.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) error {
	if err := parseBody(r); err != nil {
		return err
	}
	ctx := r.Context()
	g := r.PostForm.Get("grant_type")
	if !offeredGrants[g] {
		return refuse("unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials")
	}
	c, err := p.authenticate(ctx, r)
	if err != nil {
		return err
	}
	if !c.Has(g) {
		return refuse("unauthorized_client", g+" is not registered for this client")
	}
	var m minted
	switch g {
	case client.GrantAuthorizationCode:
		m, err = p.codeGrant(ctx, r, c)
	case client.GrantRefreshToken:
		m, err = p.refreshGrant(ctx, r, c)
	default:
		m, err = p.credentialsGrant(ctx, r, c)
	}
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, oidc.AccessTokenResponse{
		AccessToken: m.access, TokenType: oidc.BearerToken, RefreshToken: m.refresh,
		ExpiresIn: uint64(m.ttl.Seconds()), IDToken: m.idToken, Scope: m.scopes,
	})
	return nil
}

// codeGrant redeems an authorization code (RFC 6749 §4.1.3) for its own client with the
// right PKCE verifier; a code presented again revokes everything issued from it (§4.1.2).
func (p *Provider) codeGrant(ctx context.Context, r *http.Request, c client.Client) (minted, error) {
	code, verifier := r.PostForm.Get("code"), r.PostForm.Get("code_verifier")
	switch {
	case code == "" || len(code) > maxCode:
		return minted{}, refuse("invalid_request", "code is missing or malformed")
	case !verifierRE.MatchString(verifier):
		return minted{}, refuse("invalid_request", "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)")
	}
	a, grantID, err := p.d.Codes.TakeCode(ctx, code, c.ClientID, secret.S256(verifier))
	switch {
	case errors.Is(err, token.ErrReused):
		if err := p.revokeGrant(ctx, grantID); err != nil {
			return minted{}, err
		}
		slog.WarnContext(ctx, "authorization code replayed: grant revoked", "grant_id", grantID)
		return minted{}, invalidGrant("the code is invalid, expired or already used")
	case errors.Is(err, token.ErrNotFound):
		return minted{}, invalidGrant("the code is invalid, expired or already used")
	case err != nil:
		return minted{}, err
	case r.PostForm.Get("redirect_uri") != a.RedirectURI:
		return minted{}, invalidGrant("redirect_uri differs from the authorization request's")
	}
	u, err := p.activeUser(ctx, c, a.UserID)
	if err != nil {
		return minted{}, err
	}
	m, err := p.mint(ctx, grant{client: c, grantID: a.GrantID, subject: a.UserID, user: &u, scopes: a.Scopes,
		authTime: a.AuthTime, amr: a.AMR, acr: a.ACR, nonce: a.Nonce, lifetimes: a.Lifetimes})
	if err != nil {
		return minted{}, err
	}
	// The refresh family exists before the access token's record reads the grant's
	// revocation flag, so a replay of the code racing this issue revokes both
	// (SaveAccessToken: list, then flag; a replay: flag, then list).
	if slices.Contains(a.Scopes, oidc.ScopeOfflineAccess) && c.Has(client.GrantRefreshToken) {
		next, _, err := p.d.Refresh.Start(ctx, a)
		if err != nil {
			return minted{}, err
		}
		m.refresh = next.Reveal()
	}
	if err := p.save(ctx, m); err != nil {
		return minted{}, err
	}
	return m, nil
}

// refreshGrant rotates a refresh token (RFC 6749 §6). Everything that can fail (the user
// and organization checks, signing, saving the new access token's record) happens before
// the rotation commits, so a failure leaves the presented token usable for a retry; the
// rotation is the last step, and losing it to a concurrent one is reuse.
func (p *Provider) refreshGrant(ctx context.Context, r *http.Request, c client.Client) (minted, error) {
	value := r.PostForm.Get("refresh_token")
	if value == "" || len(value) > maxRefreshToken {
		return minted{}, refuse("invalid_request", "refresh_token is missing or malformed")
	}
	t, err := p.d.Refresh.Lookup(ctx, value, c.ClientID)
	switch {
	case errors.Is(err, token.ErrReused):
		// Presented again after rotation or revocation: theft is assumed; the family is
		// revoked (Lookup), and so are the access tokens of its grant.
		slog.WarnContext(ctx, "refresh token replayed: family revoked", "grant_id", t.GrantID)
		if err := p.d.Access.RevokeGrantAccessTokens(ctx, t.GrantID); err != nil {
			return minted{}, err
		}
		return minted{}, invalidGrant("the refresh token is invalid, expired or already used")
	case errors.Is(err, token.ErrNotFound):
		return minted{}, invalidGrant("the refresh token is invalid, expired or already used")
	case err != nil:
		return minted{}, err
	}
	scopes := t.Scopes
	if r.PostForm.Get("scope") != "" { // omitted or empty: as originally granted (RFC 6749 §6)
		if scopes, err = scopeParam(r); err != nil {
			return minted{}, err
		}
		for _, s := range scopes {
			if !slices.Contains(t.Scopes, s) {
				return minted{}, refuse("invalid_scope", "a refresh cannot add scope "+s+" (RFC 6749 §6)")
			}
		}
	}
	scopes = c.Grantable(scopes) // the client's registration may have narrowed since
	u, err := p.activeUser(ctx, c, t.UserID.String())
	if err != nil {
		return minted{}, err
	}
	m, err := p.mint(ctx, grant{client: c, grantID: t.GrantID, subject: t.UserID.String(), user: &u, scopes: scopes,
		authTime: t.AuthTime, amr: t.AMR, lifetimes: c.Lifetimes})
	if err != nil {
		return minted{}, err
	}
	if err := p.save(ctx, m); err != nil {
		return minted{}, err
	}
	next, _, err := p.d.Refresh.Rotate(ctx, t, scopes, c.RefreshIdleTTL)
	if errors.Is(err, token.ErrReused) {
		// Another rotation of the same token won: the family is revoked (Rotate) and the
		// access tokens of the grant, the one just saved included, go with it.
		if err := p.d.Access.RevokeGrantAccessTokens(ctx, t.GrantID); err != nil {
			return minted{}, err
		}
		return minted{}, invalidGrant("the refresh token is invalid, expired or already used")
	}
	if err != nil {
		return minted{}, err
	}
	m.refresh = next.Reveal()
	return m, nil
}

// credentialsGrant issues a client's own access token (RFC 6749 §4.4) for scopes it was
// registered with: all of them when it asks for none, invalid_scope for any other.
func (p *Provider) credentialsGrant(ctx context.Context, r *http.Request, c client.Client) (minted, error) {
	scopes, err := scopeParam(r)
	if err != nil {
		return minted{}, err
	}
	if len(scopes) == 0 {
		scopes = c.Scopes
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return minted{}, refuse("invalid_scope", "scope "+s+" is not registered for this client")
		}
	}
	m, err := p.mint(ctx, grant{client: c, subject: c.ClientID, scopes: scopes, lifetimes: c.Lifetimes})
	if err != nil {
		return minted{}, err
	}
	return m, p.save(ctx, m)
}

// scopeParam returns the request's scope parameter as a list, each scope once.
func scopeParam(r *http.Request) ([]string, error) {
	v := r.PostForm.Get("scope")
	if len(v) > maxScopeParam {
		return nil, refuse("invalid_scope", "scope is too long")
	}
	return known(strings.Fields(v), func(string) bool { return true }), nil
}

// activeUser returns the user a grant is for, who must still be active and belong to an
// organization the client accepts; anything else is invalid_grant.
func (p *Provider) activeUser(ctx context.Context, c client.Client, userID string) (account.User, error) {
	id, err := uuid.Parse(userID)
	if err != nil {
		return account.User{}, invalidGrant("the grant names no user")
	}
	u, err := p.d.Users.UserByID(ctx, id)
	switch {
	case errors.Is(err, account.ErrNotFound):
		return account.User{}, invalidGrant("the user no longer exists")
	case err != nil:
		return account.User{}, err
	case u.Status != account.StatusActive:
		return account.User{}, invalidGrant("the user is disabled")
	case !c.Accepts(u.OrgID):
		return account.User{}, invalidGrant("the user's organization is not accepted by this client")
	}
	return u, nil
}

// save records a minted access token. When its grant was revoked meanwhile (a replay of
// the code raced this issue), what was just issued is revoked too: the tokens go out dead,
// as RFC 6749 §4.1.2 asks for everything issued from a replayed code, and the one
// redemption that took the code still gets its answer.
func (p *Provider) save(ctx context.Context, m minted) error {
	revoked, err := p.d.Access.SaveAccessToken(ctx, m.record, p.d.Now())
	if err != nil || !revoked {
		return err
	}
	return p.revokeGrant(ctx, m.record.GrantID)
}

// revokeGrant revokes every access and refresh token issued from one authorization.
func (p *Provider) revokeGrant(ctx context.Context, grantID string) error {
	if err := p.d.Access.RevokeGrantAccessTokens(ctx, grantID); err != nil {
		return err
	}
	return p.d.Refresh.RevokeGrant(ctx, grantID)
}
