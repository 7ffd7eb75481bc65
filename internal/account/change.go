package account

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/input"
	"github.com/sesameid/sesame/internal/secret"
)

// ChangePassword sets the active user's password to next when current is their password
// now (ErrBadCredentials otherwise) and next passes the password policy of the user's
// organization, with their email and organization name as its subject. Both are
// NFKC-normalized, as at sign-in and creation. Both run through the
// hasher's slots. Ending what the old password opened (other sessions, refresh tokens) is
// the caller's part: those live in other services' stores.
func (a *Authenticator) ChangePassword(ctx context.Context, userID uuid.UUID, current, next secret.Secret) error {
	if len(current.Reveal()) > MaxPasswordBytes || !input.Clean(current.Reveal()) {
		return ErrMalformedCredentials
	}
	u, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Status != StatusActive || u.PasswordHash == "" {
		return ErrBadCredentials
	}
	ok, _, err := a.hasher.Verify(ctx, NormalizePassword(current.Reveal()), u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadCredentials
	}
	p, o, err := orgPolicy(ctx, a.store, a.policy, u.OrgID)
	if err != nil {
		return err
	}
	if err := p.Check(next, Subject{Email: u.Email, OrgName: o.Name}); err != nil {
		return err
	}
	if err := a.checkHistory(ctx, u, next, p.History); err != nil {
		return err
	}
	phc, err := a.hasher.Hash(ctx, NormalizePassword(next.Reveal()))
	if err != nil {
		return err
	}
	return a.store.SetPasswordHash(ctx, u.ID, phc, a.now(), max(p.History-1, 0))
}

// checkHistory refuses next when it is one of the user's last n passwords: the current one
// and the n-1 before it, each compared by an argon2id verification (hashes, never the
// passwords, are kept).
func (a *Authenticator) checkHistory(ctx context.Context, u User, next secret.Secret, n int) error {
	if n == 0 {
		return nil
	}
	previous, err := a.store.PasswordHistory(ctx, u.ID, n-1)
	if err != nil {
		return err
	}
	candidate := NormalizePassword(next.Reveal())
	for _, h := range append([]string{u.PasswordHash}, previous...) {
		same, _, err := a.hasher.Verify(ctx, candidate, h)
		if err != nil {
			return err
		}
		if same {
			return &PolicyError{Rule: "history", Message: fmt.Sprintf("must not be one of your last %d passwords", n)}
		}
	}
	return nil
}
