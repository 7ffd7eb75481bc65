package token_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/token"
)

// The refresh rule (RefreshToken.Check) on its own; the services that apply it are tested
// over the real PostgreSQL store in internal/store/postgres (refresh_test.go).
func TestRefreshTokenCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name            string
		expires, family time.Duration // relative to now
		rotated         *time.Time
		revoked         *time.Time
		want            error
	}{
		{name: "usable", expires: time.Hour, family: 24 * time.Hour, want: nil},
		{name: "a nanosecond before idle expiry", expires: 1, family: 24 * time.Hour, want: nil},
		{name: "at idle expiry", expires: 0, family: 24 * time.Hour, want: token.ErrNotFound},
		{name: "past idle expiry", expires: -time.Minute, family: 24 * time.Hour, want: token.ErrNotFound},
		{name: "a nanosecond before family expiry", expires: time.Hour, family: 1, want: nil},
		{name: "at family expiry", expires: time.Hour, family: 0, want: token.ErrNotFound},
		{name: "past family expiry", expires: time.Hour, family: -time.Minute, want: token.ErrNotFound},
		{name: "rotated", expires: time.Hour, family: 24 * time.Hour, rotated: at(-time.Minute), want: token.ErrReused},
		{name: "revoked", expires: time.Hour, family: 24 * time.Hour, revoked: at(-time.Minute), want: token.ErrReused},
		{name: "rotated and revoked", expires: time.Hour, family: 24 * time.Hour, rotated: at(-2 * time.Minute), revoked: at(-time.Minute), want: token.ErrReused},
		// Presenting a rotated token is a theft signal even after it would have expired:
		// reuse wins over expiry, so the family still gets revoked.
		{name: "rotated and expired", expires: -time.Minute, family: -time.Minute, rotated: at(-time.Hour), want: token.ErrReused},
		{name: "revoked and expired", expires: -time.Minute, family: 24 * time.Hour, revoked: at(-time.Hour), want: token.ErrReused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := token.RefreshToken{ExpiresAt: now.Add(tt.expires), FamilyExpiresAt: now.Add(tt.family), RotatedAt: tt.rotated, RevokedAt: tt.revoked}
			err := rt.Check(now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Check(now) with expiry in %s, family expiry in %s, rotated %v, revoked %v = %v, want %v",
					tt.expires, tt.family, tt.rotated != nil, tt.revoked != nil, err, tt.want)
			}
		})
	}
}
