// Package token owns what Sesame issues to clients once a login is done: the authorization
// a code stands for, the records of issued access tokens, and refresh-token families with
// their rotation and reuse rules. The stores persist these types (Redis for codes and
// access-token records, PostgreSQL for refresh tokens).
package token

import (
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
)

// Lifetimes fixed by the protocol rules Sesame follows.
const (
	// CodeLifetime bounds an authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes).
	CodeLifetime = 60 * time.Second
	// UsedCodeLifetime keeps the used-code marker at least as long as a code could live,
	// so a replay within the code's lifetime finds what the first use issued.
	UsedCodeLifetime = 10 * time.Minute
)

// Authorization is what an authorization code stands for: a completed login for one
// client's request. GrantID (the login transaction's ID) names every token issued from it,
// so a replayed code can revoke them all.
type Authorization struct {
	GrantID             string
	ClientID            string // OAuth client_id
	RedirectURI         string
	Scopes              []string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	UserID              string
	OrgID               uuid.UUID // the user's organization
	AuthTime            time.Time
	AMR                 []string
	ACR                 string
	Lifetimes           client.Lifetimes // the client's, as they were at /authorize
}

// Errors callers branch on.
var (
	ErrNotFound = kind.New(kind.NotFound, "token not found or expired")
	// ErrReused: a single-use value (code, refresh token) was presented again.
	ErrReused = kind.New(kind.Conflict, "token already used")
	// ErrWiderScope: a refresh asked for a scope the refresh token was not granted.
	ErrWiderScope = kind.New(kind.Invalid, "scope wider than granted")
)

// AccessToken is what Sesame remembers of an access token it issued, until it expires:
// introspection and userinfo accept a token only while its record exists.
type AccessToken struct {
	ID        string
	ClientID  string    // OAuth client_id
	ClientOrg uuid.UUID // the organization that registered the client
	OrgID     uuid.UUID // the subject's organization: the user's, or the client's own for client_credentials
	Subject   string
	Scopes    []string
	Audience  []string
	GrantID   string // the authorization it came from; "" for client_credentials
	ExpiresAt time.Time
}

// RefreshToken is a stored refresh token; the value itself is only known as its SHA-256.
type RefreshToken struct {
	ID              uuid.UUID
	Hash            []byte
	FamilyID        uuid.UUID // every rotation of one grant shares it
	GrantID         string
	ClientID        string // OAuth client_id
	UserID          uuid.UUID
	Scopes          []string
	AuthTime        time.Time
	AMR             []string
	ExpiresAt       time.Time // idle expiry of this token
	FamilyExpiresAt time.Time // absolute expiry of the family
	RotatedAt       *time.Time
	RevokedAt       *time.Time
}

// Check is the refresh rule, the one place it is written (the refresh grant, revocation and
// introspection all apply it): a token is usable at now when it was neither rotated nor
// revoked and neither it nor its family has expired. A rotated or revoked token is
// ErrReused (RFC 9700 §4.14.2: presenting it again signals theft); an expired one ErrNotFound.
func (t RefreshToken) Check(now time.Time) error {
	switch {
	case t.RotatedAt != nil || t.RevokedAt != nil:
		return ErrReused
	case !now.Before(t.ExpiresAt) || !now.Before(t.FamilyExpiresAt):
		return ErrNotFound
	}
	return nil
}
