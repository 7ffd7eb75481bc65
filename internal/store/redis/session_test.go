package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture starts a parallel test with a store of its own, a 30 s deadline and the time.
func fixture(t *testing.T) (*redis.Store, context.Context, time.Time) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return testenv.RedisStore(t), ctx, time.Now()
}

// storeAndClient returns a store, the client it uses and its key prefix.
func storeAndClient(t *testing.T) (*redis.Store, goredis.UniversalClient, string) {
	t.Helper()
	url, prefix := testenv.Redis(t)
	c, err := redis.Connect(url, testenv.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return redis.New(c, prefix, testenv.Timeout), c, prefix
}

// storeAndKeys returns a store and a function counting its keys matching pattern.
func storeAndKeys(t *testing.T) (*redis.Store, func(pattern string) int) {
	t.Helper()
	s, c, prefix := storeAndClient(t)
	count := func(pattern string) int {
		keys, err := c.Keys(context.Background(), prefix+pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	return s, count
}

var lt = login.Lifetimes{Idle: time.Hour, Absolute: 2 * time.Hour}

func newSession(t *testing.T, s *redis.Store, id, user string, now time.Time) login.Session {
	t.Helper()
	sess := login.Session{ID: id, UserID: user, OrgID: "o", AuthTime: now, Steps: []login.Step{login.StepPassword},
		CreatedAt: now, LastSeen: now}
	if err := s.CreateSession(context.Background(), sess, "", lt); err != nil {
		t.Fatal(err)
	}
	return sess
}

// Sessions end after the idle limit unused, and after the absolute limit however used.
func TestSessionLifetimes(t *testing.T) {
	s, ctx, now := fixture(t)
	newSession(t, s, "idle", "u", now)
	if _, err := s.TouchSession(ctx, "idle", now.Add(61*time.Minute), lt); !errors.Is(err, login.ErrExpired) {
		t.Errorf("touch after 61 min idle: %v, want ErrExpired", err)
	}
	if _, err := s.TouchSession(ctx, "idle", now, lt); !errors.Is(err, login.ErrExpired) {
		t.Errorf("an expired session came back: %v", err)
	}

	newSession(t, s, "busy", "u", now)
	for _, m := range []time.Duration{50, 100, 119} {
		got, err := s.TouchSession(ctx, "busy", now.Add(m*time.Minute), lt)
		if err != nil {
			t.Fatalf("touch at %d min: %v", m, err)
		}
		if !got.LastSeen.Equal(now.Add(m*time.Minute).Truncate(time.Millisecond)) || got.UserID != "u" ||
			len(got.Steps) != 1 || got.Steps[0] != login.StepPassword {
			t.Errorf("touch at %d min = %+v", m, got)
		}
	}
	if _, err := s.TouchSession(ctx, "busy", now.Add(121*time.Minute), lt); !errors.Is(err, login.ErrExpired) {
		t.Errorf("touch past the absolute limit: %v, want ErrExpired", err)
	}
	if _, err := s.TouchSession(ctx, "unknown", now, lt); !errors.Is(err, login.ErrExpired) {
		t.Errorf("unknown session: %v", err)
	}
}

// A session deleted while 300 touches race it stays deleted: no touch writes it back.
func TestTouchNeverResurrects(t *testing.T) {
	t.Parallel()
	s, keys := storeAndKeys(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	sess := newSession(t, s, "raced", "u", now)
	const touches = 300
	// Goroutine 0 deletes the session while the others touch it.
	testenv.Together(touches+1, func(i int) {
		if i == 0 {
			if err := s.DeleteSession(ctx, sess.ID, sess.UserID); err != nil {
				t.Errorf("delete: %v", err)
			}
			return
		}
		_, err := s.TouchSession(ctx, sess.ID, now.Add(time.Duration(i)*time.Millisecond), lt)
		if err != nil && !errors.Is(err, login.ErrExpired) {
			t.Errorf("touch: %v", err)
		}
	})
	if got, err := s.TouchSession(ctx, sess.ID, now, lt); !errors.Is(err, login.ErrExpired) {
		t.Fatalf("after 300 touches raced a delete the session is alive: %+v, %v", got, err)
	}
	if n := keys("sess:*"); n != 0 {
		t.Errorf("%d session keys left in Redis, want 0", n)
	}
}

// A new session replaces the browser's old one; ending all of a user's sessions ends them all.
func TestSessionReplaceAndEndAll(t *testing.T) {
	s, ctx, now := fixture(t)
	old := newSession(t, s, "old", "ada", now)
	fresh := login.Session{ID: "fresh", UserID: "ada", AuthTime: now, CreatedAt: now, LastSeen: now}
	if err := s.CreateSession(ctx, fresh, old.ID, lt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TouchSession(ctx, old.ID, now, lt); !errors.Is(err, login.ErrExpired) {
		t.Errorf("replaced session still alive: %v", err)
	}
	newSession(t, s, "other-browser", "ada", now)
	bob := newSession(t, s, "bob", "bob", now)
	if err := s.DeleteUserSessions(ctx, "ada", ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"fresh", "other-browser"} {
		if _, err := s.TouchSession(ctx, id, now, lt); !errors.Is(err, login.ErrExpired) {
			t.Errorf("session %s of the user survived DeleteUserSessions: %v", id, err)
		}
	}
	if _, err := s.TouchSession(ctx, bob.ID, now, lt); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
}
