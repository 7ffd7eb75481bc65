package oidcop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/secret"
)

// Clients looks up registered clients.
type Clients interface {
	ByClientID(ctx context.Context, clientID string) (client.Client, error)
}

// Users looks up users for claims.
type Users interface {
	UserByID(ctx context.Context, id uuid.UUID) (account.User, error)
}

// Requests holds pending authorization requests and their codes (Redis).
type Requests interface {
	SaveAuthRequest(ctx context.Context, r grant.AuthRequest) error
	AuthRequest(ctx context.Context, id string) (grant.AuthRequest, error)
	DeleteAuthRequest(ctx context.Context, id string) error
	SaveCode(ctx context.Context, code string, r grant.AuthRequest) error
	TakeCode(ctx context.Context, code string) (grant.AuthRequest, string, error)
}

// AccessTokens remembers issued access tokens until they expire (Redis).
type AccessTokens interface {
	SaveAccessToken(ctx context.Context, t grant.AccessToken) (grantRevoked bool, err error)
	AccessToken(ctx context.Context, id string) (grant.AccessToken, error)
	RevokeAccessToken(ctx context.Context, id string) error
	RevokeGrantAccessTokens(ctx context.Context, grantID string) error
}

// RefreshTokens persists refresh tokens (PostgreSQL).
type RefreshTokens interface {
	CreateRefreshToken(ctx context.Context, t grant.RefreshToken) error
	RefreshToken(ctx context.Context, hash []byte) (grant.RefreshToken, error)
	RotateRefreshToken(ctx context.Context, oldHash, newHash []byte, newID uuid.UUID, idle time.Duration) (grant.RefreshToken, error)
	RevokeRefreshFamily(ctx context.Context, hash []byte) (bool, error)
	RevokeGrantRefreshTokens(ctx context.Context, grantID string) error
}

// Storage implements op.Storage over Sesame's services.
type Storage struct {
	clients  Clients
	users    Users
	requests Requests
	access   AccessTokens
	refresh  RefreshTokens
	keys     *Keys
	loginURL func(id string) string
	now      func() time.Time
}

var (
	_ op.Storage                   = (*Storage)(nil)
	_ op.ClientCredentialsStorage  = (*Storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*Storage)(nil)
)

// refreshIDPrefix tells a refresh token's ID from an access token's in RevokeToken.
const refreshIDPrefix = "rt:"

// CreateAuthRequest stores a request parsed by op.Authorize. Sesame's own authorize
// handler builds requests itself (with the browser binding); a request stored here has no
// binding, so no browser can complete it.
func (s *Storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	id, err := newRequestID()
	if err != nil {
		return nil, err
	}
	g := fromOIDC(r, id, s.now())
	if err := s.requests.SaveAuthRequest(ctx, g); err != nil {
		return nil, err
	}
	return authRequest{g}, nil
}

func newRequestID() (string, error) {
	id, err := uuid.NewRandom()
	return id.String(), err
}

func fromOIDC(r *oidc.AuthRequest, id string, now time.Time) grant.AuthRequest {
	return grant.AuthRequest{
		ID: id, ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: r.Scopes, State: r.State,
		Nonce: r.Nonce, ResponseMode: string(r.ResponseMode), CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: string(r.CodeChallengeMethod), Prompt: r.Prompt, MaxAge: r.MaxAge,
		LoginHint: r.LoginHint, CreatedAt: now,
	}
}

// AuthRequestByID returns a pending request.
func (s *Storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.requests.AuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return authRequest{r}, nil
}

// AuthRequestByCode consumes a code atomically (op reads it, issues tokens and only then
// deletes the request, so without this parallel redemptions could all succeed). A second
// use gets an error, which op answers invalid_grant, and revokes every token issued from
// the first use (RFC 6749 §4.1.2).
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, grantID, err := s.requests.TakeCode(ctx, code)
	if errors.Is(err, grant.ErrReused) {
		if rerr := s.revokeGrant(ctx, grantID); rerr != nil {
			return nil, rerr
		}
		slog.WarnContext(ctx, "authorization code replayed: grant revoked", "grant_id", grantID)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return authRequest{r}, nil
}

func (s *Storage) revokeGrant(ctx context.Context, grantID string) error {
	if err := s.access.RevokeGrantAccessTokens(ctx, grantID); err != nil {
		return err
	}
	return s.refresh.RevokeGrantRefreshTokens(ctx, grantID)
}

// SaveAuthCode stores the completed request under its code and forgets the pending
// request, so one request yields one code.
func (s *Storage) SaveAuthCode(ctx context.Context, id, code string) error {
	r, err := s.requests.AuthRequest(ctx, id)
	if err != nil {
		return err
	}
	if !r.Done {
		return errors.New("save code: request not authenticated")
	}
	if err := s.requests.SaveCode(ctx, code, r); err != nil {
		return err
	}
	return s.requests.DeleteAuthRequest(ctx, id)
}

