package redis_test

import (
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/throttle"
)

// Limit is GCRA at the caller's time: a burst of Limit events passes at once, the next is
// refused until one event's interval has passed (Retry-After), only the first refusal of a
// burst is marked First, a check spends nothing, a refund gives one event back (never
// more than the full budget), and each key has its own budget.
func TestLimit(t *testing.T) {
	s, ctx, now := fixture(t)
	rate := throttle.Rate{Limit: 3, Period: time.Minute} // one event per 20 s
	type step struct {
		at        time.Duration // after now
		key       string
		op        throttle.Op
		allowed   bool
		retry     time.Duration
		first     bool
		rationale string
	}
	take, check, refund := throttle.OpTake, throttle.OpCheck, throttle.OpRefund
	steps := []step{
		{0, "a", check, true, 0, false, "a fresh budget has room"},
		{0, "a", take, true, 0, false, "1 of 3"},
		{0, "a", take, true, 0, false, "2 of 3"},
		{0, "a", check, true, 0, false, "a check spends nothing"},
		{0, "a", take, true, 0, false, "3 of 3"},
		{0, "a", check, false, 20 * time.Second, true, "a check past the budget is refused, the first of the burst"},
		{5 * time.Second, "a", take, false, 15 * time.Second, false, "refused again, not the first"},
		{5 * time.Second, "b", take, true, 0, false, "another key has its own budget"},
		{20 * time.Second, "a", take, true, 0, false, "one interval later, room for one"},
		{20 * time.Second, "a", take, false, 20 * time.Second, false, "a burst within a minute of the last reported: not reported again"},
		{2 * time.Minute, "a", take, true, 0, false, "a full period later"},
		{2 * time.Minute, "a", take, true, 0, false, "the budget refilled to its limit, not past it"},
		{2 * time.Minute, "a", take, true, 0, false, "3 of 3"},
		{2 * time.Minute, "a", take, false, 20 * time.Second, true, "and no more"},
		{2 * time.Minute, "a", refund, true, 0, false, "one given back"},
		{2 * time.Minute, "a", take, true, 0, false, "room for one again"},
		{2 * time.Minute, "a", take, false, 20 * time.Second, false, "and no more; reported a moment ago"},
		{2 * time.Minute, "c", refund, true, 0, false, "a refund to a full budget"},
		{2 * time.Minute, "c", take, true, 0, false, "1 of 3: the refund did not raise the budget"},
		{2 * time.Minute, "c", take, true, 0, false, "2 of 3"},
		{2 * time.Minute, "c", take, true, 0, false, "3 of 3"},
		{2 * time.Minute, "c", take, false, 20 * time.Second, true, "and no more"},
	}
	for i, st := range steps {
		d, err := s.Limit(ctx, "test:"+st.key, rate, now.Add(st.at), st.op)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		want := throttle.Decision{Allowed: st.allowed, RetryAfter: st.retry, First: st.first}
		if d != want {
			t.Errorf("step %d (%s): %+v, want %+v", i, st.rationale, d, want)
		}
	}
}

// A budget's key expires once the budget is full again, by time or by a refund, so idle
// subjects hold no memory.
func TestLimitExpires(t *testing.T) {
	s, c, prefix := storeAndClient(t)
	ctx, now := t.Context(), time.Now()
	if _, err := s.Limit(ctx, "test:x", throttle.Rate{Limit: 10, Period: time.Hour}, now, throttle.OpTake); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, prefix+"limit:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("limit keys = %v, %v; want one", keys, err)
	}
	ttl, err := c.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 5*time.Minute || ttl > 6*time.Minute {
		t.Errorf("TTL = %s, %v; want one event's interval, 6 min", ttl, err)
	}
	if _, err := s.Limit(ctx, "test:x", throttle.Rate{Limit: 10, Period: time.Hour}, now, throttle.OpRefund); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, keys[0]).Val(); n != 0 {
		t.Errorf("the key of a budget refunded to full still exists")
	}
}

// The cost of one limit decision (one EVALSHA round trip) on the request path.
func BenchmarkLimit(b *testing.B) {
	s := testenv.RedisStore(b)
	ctx, now := b.Context(), time.Now()
	rate := throttle.Rate{Limit: 1_000_000, Period: 24 * time.Hour}
	for b.Loop() {
		if _, err := s.Limit(ctx, "bench:x", rate, now, throttle.OpTake); err != nil {
			b.Fatal(err)
		}
	}
}
