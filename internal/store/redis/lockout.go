package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/login"
)

var _ login.LockoutStore = (*Store)(nil)

// lockoutRetention is how long a failure counter outlives its last failure (and its delay):
// a day without failures starts the count afresh.
const lockoutRetention = 24 * time.Hour

// countAttempt is the check-and-count, one script so that no attempt slips between the
// check and the count: KEYS[1] the class's counters (hash: n<device> failures, u<device>
// delay end in ms; the unknown class has the one device ""); ARGV now ms, threshold, delay
// ms, max delay ms, retention ms, device. Returns {wait ms, n, started delay ms}: wait > 0
// refuses the attempt and counts nothing.
var countAttempt = goredis.NewScript(`
local now = tonumber(ARGV[1])
local fn, fu = 'n' .. ARGV[6], 'u' .. ARGV[6]
local v = redis.call('HMGET', KEYS[1], fn, fu)
local n, u = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if u > now then return {u - now, n, 0} end
n = n + 1
local d = 0
local threshold = tonumber(ARGV[2])
if n >= threshold then
  d = math.min(tonumber(ARGV[3]) * 2 ^ math.min(n - threshold, 62), tonumber(ARGV[4]))
  u = now + d
end
redis.call('HSET', KEYS[1], fn, n, fu, u)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) + d)
return {0, n, d}
`)

// CountAttempt checks and counts one password attempt of email in class (login.LockoutStore).
func (s *Store) CountAttempt(ctx context.Context, email string, class login.Class, device string, r login.LockoutRule, now time.Time) (login.Count, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := countAttempt.Run(ctx, s.c, []string{s.keys.lockout(email, string(class))},
		now.UnixMilli(), r.Threshold, r.Delay.Milliseconds(), r.MaxDelay.Milliseconds(), lockoutRetention.Milliseconds(), device).Int64Slice()
	if err != nil {
		return login.Count{}, fail("count sign-in attempt", err)
	}
	return login.Count{Wait: time.Duration(v[0]) * time.Millisecond, Failures: int(v[1]), Delay: time.Duration(v[2]) * time.Millisecond}, nil
}

// ResetAttempts forgets the failures of one counter of email (one device's, for the known
// class).
func (s *Store) ResetAttempts(ctx context.Context, email string, class login.Class, device string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return fail("reset sign-in failures", s.c.HDel(ctx, s.keys.lockout(email, string(class)), "n"+device, "u"+device).Err())
}

// ClearAttempts forgets the failures of email in both classes, in one command (the two
// counters share a hash tag).
func (s *Store) ClearAttempts(ctx context.Context, email string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return fail("clear sign-in failures", s.c.Del(ctx,
		s.keys.lockout(email, string(login.ClassKnown)), s.keys.lockout(email, string(login.ClassUnknown))).Err())
}
