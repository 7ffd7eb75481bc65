package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/token"
)

// The indexes of a user's sessions and of a grant's access tokens drop the members that
// expired whenever one is added, and expire with their longest-lived member.
func TestIndexesPruneAndExpire(t *testing.T) {
	t.Parallel()
	s, c, prefix := storeAndClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	check := func(index string, wantMembers []string, wantTTL time.Duration) {
		t.Helper()
		members, err := c.ZRange(ctx, prefix+index, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(members)
		if !slices.Equal(members, wantMembers) {
			t.Errorf("%s holds %q, want %q", index, members, wantMembers)
		}
		// The TTL is computed from the caller's clock: at most wantTTL, and not much less.
		if ttl := c.PTTL(ctx, prefix+index).Val(); ttl > wantTTL || ttl < wantTTL-time.Minute {
			t.Errorf("%s expires in %s, want %s", index, ttl, wantTTL)
		}
	}

	// Sessions (absolute lifetime 2 h): one from 3 h ago, one now.
	newSession(t, s, "old", "ada", now.Add(-3*time.Hour))
	newSession(t, s, "new", "ada", now)
	check("user-sessions:ada", []string{hexDigest("new")}, 2*time.Hour)

	// Access tokens: one expired by the time the others are saved; the last saved is not the
	// longest-lived, and the TTL follows the longest.
	save := func(id string, exp, at time.Time) {
		t.Helper()
		if _, err := s.SaveAccessToken(ctx, token.AccessToken{ID: id, GrantID: "g", ExpiresAt: exp}, at); err != nil {
			t.Fatal(err)
		}
	}
	save("expired", now.Add(-5*time.Minute), now.Add(-time.Hour))
	save("long", now.Add(time.Hour), now)
	save("short", now.Add(time.Minute), now)
	check("grant-at:{g}", []string{"long", "short"}, time.Hour)

	// A user's grants, each scored with its latest-expiring token: grant g (tokens until
	// now+1h) outlives a grant whose only token has expired by the time another is added.
	if _, err := s.SaveAccessToken(ctx, token.AccessToken{ID: "x", GrantID: "gone", Subject: "ada", ExpiresAt: now.Add(10 * time.Minute)}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAccessToken(ctx, token.AccessToken{ID: "y", GrantID: "g2", Subject: "ada", ExpiresAt: now.Add(40 * time.Minute)}, now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// g's tokens above had no subject; give it one token for ada expiring at now+1h, then one
	// expiring sooner: its score stays at the later one.
	for _, exp := range []time.Duration{time.Hour, 35 * time.Minute} {
		if _, err := s.SaveAccessToken(ctx, token.AccessToken{ID: "z" + exp.String(), GrantID: "g", Subject: "ada", ExpiresAt: now.Add(exp)}, now.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	check("user-grants:ada", []string{"g", "g2"}, 30*time.Minute)

	// Ending the sessions of a user without any is nothing to do.
	if err := s.DeleteUserSessions(ctx, "nobody", ""); err != nil {
		t.Errorf("DeleteUserSessions of a user without sessions: %v", err)
	}

	// A session exists only once it is in its user's index, so ending a user's sessions
	// cannot miss one: when the index cannot be written, no session is.
	if err := c.Set(ctx, prefix+"user-sessions:bob", "not an index", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	bob := login.Session{ID: "bob-1", UserID: "bob", AuthTime: now, CreatedAt: now, LastSeen: now}
	if err := s.CreateSession(ctx, bob, "", lt); err == nil {
		t.Error("CreateSession with an unwritable index succeeded")
	}
	if _, err := s.TouchSession(ctx, bob.ID, now, lt); !errors.Is(err, login.ErrExpired) {
		t.Errorf("a session missing from its user's index exists: %v", err)
	}
}

func hexDigest(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}