// DeleteAuthRequest forgets a request.
func (s *Storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return s.requests.DeleteAuthRequest(ctx, id)
}

// tokenContext is what every token request tells about its client, user and grant.
func (s *Storage) tokenContext(ctx context.Context, req op.TokenRequest) (c client.Client, grantID string, err error) {
	var clientID string
	switch r := req.(type) {
	case authRequest:
		clientID, grantID = r.r.ClientID, r.r.ID
	case *refreshRequest:
		clientID, grantID = r.t.ClientPublicID, r.t.GrantID
	case credentialsRequest:
		clientID = r.clientID
	default:
		return c, "", fmt.Errorf("unsupported token request %T", req)
	}
	c, err = s.clients.ByClientID(ctx, clientID)
	return c, grantID, err
}

// CreateAccessToken records a new access token.
func (s *Storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	c, grantID, err := s.tokenContext(ctx, req)
	if err != nil {
		return "", time.Time{}, err
	}
	return s.saveAccessToken(ctx, req, c, grantID)
}

func (s *Storage) saveAccessToken(ctx context.Context, req op.TokenRequest, c client.Client, grantID string) (string, time.Time, error) {
	id := uuid.NewString()
	t := grant.AccessToken{
		ID: id, ClientID: c.ClientID, Subject: req.GetSubject(), Scopes: req.GetScopes(),
		Audience: req.GetAudience(), GrantID: grantID, ExpiresAt: s.now().Add(c.AccessTokenTTL).Truncate(time.Second),
	}
	revoked, err := s.access.SaveAccessToken(ctx, t)
	if err != nil {
		return "", time.Time{}, err
	}
	if revoked {
		// A replay of this grant's code won the race with this issue: the tokens go out
		// dead, as RFC 6749 §4.1.2 asks for everything issued from a replayed code.
		if err := s.revokeGrant(ctx, grantID); err != nil {
			return "", time.Time{}, err
		}
	}
	return id, t.ExpiresAt, nil
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token: a new family
// for a code, or the next token of the family when rotating currentRefreshToken.
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	c, grantID, err := s.tokenContext(ctx, req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	next := secret.Token()
	nextID := uuid.New()
	if currentRefreshToken != "" {
		if _, err := s.refresh.RotateRefreshToken(ctx, secret.Digest(currentRefreshToken), secret.Digest(next.Reveal()), nextID, c.RefreshIdleTTL); err != nil {
			if errors.Is(err, grant.ErrReused) || errors.Is(err, grant.ErrNotFound) {
				return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, expired or already used").WithParent(err)
			}
			return "", "", time.Time{}, err
		}
	} else {
		ar, ok := req.(authRequest)
		if !ok {
			return "", "", time.Time{}, fmt.Errorf("new refresh token for %T", req)
		}
		userID, err := uuid.Parse(ar.r.UserID)
		if err != nil {
			return "", "", time.Time{}, err
		}
		now := s.now()
		err = s.refresh.CreateRefreshToken(ctx, grant.RefreshToken{
			ID: nextID, Hash: secret.Digest(next.Reveal()), FamilyID: uuid.New(), GrantID: grantID,
			ClientID: c.ID, UserID: userID, Scopes: ar.r.Scopes, AuthTime: ar.r.AuthTime, AMR: ar.r.AMR,
			ExpiresAt: now.Add(c.RefreshIdleTTL), FamilyExpiresAt: now.Add(c.RefreshAbsoluteTTL),
		})
		if err != nil {
			return "", "", time.Time{}, err
		}
	}
	id, exp, err := s.saveAccessToken(ctx, req, c, grantID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	return id, next.Reveal(), exp, nil
}

// TokenRequestByRefreshToken returns the request a live refresh token stands for. A
// rotated or revoked token is a replay: the store revokes its family.
func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := s.refresh.RefreshToken(ctx, secret.Digest(token))
	if errors.Is(err, grant.ErrReused) {
		slog.WarnContext(ctx, "refresh token replayed: family revoked")
	}
	if err != nil {
		return nil, err
	}
	return &refreshRequest{t: t, scopes: t.Scopes}, nil
}

// TerminateSession is op's logout hook; Sesame's end-session handler ends browser sessions
// itself, and op's end-session route is not mounted.
func (s *Storage) TerminateSession(context.Context, string, string) error {
	return errors.New("end session is handled by Sesame's logout handler")
}

// GetRefreshTokenInfo names a refresh token for revocation.
func (s *Storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := s.refresh.RefreshToken(ctx, secret.Digest(token))
	if errors.Is(err, grant.ErrReused) {
		// Revoking an already rotated token: its family is revoked by the lookup itself.
		return "", "", op.ErrInvalidRefreshToken
	}
	if errors.Is(err, grant.ErrNotFound) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", err
	}
	if t.ClientPublicID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.UserID.String(), refreshIDPrefix + token, nil
}

