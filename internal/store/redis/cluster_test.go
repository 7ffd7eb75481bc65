package redis_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/throttle"
	"github.com/sesameid/sesame/internal/token"
)

// Every method works on a Redis Cluster: each script's keys share a hash tag, and every
// MULTI and multi-key command stays in one slot (a Cluster refuses anything else with
// CROSSSLOT, go-redis a cross-slot MULTI with ErrCrossSlot). The steps run in order, each
// method at least once; a method missing here fails the test.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{testenv.StartRedisCluster(t)}})
	t.Cleanup(func() { _ = c.Close() })
	s := redis.New(c, "cluster:", testenv.Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	lt := login.Lifetimes{Idle: time.Hour, Absolute: 2 * time.Hour}
	a := token.Authorization{GrantID: "grant", ClientID: "c", CodeChallenge: "ch", UserID: "u"}
	sess := func(id string) login.Session {
		return login.Session{ID: id, UserID: "u", AuthTime: now, CreatedAt: now, LastSeen: now}
	}
	want := func(err, target error) error {
		if err == nil {
			return fmt.Errorf("succeeded, want %v", target)
		}
		if !errors.Is(err, target) {
			return err
		}
		return nil
	}
	steps := []struct {
		method string
		run    func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"CreateTransaction", func() error {
			return s.CreateTransaction(ctx, login.Transaction{ID: "grant", CreatedAt: now}, now.Add(time.Minute), now)
		}},
		{"Transaction", func() error { _, err := s.Transaction(ctx, "grant"); return err }},
		{"UpdateTransaction", func() error {
			_, err := s.UpdateTransaction(ctx, "grant", func(tx login.Transaction) (login.Transaction, error) { return tx, nil })
			return err
		}},
		{"FinishTransaction", func() error { return s.FinishTransaction(ctx, "code-1", a) }},
		{"TakeCode", func() error { _, _, err := s.TakeCode(ctx, "code-1", "c", "ch"); return err }},
		{"TakeCode", func() error { _, _, err := s.TakeCode(ctx, "code-1", "c", "ch"); return want(err, token.ErrReused) }},
		{"IssueCode", func() error { return s.IssueCode(ctx, "code-2", a) }},
		{"CreateSession", func() error { return s.CreateSession(ctx, sess("s1"), "", lt) }},
		{"CreateSession", func() error { return s.CreateSession(ctx, sess("s2"), "s1", lt) }},
		{"TouchSession", func() error { _, err := s.TouchSession(ctx, "s2", now, lt); return err }},
		{"DeleteSession", func() error { return s.DeleteSession(ctx, "s2", "u") }},
		{"CreateSession", func() error { return s.CreateSession(ctx, sess("s3"), "", lt) }},
		{"DeleteUserSessions", func() error { return s.DeleteUserSessions(ctx, "u", "") }},
		{"TouchSession", func() error { _, err := s.TouchSession(ctx, "s3", now, lt); return want(err, login.ErrExpired) }},
		{"SaveAccessToken", func() error {
			_, err := s.SaveAccessToken(ctx, token.AccessToken{ID: "at-1", GrantID: "grant", Subject: "u", ExpiresAt: now.Add(time.Hour)}, now)
			return err
		}},
		{"SaveAccessToken", func() error {
			_, err := s.SaveAccessToken(ctx, token.AccessToken{ID: "at-2", GrantID: "grant", Subject: "u", ExpiresAt: now.Add(time.Hour)}, now)
			return err
		}},
		{"AccessToken", func() error { _, err := s.AccessToken(ctx, "at-1"); return err }},
		{"RevokeAccessToken", func() error { return s.RevokeAccessToken(ctx, "at-1") }},
		{"RevokeIssuedAccessTokens", func() error { return s.RevokeIssuedAccessTokens(ctx, "grant") }},
		{"RevokeGrantAccessTokens", func() error { return s.RevokeGrantAccessTokens(ctx, "grant") }},
		{"AccessToken", func() error { _, err := s.AccessToken(ctx, "at-2"); return want(err, token.ErrNotFound) }},
		{"SaveAccessToken", func() error {
			_, err := s.SaveAccessToken(ctx, token.AccessToken{ID: "at-3", GrantID: "other", Subject: "u", ExpiresAt: now.Add(time.Hour)}, now)
			return err
		}},
		{"RevokeUserAccessTokens", func() error { return s.RevokeUserAccessTokens(ctx, "u") }},
		{"AccessToken", func() error { _, err := s.AccessToken(ctx, "at-3"); return want(err, token.ErrNotFound) }},
		{"AddSessionGrant", func() error { return s.AddSessionGrant(ctx, "s4", "grant", time.Hour) }},
		{"TakeSessionGrants", func() error { _, err := s.TakeSessionGrants(ctx, "s4"); return err }},
		{"CountAttempt", func() error {
			_, err := s.CountAttempt(ctx, "ada@example.com", login.ClassUnknown, "", login.DefaultLockout, now)
			return err
		}},
		{"ResetAttempts", func() error { return s.ResetAttempts(ctx, "ada@example.com", login.ClassUnknown, "") }},
		{"ClearAttempts", func() error { return s.ClearAttempts(ctx, "ada@example.com") }},
		{"Limit", func() error {
			_, err := s.Limit(ctx, "l:x", throttle.Rate{Limit: 1, Period: time.Second}, now, throttle.OpTake)
			return err
		}},
	}
	tested := map[string]bool{}
	for i, st := range steps {
		tested[st.method] = true
		if err := st.run(); err != nil {
			t.Errorf("step %d, %s on a Cluster: %v", i, st.method, err)
		}
	}
	typ := reflect.TypeOf(s)
	for i := range typ.NumMethod() {
		if name := typ.Method(i).Name; !tested[name] {
			t.Errorf("%s is not run on a Cluster by this test: add a step", name)
		}
	}
}
