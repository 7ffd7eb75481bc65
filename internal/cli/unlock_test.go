package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
)

// user unlock forgets the failed sign-ins of an email, both classes, however the address is
// spelled, and logs the event; it needs Redis alone.
func TestUserUnlock(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.Redis(t)
	env := map[string]string{"SESAME_REDIS_URL": url, "SESAME_REDIS_KEY_PREFIX": prefix}
	c, err := redis.Connect(url, testenv.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	st := redis.New(c, prefix, testenv.Timeout)
	ctx, now := context.Background(), time.Now()
	count := func(class login.Class) login.Count {
		t.Helper()
		n, err := st.CountAttempt(ctx, "ada@example.com", class, "", login.DefaultLockout, now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, class := range []login.Class{login.ClassKnown, login.ClassUnknown} {
		for range login.DefaultLockout.Threshold {
			count(class)
		}
		if count(class).Wait == 0 {
			t.Fatalf("class %s not locked after the threshold", class)
		}
	}
	r := mustRun(t, env, "", "user", "unlock", "--email", " ADA@Example.com")
	if r.stdout != "sign-in failures of ADA@Example.com cleared\n" || !strings.Contains(r.stderr, "event=unlock email=ADA@Example.com") {
		t.Errorf("user unlock printed %q, logged %q", r.stdout, r.stderr)
	}
	for _, class := range []login.Class{login.ClassKnown, login.ClassUnknown} {
		if n := count(class); n.Wait != 0 || n.Failures != 1 {
			t.Errorf("class %s after unlock = %+v, want counted afresh", class, n)
		}
	}
	wantBadInput(t, sesame(t, env, "", "user", "unlock"), "--email is required")
	wantBadInput(t, sesame(t, env, "", "user", "unlock", "--email", strings.Repeat("a", 321)), "--email is longer than 320 bytes")
	wantBadInput(t, sesame(t, map[string]string{}, "", "user", "unlock", "--email", "a@b.c"), "SESAME_REDIS_URL (--redis-url): required")
}
