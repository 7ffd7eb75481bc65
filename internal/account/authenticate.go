package account

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
)

// ErrBadCredentials is the one answer to a failed sign-in, whatever failed: unknown email,
// wrong password, or an account that may not sign in. Callers must not tell them apart.
var ErrBadCredentials = kind.New(kind.Invalid, "invalid email or password")

// ErrMalformedCredentials: sign-in input no account can match, refused before any lookup or
// hashing: an email or password over its bound, or one that is not clean text
// (input.Clean: NUL bytes, control characters, invalid UTF-8). It depends on the input
// alone, so it tells nothing about accounts.
var ErrMalformedCredentials = kind.New(kind.Invalid, "email or password malformed")

// Bounds on sign-in input: the longest address a mailbox can have (RFC 5321 §4.5.3.1: a
// 64-byte local part, @, a 255-byte domain), and a password longer than any passphrase
// but short enough that hashing it costs what any other costs.
const (
	MaxEmailBytes    = 320
	MaxPasswordBytes = 1024
)

// Credentials is the persistence sign-in needs.
type Credentials interface {
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id uuid.UUID) (User, error)
	// UpgradePasswordHash replaces the hash of an unchanged password (stronger parameters):
	// password_changed_at stays.
	UpgradePasswordHash(ctx context.Context, id uuid.UUID, phc string, now time.Time) error
	// SetPasswordHash replaces the password hash (a password change): password_changed_at
	// is now; the replaced hash joins the user's history, which keeps its keep latest.
	SetPasswordHash(ctx context.Context, id uuid.UUID, phc string, now time.Time, keep int) error
	// PasswordHistory returns the user's n latest previous password hashes, newest first.
	PasswordHistory(ctx context.Context, id uuid.UUID, n int) ([]string, error)
	// OrgByID returns the live organization with id: its name and password policy override
	// for a password change.
	OrgByID(ctx context.Context, id uuid.UUID) (org.Organization, error)
}

// Authenticator checks passwords.
type Authenticator struct {
	store  Credentials
	hasher *Hasher
	now    func() time.Time
	dummy  string // a hash to verify against when the user does not exist
	policy Policy // the deployment's password policy, for password changes
}

// NewAuthenticator returns an Authenticator verifying and upgrading hashes with hasher.
func NewAuthenticator(store Credentials, hasher *Hasher, now func() time.Time) *Authenticator {
	// The dummy has the configured parameters: an unknown email costs what a wrong password costs.
	return &Authenticator{store: store, hasher: hasher, now: now, dummy: hasher.dummy(), policy: DefaultPolicy()}
}

// WithPolicy returns a copy of a whose deployment password policy (for password changes)
// is p.
func (a *Authenticator) WithPolicy(p Policy) *Authenticator {
	c := *a
	c.policy = p
	return &c
}

// Authenticate returns the active user with email and password, or ErrBadCredentials.
// Input over the bounds or not clean text is ErrMalformedCredentials, before anything is
// looked up or hashed; every other attempt costs one argon2id verification, in one of the
// hasher's slots (ErrBusy when none frees up in time). A hash with weaker parameters than
// configured is upgraded on success.
func (a *Authenticator) Authenticate(ctx context.Context, email string, password secret.Secret) (User, error) {
	pw := password.Reveal()
	if len(email) > MaxEmailBytes || len(pw) > MaxPasswordBytes || !input.Clean(email) || !input.Clean(pw) {
		return User{}, ErrMalformedCredentials
	}
	pw = NormalizePassword(pw) // as it was hashed: Service.Create
	u, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && u.PasswordHash == "") {
		if _, _, err := a.hasher.Verify(ctx, pw, a.dummy); kind.Is(err, kind.Unavailable) {
			return User{}, err
		}
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, upgrade, err := a.hasher.Verify(ctx, pw, u.PasswordHash)
	switch {
	case kind.Is(err, kind.Unavailable):
		return User{}, err
	case err != nil || !ok || u.Status != StatusActive:
		return User{}, ErrBadCredentials
	}
	if upgrade {
		phc, err := a.hasher.Hash(ctx, pw)
		if err != nil {
			return User{}, err
		}
		if err := a.store.UpgradePasswordHash(ctx, u.ID, phc, a.now()); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// LogIdentifier is what a log line may say about the email a sign-in attempted: the address
// when it is a syntactically valid one (NormalizeEmail accepts it as it is, which also bounds
// it under MaxEmailBytes), else "invalid_identifier", so that a password typed into the
// email field never reaches the logs.
func LogIdentifier(email string) string {
	if e, err := NormalizeEmail(email); err == nil && e == email {
		return email
	}
	return "invalid_identifier"
}

// UserByID returns a user (for claims).
func (a *Authenticator) UserByID(ctx context.Context, id uuid.UUID) (User, error) {
	return a.store.UserByID(ctx, id)
}
