package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func store(t *testing.T) *redis.Store {
	t.Helper()
	url, prefix := testenv.Redis(t)
	c, err := redis.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return redis.New(c, prefix)
}

// Sessions end after the idle limit unused, and after the absolute limit however used.
func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	s := store(t)
	ctx := context.Background()
	lt := grant.SessionLifetimes{Idle: time.Hour, Absolute: 2 * time.Hour}
	now := time.Now()
	newSession := func(id string) {
		if err := s.CreateSession(ctx, grant.Session{ID: id, UserID: "u", AuthTime: now, CreatedAt: now, LastSeen: now}, lt); err != nil {
			t.Fatal(err)
		}
	}
	newSession("idle")
	if _, err := s.TouchSession(ctx, "idle", lt, now.Add(61*time.Minute)); !errors.Is(err, grant.ErrNotFound) {
		t.Errorf("touch after 61 min idle: %v, want ErrNotFound", err)
	}
	if _, err := s.TouchSession(ctx, "idle", lt, now); !errors.Is(err, grant.ErrNotFound) {
		t.Errorf("an expired session came back: %v", err)
	}

	newSession("busy")
	for _, m := range []time.Duration{50, 100, 119} {
		if _, err := s.TouchSession(ctx, "busy", lt, now.Add(m*time.Minute)); err != nil {
			t.Fatalf("touch at %d min: %v", m, err)
		}
	}
	if _, err := s.TouchSession(ctx, "busy", lt, now.Add(121*time.Minute)); !errors.Is(err, grant.ErrNotFound) {
		t.Errorf("touch past the absolute limit: %v, want ErrNotFound", err)
	}
	if _, err := s.TouchSession(ctx, "unknown", lt, now); !errors.Is(err, grant.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
}

// A code is taken once: 50 parallel takes give one request and 49 replays naming it.
func TestTakeCodeOnce(t *testing.T) {
	t.Parallel()
	s := store(t)
	ctx := context.Background()
	if err := s.SaveCode(ctx, "the-code", grant.AuthRequest{ID: "req-1", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 50)
	for range 50 {
		go func() {
			r, grantID, err := s.TakeCode(ctx, "the-code")
			if err == nil && (r.ID != "req-1" || grantID != "req-1") {
				t.Errorf("take = %q/%q", r.ID, grantID)
			}
			if errors.Is(err, grant.ErrReused) && grantID != "req-1" {
				t.Errorf("replay names grant %q, want req-1", grantID)
			}
			results <- err
		}()
	}
	var ok, reused int
	for range 50 {
		switch err := <-results; {
		case err == nil:
			ok++
		case errors.Is(err, grant.ErrReused):
			reused++
		default:
			t.Errorf("take: %v", err)
		}
	}
	if ok != 1 || reused != 49 {
		t.Errorf("%d takes succeeded and %d saw a replay, want 1 and 49", ok, reused)
	}
	if _, _, err := s.TakeCode(ctx, "never-issued"); !errors.Is(err, grant.ErrNotFound) {
		t.Errorf("unknown code: %v, want ErrNotFound", err)
	}
}
