package login_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
)

var deviceKey = bytes.Repeat([]byte{7}, 32)

func newLockout(t testing.TB, clock *testenv.Clock) *login.Lockout {
	t.Helper()
	l, err := login.NewLockout(testenv.RedisStore(t), login.DefaultLockout, deviceKey, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fail counts one attempt that then fails (the password was wrong); it returns the error
// of Begin (a *LockedError when the class is in its delay).
func fail(t *testing.T, l *login.Lockout, email, cookie string) error {
	t.Helper()
	_, err := l.Begin(context.Background(), email, cookie)
	if err != nil && !errors.Is(err, login.ErrLocked) {
		t.Fatal(err)
	}
	return err
}

func wait(err error) time.Duration {
	var le *login.LockedError
	if errors.As(err, &le) {
		return le.Wait
	}
	return 0
}

// The timeline: four failures pass, the fifth starts 30 s, each further failure after its
// delay doubles it (1 min, 2 min, … ) up to 15 min; during a delay every attempt, the right
// password included, is refused with what is left and counts nothing.
func TestLockoutTimeline(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	l := newLockout(t, clock)
	const email = "timeline@example.com"
	for i := 1; i <= 5; i++ {
		if err := fail(t, l, email, ""); err != nil {
			t.Fatalf("failure %d: %v, want it counted and checked", i, err)
		}
	}
	for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute} {
		if got := wait(fail(t, l, email, "")); got != want {
			t.Fatalf("delay %d = %v, want %v", i, got, want)
		}
		clock.Advance(want - time.Second)
		if got := wait(fail(t, l, email, "")); got != time.Second {
			t.Fatalf("delay %d, one second before its end: wait %v, want 1s", i, got)
		}
		clock.Advance(time.Second)
		if err := fail(t, l, email, ""); err != nil {
			t.Fatalf("after delay %d: %v, want the attempt checked", i, err)
		}
	}
}

// A success resets its class: the next four failures pass again.
func TestLockoutResetOnSuccess(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	l := newLockout(t, clock)
	ctx := context.Background()
	const email = "reset@example.com"
	for range 4 {
		_ = fail(t, l, email, "")
	}
	a, err := l.Begin(ctx, email, "")
	if err != nil || a.Failures != 5 || a.Delay != 30*time.Second {
		t.Fatalf("fifth attempt = %+v, %v; want counted, 5 failures, 30s started", a, err)
	}
	if err := l.Succeeded(ctx, a); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := fail(t, l, email, ""); err != nil {
			t.Fatalf("failure %d after a success: %v, want checked", i, err)
		}
	}
}

