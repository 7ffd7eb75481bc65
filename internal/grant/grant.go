// Package grant owns the state of authorizations: pending authorization requests and their
// codes, browser sessions, issued access and refresh tokens, and the keys tokens are signed
// with. It holds the types and the rules; the stores persist them (Redis for what is
// short-lived, PostgreSQL for refresh tokens and keys).
package grant

import (
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/secret"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found or expired")
	// ErrReused: a single-use value (code, refresh token) was presented again.
	ErrReused = errors.New("already used")
)

// Lifetimes fixed by the protocol rules Sesame follows.
const (
	// CodeLifetime bounds an authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes).
	CodeLifetime = 60 * time.Second
	// UsedCodeLifetime keeps the used-code marker at least as long as a code could live,
	// so a replay within the code's lifetime finds what the first use issued.
	UsedCodeLifetime = 10 * time.Minute
	// RequestLifetime bounds a pending authorization request (the user's time to sign in).
	RequestLifetime = 30 * time.Minute
)

// AuthRequest is an authorization request waiting for the user, then for its code.
type AuthRequest struct {
	ID                  string    `json:"id"`
	ClientID            string    `json:"client_id"`
	RedirectURI         string    `json:"redirect_uri"`
	Scopes              []string  `json:"scopes"`
	State               string    `json:"state,omitempty"`
	Nonce               string    `json:"nonce,omitempty"`
	ResponseMode        string    `json:"response_mode,omitempty"`
	CodeChallenge       string    `json:"code_challenge"`
	CodeChallengeMethod string    `json:"code_challenge_method"`
	Prompt              []string  `json:"prompt,omitempty"`
	MaxAge              *uint     `json:"max_age,omitempty"`
	LoginHint           string    `json:"login_hint,omitempty"`
	HintSubject         string    `json:"hint_subject,omitempty"` // sub of a valid id_token_hint
	CSRF                string    `json:"csrf"`                   // login form token, bound to this request
	BindingHash         []byte    `json:"binding_hash"`           // SHA-256 of the browser binding cookie
	CreatedAt           time.Time `json:"created_at"`

	// Set when the user has authenticated.
	UserID   string    `json:"user_id,omitempty"`
	AuthTime time.Time `json:"auth_time,omitzero"`
	AMR      []string  `json:"amr,omitempty"`
	Done     bool      `json:"done,omitempty"`
}

// BoundTo reports whether the request was started by the browser holding the binding
// cookie value cookie (compared as SHA-256, in constant time).
func (r AuthRequest) BoundTo(cookie string) bool {
	return cookie != "" && secret.Equal(secret.Digest(cookie), r.BindingHash)
}

// Session is a browser session: the user is signed in at Sesame (SSO).
type Session struct {
	ID        string    `json:"-"`
	UserID    string    `json:"user_id"`
	OrgID     string    `json:"org_id"`
	AuthTime  time.Time `json:"auth_time"`
	AMR       []string  `json:"amr"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
}

// Satisfies reports whether the session may answer a request with maxAge (seconds; nil for
// none) at now: prompt=login is expressed by the op package as max_age=0.
func (s Session) Satisfies(maxAge *uint, now time.Time) bool {
	if maxAge == nil {
		return true
	}
	return now.Sub(s.AuthTime) <= time.Duration(*maxAge)*time.Second && *maxAge > 0
}

// SessionLifetimes bound browser sessions.
type SessionLifetimes struct {
	Idle, Absolute time.Duration
}

// DefaultSessionLifetimes are NIST SP 800-63B rev 4's AAL2 reauthentication limits.
var DefaultSessionLifetimes = SessionLifetimes{Idle: time.Hour, Absolute: 24 * time.Hour}

// AccessToken is what Sesame remembers of an access token it issued, until it expires:
// introspection and userinfo accept a token only while its record exists.
type AccessToken struct {
	ID        string    `json:"-"`
	ClientID  string    `json:"client_id"`
	Subject   string    `json:"sub"`
	Scopes    []string  `json:"scopes"`
	Audience  []string  `json:"aud"`
	GrantID   string    `json:"grant_id,omitempty"` // the authorization request it came from
	ExpiresAt time.Time `json:"exp"`
}

// RefreshToken is a stored refresh token; the value itself is only known as its SHA-256.
type RefreshToken struct {
	ID              uuid.UUID
	Hash            []byte
	FamilyID        uuid.UUID // every rotation of one grant shares it
	GrantID         string
	ClientID        uuid.UUID // the clients row
	ClientPublicID  string    // client_id as the relying party knows it
	UserID          uuid.UUID
	Scopes          []string
	Audience        []string
	AuthTime        time.Time
	AMR             []string
	ExpiresAt       time.Time // idle expiry of this token
	FamilyExpiresAt time.Time // absolute expiry of the family
}

// SigningKey is a key tokens are signed with.
type SigningKey struct {
	KID       string
	Alg       string // ES256 or RS256
	Sealed    []byte // private key, PKCS#8, sealed with the master key
	PublicJWK []byte // JSON
	NotBefore time.Time
	RetiredAt *time.Time
	CreatedAt time.Time
}
