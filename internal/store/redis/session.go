package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesameid/sesame/internal/grant"
)

// CreateSession stores a new session; its TTL is the shorter of the idle and absolute
// limits. The user's set of sessions lets a password change or an admin end them all.
func (s *Store) CreateSession(ctx context.Context, sess grant.Session, lt grant.SessionLifetimes) error {
	return s.putSession(ctx, sess, lt)
}

func (s *Store) putSession(ctx context.Context, sess grant.Session, lt grant.SessionLifetimes) error {
	ttl := min(lt.Idle, time.Until(sess.CreatedAt.Add(lt.Absolute)))
	if ttl <= 0 {
		return grant.ErrNotFound
	}
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	pipe := s.c.TxPipeline()
	pipe.Set(ctx, s.keys.session(sess.ID), b, ttl)
	pipe.SAdd(ctx, s.keys.userSessions(sess.UserID), digest(sess.ID))
	pipe.Expire(ctx, s.keys.userSessions(sess.UserID), lt.Absolute)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// TouchSession returns a live session and slides its idle expiry (never past the absolute one).
func (s *Store) TouchSession(ctx context.Context, id string, lt grant.SessionLifetimes, now time.Time) (grant.Session, error) {
	sess, err := getJSON[grant.Session](ctx, s, s.keys.session(id), "session")
	if err != nil {
		return sess, err
	}
	sess.ID = id
	if now.Sub(sess.CreatedAt) >= lt.Absolute || now.Sub(sess.LastSeen) >= lt.Idle {
		_ = s.DeleteSession(ctx, id, sess.UserID)
		return grant.Session{}, grant.ErrNotFound
	}
	sess.LastSeen = now
	if err := s.putSession(ctx, sess, lt); err != nil {
		return grant.Session{}, err
	}
	return sess, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id, userID string) error {
	pipe := s.c.TxPipeline()
	pipe.Del(ctx, s.keys.session(id))
	if userID != "" {
		pipe.SRem(ctx, s.keys.userSessions(userID), digest(id))
	}
	_, err := pipe.Exec(ctx)
	return err
}