// RevokeToken revokes an access token by ID, or a refresh token's whole family (RFC 7009).
// A token of another client, or an unknown one, is ignored (RFC 7009 §2.2: still 200).
func (s *Storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	if token, ok := strings.CutPrefix(tokenOrID, refreshIDPrefix); ok {
		if _, err := s.refresh.RevokeRefreshFamily(ctx, secret.Digest(token)); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	t, err := s.access.AccessToken(ctx, tokenOrID)
	if errors.Is(err, grant.ErrNotFound) || (err == nil && t.ClientID != clientID) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if err := s.access.RevokeAccessToken(ctx, tokenOrID); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// SigningKey returns the active signing key.
func (s *Storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.keys.SigningKey(ctx)
}

// SignatureAlgorithms returns the algorithms of the published keys.
func (s *Storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	return s.keys.SignatureAlgorithms(ctx)
}

// KeySet returns the published keys (JWKS).
func (s *Storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.keys.KeySet(ctx) }

// GetClientByClientID returns a client; an unknown one is a plain error (not server_error).
func (s *Storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.clients.ByClientID(ctx, clientID)
	if errors.Is(err, client.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return opClient{c: c, loginURL: s.loginURL}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret: SHA-256, constant time.
func (s *Storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	_, err := s.authenticate(ctx, clientID, clientSecret)
	return err
}

// authenticate returns the client whose secret is clientSecret; an unknown client and a
// wrong secret get the same error.
func (s *Storage) authenticate(ctx context.Context, clientID, clientSecret string) (client.Client, error) {
	c, err := s.clients.ByClientID(ctx, clientID)
	if errors.Is(err, client.ErrNotFound) {
		return client.Client{}, errInvalidClient
	}
	if err != nil {
		return client.Client{}, oidc.ErrServerError().WithParent(err)
	}
	if !c.Authenticate(clientSecret) {
		return client.Client{}, errInvalidClient
	}
	return c, nil
}

var errInvalidClient = errors.New("client authentication failed")

// ClientCredentials authenticates a confidential client for the client_credentials grant.
func (s *Storage) ClientCredentials(ctx context.Context, clientID, clientSecret string) (op.Client, error) {
	c, err := s.authenticate(ctx, clientID, clientSecret)
	if err != nil {
		return nil, err
	}
	if !c.Has(client.GrantClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client_credentials is not registered for this client")
	}
	return opClient{c: c, loginURL: s.loginURL}, nil
}

// ClientCredentialsTokenRequest: the client acts for itself; user scopes mean nothing here.
func (s *Storage) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	return credentialsRequest{clientID: clientID, scopes: slices.DeleteFunc(scopes, func(sc string) bool {
		return slices.Contains(supportedScopes, sc)
	})}, nil
}

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
	t, err := s.access.AccessToken(ctx, tokenID)
	if err != nil || t.Subject != subject {
		return oidc.ErrAccessDenied().WithDescription("access token is invalid, expired or revoked")
	}
	return s.fillUserinfo(ctx, info, subject, t.Scopes)
}

func (s *Storage) fillUserinfo(ctx context.Context, info *oidc.UserInfo, subject string, scopes []string) error {
	id, err := uuid.Parse(subject)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("not a user's token")
	}
	u, err := s.users.UserByID(ctx, id)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("user not found").WithParent(err)
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

// SetIntrospectionFromToken answers introspection for a live, unrevoked access token.
func (s *Storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	t, err := s.access.AccessToken(ctx, tokenID)
	if err != nil || t.Subject != subject {
		return errors.New("inactive token")
	}
	resp.Subject, resp.ClientID, resp.Scope = t.Subject, t.ClientID, t.Scopes
	resp.Audience, resp.Expiration, resp.JWTID = t.Audience, oidc.FromTime(t.ExpiresAt), t.ID
	resp.TokenType = oidc.BearerToken
	return nil
}

// GetPrivateClaimsFromScopes: Sesame adds no private claims to access tokens.
func (s *Storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: the JWT profile grant and private_key_jwt are not offered.
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("private_key_jwt is not supported")
}

// ValidateJWTProfileScopes: the JWT profile grant is not offered.
func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// Health is op's readiness probe; Sesame's /readyz checks its stores instead.
func (s *Storage) Health(ctx context.Context) error {
	_, err := s.keys.SigningKey(ctx)
	return err
}
