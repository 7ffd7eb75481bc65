package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// An index is a sorted set naming the records of one owner (a user's sessions, a grant's
// access tokens, a user's grants), each scored with the Unix millisecond it expires at (a
// grant: its latest token's expiry; a score only ever grows). Adding to it prunes the
// members already expired and sets its TTL to the longest member's remaining life, so an
// index neither grows without bound nor outlives what it names.

// indexAdd adds ARGV[1] expiring at ARGV[2] to the index KEYS[1], prunes what expired by
// ARGV[3] (now), sets the TTL, and returns whether KEYS[2] (a flag of the same hash tag,
// when given) exists: in the same step, so a revocation setting the flag is seen by one side
// or the other.
var indexAdd = goredis.NewScript(`
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], tonumber(last[2]) - tonumber(ARGV[3]))
if KEYS[2] then return redis.call('EXISTS', KEYS[2]) end
return 0
`)

// addToIndex runs indexAdd; flag is "" for none. expires is after now (the callers'
// records are live), so the index keeps at least the member added.
func (s *Store) addToIndex(ctx context.Context, index, flag, member string, expires, now time.Time) (flagged bool, err error) {
	ks := []string{index}
	if flag != "" {
		ks = append(ks, flag)
	}
	n, err := indexAdd.Run(ctx, s.c, ks, member, ms(expires), ms(now)).Int()
	return n == 1, err
}
