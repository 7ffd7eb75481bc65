package redis

import (
	"context"
	"errors"
	"slices"
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
// remaining absolute lifetime. A per-user index of session-ID digests (index.go), each
// scored with its session's absolute end, lets a password change or an admin end them all.
// The session and the index are different slots: each is written by commands of its own.

func ms(t time.Time) int64 { return t.UnixMilli() }

// CreateSession stores s, ending the session replaced ("" for none) first. The index comes
// first of all: a session that exists is always in its user's index, so ending a user's
// sessions never misses one (a failure after it leaves an index entry for nothing, pruned
// at its time).
func (s *Store) CreateSession(ctx context.Context, sess login.Session, replaced string, lt login.Lifetimes) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if _, err := s.addToIndex(ctx, s.keys.userSessions(sess.UserID), "", digest(sess.ID),
		sess.CreatedAt.Add(lt.Absolute), sess.CreatedAt); err != nil {
		return fail("create session", err)
	}
	if replaced != "" {
		if err := s.c.Del(ctx, s.keys.session(replaced)).Err(); err != nil {
			return fail("create session: end the replaced one", err)
		}
	}
	key := s.keys.session(sess.ID)
	pipe := s.c.TxPipeline()
	pipe.HSet(ctx, key, "u", sess.UserID, "o", sess.OrgID, "at", ms(sess.AuthTime),
		"st", strings.Join(steps(sess.Steps), ","), "c", ms(sess.CreatedAt), "ls", ms(sess.LastSeen))
	pipe.PExpire(ctx, key, min(lt.Idle, lt.Absolute))
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
	pipe := s.c.Pipeline()
	pipe.Del(ctx, s.keys.session(id))
	pipe.ZRem(ctx, s.keys.userSessions(userID), digest(id))
	_, err := pipe.Exec(ctx)
	return fail("delete session", err)
}

// DeleteUserSessions ends every session of userID: one DEL per session (each its own slot),
// and only the index entries read are removed, so a session created meanwhile stays listed.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	index := s.keys.userSessions(userID)
	ds, err := s.c.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return fail("delete user sessions", err)
	}
	if keep != "" {
		ds = slices.DeleteFunc(ds, func(d string) bool { return d == digest(keep) })
	}
	if len(ds) == 0 {
		return nil
	}
	pipe := s.c.Pipeline()
	members := make([]any, len(ds))
	for i, d := range ds {
		pipe.Del(ctx, s.keys.sessionByDigest(d))
		members[i] = d
	}
	pipe.ZRem(ctx, index, members...)
	_, err = pipe.Exec(ctx)
	return fail("delete user sessions", err)
}
