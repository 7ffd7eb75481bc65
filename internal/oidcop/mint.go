package oidcop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/token"
)

// JWT types (the typ header). An access token is never accepted where an ID token is
// expected, nor the reverse: each verifier checks the type first.
const (
	typAccessToken = "at+jwt" // RFC 9068 §2.1
	typIDToken     = "JWT"
)

// grant is what one token response is issued for.
type grant struct {
	client    client.Client
	grantID   string // "" for client_credentials
	subject   string // the user's ID, or the client_id for client_credentials
	user      *account.User
	scopes    []string
	authTime  time.Time
	amr       []string
	acr       string
	nonce     string
	lifetimes client.Lifetimes
}

// minted is a token response built and signed, with the access token's record not yet
// saved: nothing of it exists for anyone until saved.
type minted struct {
	record  token.AccessToken
	access  string
	idToken string
	ttl     time.Duration
	scopes  []string
	refresh string
}

// accessClaims are an access token's claims (RFC 9068 §2.2), with the organization.
type accessClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	JWTID    string   `json:"jti"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope,omitempty"`
	AuthTime int64    `json:"auth_time,omitempty"`
	ACR      string   `json:"acr,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	OrgID    string   `json:"org_id"`
}

// mint builds the access token (JWT or opaque, as the client is registered) and, for a user
// with the openid scope, the ID token. It writes nothing: the callers save the record and
// commit the grant's state afterwards, so a failure here changes nothing.
func (p *Provider) mint(ctx context.Context, g grant) (minted, error) {
	now := p.d.Now()
	ttl := g.lifetimes.AccessTokenTTL
	org := g.client.OrgID
	if g.user != nil {
		org = g.user.OrgID
	}
	m := minted{ttl: ttl, scopes: g.scopes, record: token.AccessToken{
		ID: uuid.NewString(), ClientID: g.client.ClientID, ClientOrg: g.client.OrgID, OrgID: org,
		Subject: g.subject, Scopes: g.scopes, Audience: []string{g.client.ClientID}, GrantID: g.grantID,
		ExpiresAt: now.Add(ttl).Truncate(time.Second),
	}}
	key, err := p.d.Keys.Active(ctx)
	if err != nil {
		return minted{}, err
	}
	if g.lifetimes.AccessTokenFormat == client.FormatOpaque {
		// The opaque form names the record: "id:subject", AES-256-GCM encrypted.
		if m.access, err = p.op.Crypto().Encrypt(m.record.ID + ":" + g.subject); err != nil {
			return minted{}, err
		}
	} else {
		c := accessClaims{
			Issuer: p.issuer, Subject: g.subject, Audience: m.record.Audience, Expiry: m.record.ExpiresAt.Unix(),
			IssuedAt: now.Unix(), JWTID: m.record.ID, ClientID: g.client.ClientID, Scope: strings.Join(g.scopes, " "),
			ACR: g.acr, AMR: g.amr, OrgID: org.String(),
		}
		if !g.authTime.IsZero() {
			c.AuthTime = g.authTime.Unix()
		}
		if m.access, err = sign(key, typAccessToken, c); err != nil {
			return minted{}, err
		}
	}
	if g.user != nil && slices.Contains(g.scopes, oidc.ScopeOpenID) {
		if m.idToken, err = p.idToken(key, g, m.access, now); err != nil {
			return minted{}, err
		}
	}
	return m, nil
}

// idToken signs the ID token of a user's grant: the standard claims, the scope's user
// claims, org_id, and at_hash of the access token issued beside it.
func (p *Provider) idToken(key *signing.Active, g grant, accessToken string, now time.Time) (string, error) {
	exp := now.Add(g.lifetimes.IDTokenTTL)
	claims := oidc.NewIDTokenClaims(p.issuer, g.subject, []string{g.client.ClientID}, exp, g.authTime, g.nonce,
		g.acr, g.amr, g.client.ClientID, 0)
	claims.IssuedAt = oidc.FromTime(now)
	atHash, err := oidc.ClaimHash(accessToken, key.Alg)
	if err != nil {
		return "", err
	}
	claims.AccessTokenHash = atHash
	info := &oidc.UserInfo{}
	userClaims(info, *g.user, g.scopes)
	claims.SetUserInfo(info)
	return sign(key, typIDToken, claims)
}

// userClaims fills the claims of u that scopes release, and org_id, for the ID token and
// userinfo alike.
func userClaims(info *oidc.UserInfo, u account.User, scopes []string) {
	info.Subject = u.ID.String()
	info.AppendClaims("org_id", u.OrgID.String())
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
}

// sign serializes claims as a compact JWS of type typ with the active key.
func sign(key *signing.Active, typ string, claims any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.Alg, Key: jose.JSONWebKey{Key: key.Signer, KeyID: key.KID}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// jwtType returns the typ header of a compact JWT, or "" when it is not one.
func jwtType(value string) string {
	head, _, ok := strings.Cut(value, ".")
	if !ok || len(head) > 1024 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Typ string `json:"typ"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Typ
}
