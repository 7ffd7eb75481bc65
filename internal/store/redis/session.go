package redis

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/login"
)

var _ login.SessionStore = (*Store)(nil)

// A session is a hash (so a script can read and slide it without decoding JSON): u user,
// o organization, at auth_time, st the steps passed (comma-separated), c created and ls
// last seen, times in Unix milliseconds. Its TTL is the shorter of the idle and the
// remaining absolute lifetime. A per-user set of session-ID digests lets a password change
// or an admin end them all.

func ms(t time.Time) int64 { return t.UnixMilli() }

// CreateSession stores s, ending the session replaced ("" for none) in the same MULTI.
func (s *Store) CreateSession(ctx context.Context, sess login.Session, replaced string, lt login.Lifetimes) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ttl := min(lt.Idle, lt.Absolute)
	key := s.keys.session(sess.ID)
	pipe := s.c.TxPipeline()
	if replaced != "" {
		pipe.Del(ctx, s.keys.session(replaced))
	}
	pipe.HSet(ctx, key, "u", sess.UserID, "o", sess.OrgID, "at", ms(sess.AuthTime),
		"st", strings.Join(steps(sess.Steps), ","), "c", ms(sess.CreatedAt), "ls", ms(sess.LastSeen))
	pipe.PExpire(ctx, key, ttl)
	pipe.SAdd(ctx, s.keys.userSessions(sess.UserID), digest(sess.ID))
	pipe.PExpire(ctx, s.keys.userSessions(sess.UserID), lt.Absolute)
	if _, err := pipe.Exec(ctx); err != nil {
		return fail("create session", err)
	}
	return nil
}

// touchSession reads a session and slides its expiry in one atomic step: a session past its
// idle or absolute limit is deleted, and a session deleted by anyone else is simply absent,
// never written back.
var touchSession = goredis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'u', 'o', 'at', 'st', 'c', 'ls')
if not v[1] then return false end
local now, idle, abs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local created, seen = tonumber(v[5]), tonumber(v[6])
if now - created >= abs or now - seen >= idle then
  redis.call('DEL', KEYS[1])
  return false
end
if now > seen then
  redis.call('HSET', KEYS[1], 'ls', ARGV[1])
  v[6] = ARGV[1]
end
redis.call('PEXPIRE', KEYS[1], math.min(idle, created + abs - now))
return v
`)

// TouchSession returns the live session with id, its idle expiry slid to now.
func (s *Store) TouchSession(ctx context.Context, id string, now time.Time, lt login.Lifetimes) (login.Session, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := touchSession.Run(ctx, s.c, []string{s.keys.session(id)},
		ms(now), lt.Idle.Milliseconds(), lt.Absolute.Milliseconds()).StringSlice()
	if errors.Is(err, goredis.Nil) {
		return login.Session{}, login.ErrExpired
	}
	if err != nil {
		return login.Session{}, fail("touch session", err)
	}
	if len(v) != 6 {
		return login.Session{}, errors.New("touch session: malformed record")
	}
	at := func(s string) time.Time {
		n, _ := strconv.ParseInt(s, 10, 64)
		return time.UnixMilli(n)
	}
	sess := login.Session{ID: id, UserID: v[0], OrgID: v[1], AuthTime: at(v[2]), CreatedAt: at(v[4]), LastSeen: at(v[5])}
	if v[3] != "" {
		sess.Steps = loginSteps(strings.Split(v[3], ","))
	}
	return sess, nil
}

// DeleteSession ends one session of userID.
func (s *Store) DeleteSession(ctx context.Context, id, userID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.c.TxPipeline()
	pipe.Del(ctx, s.keys.session(id))
	pipe.SRem(ctx, s.keys.userSessions(userID), digest(id))
	_, err := pipe.Exec(ctx)
	return fail("delete session", err)
}

// DeleteUserSessions ends every session of userID.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	set := s.keys.userSessions(userID)
	ds, err := s.c.SMembers(ctx, set).Result()
	if err != nil {
		return fail("delete user sessions", err)
	}
	del := []string{set}
	for _, d := range ds {
		del = append(del, s.keys.sessionByDigest(d))
	}
	return fail("delete user sessions", s.c.Del(ctx, del...).Err())
}
