package account

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

// ErrBadCredentials is the one answer to a failed sign-in, whatever failed: unknown email,
// wrong password, or an account that may not sign in. Callers must not tell them apart.
var ErrBadCredentials = kind.New(kind.Invalid, "invalid email or password")

// Credentials is the persistence sign-in needs.
type Credentials interface {
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id uuid.UUID) (User, error)
	// UpgradePasswordHash replaces the hash of an unchanged password (stronger parameters):
	// password_changed_at stays.
	UpgradePasswordHash(ctx context.Context, id uuid.UUID, phc string, now time.Time) error
}

// Authenticator checks passwords.
type Authenticator struct {
	store  Credentials
	params Params
	now    func() time.Time
	dummy  func() string // a hash to verify against when the user does not exist
}

// NewAuthenticator returns an Authenticator hashing with params.
func NewAuthenticator(store Credentials, params Params, now func() time.Time) *Authenticator {
	return &Authenticator{
		store:  store,
		params: params,
		now:    now,
		// Computed once, lazily: the same cost as a real verification, so an unknown email
		// takes as long as a wrong password.
		dummy: sync.OnceValue(func() string { return Hash(secret.Token().Reveal(), params) }),
	}
}

// Authenticate returns the active user with email and password, or ErrBadCredentials.
// A hash with weaker parameters than configured is upgraded on success.
func (a *Authenticator) Authenticate(ctx context.Context, email string, password secret.Secret) (User, error) {
	u, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && u.PasswordHash == "") {
		_, _, _ = Verify(password.Reveal(), a.dummy(), a.params)
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, upgrade, err := Verify(password.Reveal(), u.PasswordHash, a.params)
	if err != nil || !ok || u.Status != StatusActive {
		return User{}, ErrBadCredentials
	}
	if upgrade {
		if err := a.store.UpgradePasswordHash(ctx, u.ID, Hash(password.Reveal(), a.params), a.now()); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// UserByID returns a user (for claims).
func (a *Authenticator) UserByID(ctx context.Context, id uuid.UUID) (User, error) {
	return a.store.UserByID(ctx, id)
}
