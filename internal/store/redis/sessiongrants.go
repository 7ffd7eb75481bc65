package redis

import (
	"context"
	"time"
)

// A set per session lists the grants (authorizations) issued through it, so that ending the
// session (RP-Initiated Logout) revokes their access tokens. Keyed by the session ID's
// digest, like the session; it may outlive the session briefly (its own TTL).

// AddSessionGrant records that grantID was issued through session id.
func (s *Store) AddSessionGrant(ctx context.Context, id, grantID string, keep time.Duration) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	key := s.keys.sessionGrants(id)
	pipe := s.c.Pipeline() // one round trip; the two need no atomicity (a lost TTL is re-set)
	pipe.SAdd(ctx, key, grantID)
	pipe.PExpire(ctx, key, keep)
	_, err := pipe.Exec(ctx)
	return fail("add session grant", err)
}

// TakeSessionGrants returns the grants issued through session id and forgets them.
func (s *Store) TakeSessionGrants(ctx context.Context, id string) ([]string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	key := s.keys.sessionGrants(id)
	pipe := s.c.TxPipeline()
	members := pipe.SMembers(ctx, key)
	pipe.Del(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fail("take session grants", err)
	}
	return members.Val(), nil
}
