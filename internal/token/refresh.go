package token

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/secret"
)

// RefreshStore persists refresh tokens.
type RefreshStore interface {
	// RefreshToken returns the token with hash in whatever state it is, or ErrNotFound.
	RefreshToken(ctx context.Context, hash []byte) (RefreshToken, error)
	CreateRefreshToken(ctx context.Context, t RefreshToken, now time.Time) error
	// RotateRefreshToken retires the token with oldHash if it is usable at now and inserts
	// next in the same statement; ErrReused when it was not (another rotation won).
	RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, now time.Time) (RefreshToken, error)
	RevokeRefreshFamily(ctx context.Context, familyID uuid.UUID, now time.Time) error
	RevokeGrantRefreshTokens(ctx context.Context, grantID string, now time.Time) error
	RevokeUserRefreshTokens(ctx context.Context, userID uuid.UUID, now time.Time) error
}

// Refresh issues, rotates and revokes refresh-token families.
type Refresh struct {
	store RefreshStore
	now   func() time.Time
}

// NewRefresh returns a Refresh over store.
func NewRefresh(store RefreshStore, now func() time.Time) *Refresh {
	return &Refresh{store: store, now: now}
}

// Lookup returns the usable refresh token whose value was presented (the model: Dex's
// LookupRefreshToken), for the client clientID it was issued to. A rotated or revoked token
// presented again by its client revokes its whole family and returns ErrReused with the
// token, so the caller can revoke what else the grant holds. Another client's token is
// ErrNotFound and changes nothing: one client cannot end another's grant.
func (r *Refresh) Lookup(ctx context.Context, value, clientID string) (RefreshToken, error) {
	t, err := r.store.RefreshToken(ctx, secret.Digest(value))
	if err != nil {
		return RefreshToken{}, err
	}
	if t.ClientID != clientID {
		return RefreshToken{}, ErrNotFound
	}
	now := r.now()
	if err := t.Check(now); err != nil {
		if errors.Is(err, ErrReused) {
			if rerr := r.store.RevokeRefreshFamily(ctx, t.FamilyID, now); rerr != nil {
				return RefreshToken{}, rerr
			}
			return t, err
		}
		return RefreshToken{}, err
	}
	return t, nil
}

// Find returns the refresh token whose value was presented, in whatever state (for
// revocation, which needs only to know whose it is), or ErrNotFound.
func (r *Refresh) Find(ctx context.Context, value string) (RefreshToken, error) {
	return r.store.RefreshToken(ctx, secret.Digest(value))
}

// Inspect returns the token whose value was presented if it is usable, for introspection:
// the same rule as Lookup, without revoking anything.
func (r *Refresh) Inspect(ctx context.Context, value string) (RefreshToken, error) {
	t, err := r.store.RefreshToken(ctx, secret.Digest(value))
	if err != nil {
		return RefreshToken{}, err
	}
	if err := t.Check(r.now()); err != nil {
		return RefreshToken{}, err
	}
	return t, nil
}

// Start issues the first refresh token of a new family for a code's authorization.
func (r *Refresh) Start(ctx context.Context, a Authorization) (secret.Secret, RefreshToken, error) {
	userID, err := uuid.Parse(a.UserID)
	if err != nil {
		return secret.Secret{}, RefreshToken{}, err
	}
	now := r.now()
	value := secret.Token()
	t := RefreshToken{
		ID: uuid.New(), Hash: secret.Digest(value.Reveal()), FamilyID: uuid.New(), GrantID: a.GrantID,
		ClientID: a.ClientID, UserID: userID, Scopes: a.Scopes, AuthTime: a.AuthTime, AMR: a.AMR,
		ExpiresAt: now.Add(a.Lifetimes.RefreshIdleTTL), FamilyExpiresAt: now.Add(a.Lifetimes.RefreshAbsoluteTTL),
	}
	if err := r.store.CreateRefreshToken(ctx, t, now); err != nil {
		return secret.Secret{}, RefreshToken{}, err
	}
	return value, t, nil
}

// Rotate retires current (as returned by Lookup) and issues its successor with scopes
// (current's, or fewer: a refresh never widens them, RFC 6749 §6, and a narrowing is kept),
// idle for idle but never past the family's absolute expiry. Losing a race to another
// rotation of the same token is reuse: the family is revoked and ErrReused returned.
func (r *Refresh) Rotate(ctx context.Context, current RefreshToken, scopes []string, idle time.Duration) (secret.Secret, RefreshToken, error) {
	for _, s := range scopes {
		if !slices.Contains(current.Scopes, s) {
			return secret.Secret{}, RefreshToken{}, ErrWiderScope
		}
	}
	now := r.now()
	value := secret.Token()
	next := current
	next.ID, next.Hash, next.Scopes = uuid.New(), secret.Digest(value.Reveal()), append([]string{}, scopes...)
	next.ExpiresAt = now.Add(idle) // the store caps it at the family's absolute expiry
	next.RotatedAt, next.RevokedAt = nil, nil
	next, err := r.store.RotateRefreshToken(ctx, current.Hash, next, now)
	if errors.Is(err, ErrReused) {
		if rerr := r.store.RevokeRefreshFamily(ctx, current.FamilyID, now); rerr != nil {
			return secret.Secret{}, RefreshToken{}, rerr
		}
	}
	if err != nil {
		return secret.Secret{}, RefreshToken{}, err
	}
	return value, next, nil
}

// RevokeFamily revokes the family of t (RFC 7009: revoking a refresh token revokes its grant).
func (r *Refresh) RevokeFamily(ctx context.Context, t RefreshToken) error {
	return r.store.RevokeRefreshFamily(ctx, t.FamilyID, r.now())
}

// RevokeGrant revokes every refresh token issued from one authorization (a replayed code,
// RFC 6749 §4.1.2).
func (r *Refresh) RevokeGrant(ctx context.Context, grantID string) error {
	return r.store.RevokeGrantRefreshTokens(ctx, grantID, r.now())
}

// RevokeUser revokes every refresh token of a user (the user was disabled).
func (r *Refresh) RevokeUser(ctx context.Context, userID uuid.UUID) error {
	return r.store.RevokeUserRefreshTokens(ctx, userID, r.now())
}
