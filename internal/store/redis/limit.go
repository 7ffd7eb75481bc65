package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/throttle"
)

// gcraScript decides one event of a budget by GCRA, at the caller's time (ARGV[1], ms) rather
// than Redis's, so tests drive it with their clock. KEYS[1] is a hash: tat, the theoretical
// arrival time of the next event (ms), and over, the time (ms) of the last refusal reported
// as first: a refusal is reported (and logged by the caller) when none was for a minute, so a
// sustained flood that keeps refilling and draining the budget logs one line a minute, not
// one per refill. ARGV: now, the interval of one event (ms), the period (the burst
// tolerance, ms), the cost (1: spend the event when it fits; 0: only check; -1: give one
// event back). An event fits when the tat it would push to is at most one period ahead.
// Returns {allowed, retry after (ms), first refusal}.
var gcraScript = goredis.NewScript(`
local now, interval, period, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or now
if tat < now then tat = now end
if cost < 0 then
  -- a budget full again expires at once (PEXPIRE of 0 or less deletes the key)
  redis.call('HSET', KEYS[1], 'tat', tat - interval)
  redis.call('PEXPIRE', KEYS[1], tat - interval - now)
  return {1, 0, 0}
end
local next = tat + interval
if next - now > period then
  local over = tonumber(redis.call('HGET', KEYS[1], 'over'))
  local first = 0
  if not over or now - over >= 60000 then
    redis.call('HSET', KEYS[1], 'over', now)
    first = 1
  end
  return {0, next - now - period, first}
end
if cost > 0 then
  redis.call('HSET', KEYS[1], 'tat', next)
  redis.call('PEXPIRE', KEYS[1], next - now)
end
return {1, 0, 0}
`)

// Limit decides one event of key's budget at rate (throttle.Store): atomic per key, by one
// script. The key lives as long as its budget is not full again.
func (s *Store) Limit(ctx context.Context, key string, rate throttle.Rate, now time.Time, op throttle.Op) (throttle.Decision, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	res, err := gcraScript.Run(ctx, s.c, []string{s.keys.limit(key)},
		now.UnixMilli(), rate.Interval().Milliseconds(), rate.Period.Milliseconds(), int(op)).Int64Slice()
	if err != nil {
		return throttle.Decision{}, fail("rate limit", err)
	}
	if len(res) != 3 {
		return throttle.Decision{}, errors.New("rate limit: unexpected script reply")
	}
	return throttle.Decision{Allowed: res[0] == 1, RetryAfter: time.Duration(res[1]) * time.Millisecond, First: res[2] == 1}, nil
}
