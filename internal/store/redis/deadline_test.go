package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/throttle"
	"github.com/sesameid/sesame/internal/token"
)

// stallDeadline is the deadline under test: short, so the stall tests are quick.
const stallDeadline = 200 * time.Millisecond

// stalledRedis starts a redis-server for the test alone and returns its URL and a function
// that stalls it (SIGSTOP: connections open, nothing answers) until the test ends. CLIENT
// PAUSE would stall it too, but cannot be lifted early: even CLIENT UNPAUSE waits for it.
func stalledRedis(t *testing.T) (url string, stall func()) {
	t.Helper()
	r := testenv.StartRedis(t, 0) // 0: a free port
	return r.URL(), func() {
		if err := r.Pause(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Resume() })
	}
}

func connect(t *testing.T, url string, timeout time.Duration) *redis.Store {
	t.Helper()
	c, err := redis.Connect(url, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return redis.New(c, "deadline:", stallDeadline)
}

// A stalled Redis fails every method with kind.Unavailable at the store's deadline. The
// client's own timeouts are long here: the store's deadline is what is tested.
func TestEveryCallHasADeadline(t *testing.T) {
	t.Parallel()
	url, stall := stalledRedis(t)
	st := connect(t, url, time.Hour)
	now := time.Now()
	sess := login.Session{ID: "s", UserID: "u", CreatedAt: now, LastSeen: now}
	lt := login.Lifetimes{Idle: time.Hour, Absolute: 2 * time.Hour}
	a := token.Authorization{GrantID: "g", ClientID: "c"}
	calls := testenv.Calls{
		"Ping": st.Ping,
		"CreateTransaction": func(ctx context.Context) error {
			return st.CreateTransaction(ctx, login.Transaction{ID: "t"}, now.Add(time.Minute), now)
		},
		"Transaction": func(ctx context.Context) error { _, err := st.Transaction(ctx, "t"); return err },
		"UpdateTransaction": func(ctx context.Context) error {
			_, err := st.UpdateTransaction(ctx, "t", func(tx login.Transaction) (login.Transaction, error) { return tx, nil })
			return err
		},
		"IssueCode":          func(ctx context.Context) error { return st.IssueCode(ctx, "code", a) },
		"FinishTransaction":  func(ctx context.Context) error { return st.FinishTransaction(ctx, "code", a) },
		"TakeCode":           func(ctx context.Context) error { _, _, err := st.TakeCode(ctx, "code", "c", ""); return err },
		"CreateSession":      func(ctx context.Context) error { return st.CreateSession(ctx, sess, "old", lt) },
		"TouchSession":       func(ctx context.Context) error { _, err := st.TouchSession(ctx, "s", now, lt); return err },
		"DeleteSession":      func(ctx context.Context) error { return st.DeleteSession(ctx, "s", "u") },
		"DeleteUserSessions": func(ctx context.Context) error { return st.DeleteUserSessions(ctx, "u", "") },
		"SaveAccessToken": func(ctx context.Context) error {
			_, err := st.SaveAccessToken(ctx, token.AccessToken{ID: "at", GrantID: "g", ExpiresAt: now.Add(time.Minute)}, now)
			return err
		},
		"AccessToken":              func(ctx context.Context) error { _, err := st.AccessToken(ctx, "at"); return err },
		"RevokeAccessToken":        func(ctx context.Context) error { return st.RevokeAccessToken(ctx, "at") },
		"RevokeGrantAccessTokens":  func(ctx context.Context) error { return st.RevokeGrantAccessTokens(ctx, "g") },
		"RevokeIssuedAccessTokens": func(ctx context.Context) error { return st.RevokeIssuedAccessTokens(ctx, "g") },
		"RevokeUserAccessTokens":   func(ctx context.Context) error { return st.RevokeUserAccessTokens(ctx, "u") },
		"AddSessionGrant":          func(ctx context.Context) error { return st.AddSessionGrant(ctx, "s", "g", time.Hour) },
		"TakeSessionGrants":        func(ctx context.Context) error { _, err := st.TakeSessionGrants(ctx, "s"); return err },
		"CountAttempt": func(ctx context.Context) error {
			_, err := st.CountAttempt(ctx, "e", login.ClassUnknown, "", login.DefaultLockout, now)
			return err
		},
		"ResetAttempts": func(ctx context.Context) error { return st.ResetAttempts(ctx, "e", login.ClassKnown, "d") },
		"ClearAttempts": func(ctx context.Context) error { return st.ClearAttempts(ctx, "e") },
		"Limit": func(ctx context.Context) error {
			_, err := st.Limit(ctx, "l:x", throttle.Rate{Limit: 1, Period: time.Second}, now, throttle.OpTake)
			return err
		},
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	stall()
	testenv.CheckDeadlines(t, st, calls)

	// A caller that goes away (the client hung up) is no outage.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.Transaction(ctx, "t"); !errors.Is(err, context.Canceled) || kind.Is(err, kind.Unavailable) {
		t.Errorf("Transaction canceled by its caller = %v (kind %s), want context.Canceled, not unavailable", err, kind.Of(err))
	}
}

// The client Connect builds bounds each command by itself, whatever the caller's context:
// a caller without a deadline still gets kind.Unavailable from a stalled Redis.
func TestClientTimeouts(t *testing.T) {
	t.Parallel()
	url, stall := stalledRedis(t)
	c, err := redis.Connect(url, stallDeadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	stall()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := time.AfterFunc(30*time.Second, cancel)
	defer timer.Stop()
	st := redis.New(c, "deadline:", time.Hour)
	for name, call := range map[string]func() error{
		"pooled connection": func() error { return st.Ping(ctx) },
		"new connection":    func() error { _, err := st.AccessToken(ctx, "at"); return err },
	} {
		if err := call(); !kind.Is(err, kind.Unavailable) || ctx.Err() != nil {
			t.Errorf("%s: %v, want kind unavailable from the client's own timeout", name, err)
		}
	}
}