// Unlock clears both classes; the email is normalized (trimmed, case-folded) everywhere.
func TestLockoutUnlock(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	st := testenv.RedisStore(t)
	l, err := login.NewLockout(st, login.DefaultLockout, deviceKey, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	const email = "unlock@example.com"
	cookie := l.DeviceCookie(email)
	for range 5 {
		_ = fail(t, l, email, "")
		_ = fail(t, l, email, cookie)
	}
	if fail(t, l, " UNLOCK@example.COM ", "") == nil || fail(t, l, email, cookie) == nil {
		t.Fatal("both classes should be in their delay")
	}
	if err := login.Unlock(context.Background(), st, " Unlock@Example.com"); err != nil {
		t.Fatal(err)
	}
	if err := fail(t, l, email, ""); err != nil {
		t.Errorf("without cookie after unlock: %v", err)
	}
	if err := fail(t, l, email, cookie); err != nil {
		t.Errorf("with cookie after unlock: %v", err)
	}
}

// The classes count apart: a sprayer without the cookie does not delay the owner; a forged
// cookie or another email's counts as none.
func TestLockoutClasses(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	l := newLockout(t, clock)
	const email = "owner@example.com"
	for range 5 {
		_ = fail(t, l, email, "")
	}
	other, err := login.NewLockout(testenv.RedisStore(t), login.DefaultLockout, bytes.Repeat([]byte{8}, 32), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	own := l.DeviceCookie(email)
	nonce, _, _ := strings.Cut(own, ".")
	for name, cookie := range map[string]string{
		"none": "", "another email's": l.DeviceCookie("someone@example.com"), "forged": "AAAA",
		"under another key": other.DeviceCookie(email), "truncated": own[:10],
		"another nonce with the MAC": "B" + own[1:], "the nonce alone": nonce,
	} {
		if class, _ := l.Class(email, cookie); class != login.ClassUnknown || !errors.Is(fail(t, l, email, cookie), login.ErrLocked) {
			t.Errorf("cookie %s: not treated as no cookie", name)
		}
	}
	if class, device := l.Class(" Owner@EXAMPLE.com", own); class != login.ClassKnown || device != nonce || fail(t, l, email, own) != nil {
		t.Errorf("the owner's own cookie: not known, or delayed by the cookie-less failures")
	}
}

// Each sign-in gets a device cookie of its own, and failures with a device cookie count
// per device: whoever copied one device's cookie locks that device only, never the owner's
// other devices (the outside review's finding: one shared value let a copied cookie lock
// the owner out everywhere).
func TestLockoutPerDevice(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	l := newLockout(t, clock)
	const email = "owner@example.com"
	laptop, phone := l.DeviceCookie(email), l.DeviceCookie(email)
	if laptop == phone {
		t.Fatal("two sign-ins got the same device cookie")
	}
	for range 5 {
		_ = fail(t, l, email, laptop)
	}
	if !errors.Is(fail(t, l, email, laptop), login.ErrLocked) {
		t.Error("the copied device cookie is not delayed after 5 failures")
	}
	if err := fail(t, l, email, phone); err != nil {
		t.Errorf("the owner's other device is delayed by a copied cookie's failures: %v", err)
	}
	if err := fail(t, l, email, ""); err != nil {
		t.Errorf("the cookie-less class is delayed by a device's failures: %v", err)
	}
}

// 50 parallel attempts on a fresh email lose no count: the class ends at 50 failures with
// the delay that implies; 50 parallel attempts one below the threshold let exactly one be
// checked, the 49 others get the delay.
func TestLockoutAtomic(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	l := newLockout(t, clock)
	ctx := context.Background()
	t.Run("fresh", func(t *testing.T) {
		var checked atomic.Int64
		testenv.Together(50, func(int) {
			if _, err := l.Begin(ctx, "fresh@example.com", ""); err == nil {
				checked.Add(1)
			}
		})
		if checked.Load() != 5 {
			t.Errorf("%d of 50 checked, want 5 (the threshold)", checked.Load())
		}
		clock.Advance(30 * time.Second)
		if a, err := l.Begin(ctx, "fresh@example.com", ""); err != nil || a.Failures != 6 || a.Delay != time.Minute {
			t.Errorf("after the delay: %+v, %v; want the 6th failure, 1 min", a, err)
		}
	})
	t.Run("one below", func(t *testing.T) {
		for range 4 {
			_ = fail(t, l, "below@example.com", "")
		}
		var checked, delayed atomic.Int64
		testenv.Together(50, func(int) {
			_, err := l.Begin(ctx, "below@example.com", "")
			switch {
			case err == nil:
				checked.Add(1)
			case wait(err) == 30*time.Second:
				delayed.Add(1)
			}
		})
		if checked.Load() != 1 || delayed.Load() != 49 {
			t.Errorf("checked %d, delayed 30s %d; want 1 and 49", checked.Load(), delayed.Load())
		}
	})
}

// A Redis that does not answer fails the attempt as unavailable: nothing is checked.
func TestLockoutRedisDown(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t, 0)
	st := testenv.RedisStoreAt(t, r.URL())
	l, err := login.NewLockout(st, login.DefaultLockout, deviceKey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Begin(context.Background(), "down@example.com", ""); !kind.Is(err, kind.Unavailable) {
		t.Errorf("Begin with Redis stopped = %v, want kind unavailable", err)
	}
}

// The rule's bounds: NIST's 100 failures at most without a delay.
func TestLockoutRuleBounds(t *testing.T) {
	for _, r := range []login.LockoutRule{
		{Threshold: 0, Delay: time.Second, MaxDelay: time.Second},
		{Threshold: 101, Delay: time.Second, MaxDelay: time.Second},
		{Threshold: 5, Delay: 0, MaxDelay: time.Second},
		{Threshold: 5, Delay: time.Minute, MaxDelay: time.Second},
	} {
		if _, err := login.NewLockout(nil, r, deviceKey, time.Now); err == nil {
			t.Errorf("NewLockout(%+v) accepted", r)
		}
	}
	if _, err := login.NewLockout(nil, login.LockoutRule{Threshold: 100, Delay: time.Second, MaxDelay: time.Second}, deviceKey, time.Now); err != nil {
		t.Error(err)
	}
	if _, err := login.NewLockout(nil, login.DefaultLockout, deviceKey[:31], time.Now); err == nil {
		t.Error("a 31-byte device key accepted")
	}
}

func TestHumanWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 30 * time.Second: "30 seconds", 1500 * time.Millisecond: "2 seconds",
		time.Minute: "1 minute", 90 * time.Second: "1 minute 30 seconds", 15 * time.Minute: "15 minutes",
	} {
		if got := login.HumanWait(d); got != want {
			t.Errorf("HumanWait(%v) = %q, want %q", d, got, want)
		}
	}
}

// The lockout check on the password step's hot path: one script run against a real Redis
// (check and count), plus the reset a success makes. Compare with BenchmarkAuthenticate
// (internal/store/postgres), one argon2id verification.
func BenchmarkLockout(b *testing.B) {
	l, err := login.NewLockout(testenv.RedisStore(b), login.DefaultLockout, deviceKey, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cookie := l.DeviceCookie("bench@example.com")
	b.Run("begin", func(b *testing.B) {
		for b.Loop() {
			a, err := l.Begin(ctx, "bench@example.com", cookie)
			if err != nil {
				b.Fatal(err)
			}
			if err := l.Succeeded(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("class", func(b *testing.B) {
		for b.Loop() {
			l.Class("bench@example.com", cookie)
		}
	})
}
