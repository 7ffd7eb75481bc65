package redis

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/token"
)

// grantKeep is how long a grant's revoked flag lives: past the used-code marker and past
// any access token issued from the grant.
const grantKeep = token.UsedCodeLifetime + 24*time.Hour

// SaveAccessToken records an issued access token until it expires and, when it has a grant,
// lists the grant in its user's index and the token in the grant's (index.go), and reports
// whether that grant was already revoked (a replayed code raced the issue): the caller then
// revokes what it just issued. The record is written before the grant's index is: whatever
// a revocation finds in the index exists already, so it is deleted, not written after.
func (s *Store) SaveAccessToken(ctx context.Context, t token.AccessToken, now time.Time) (grantRevoked bool, err error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ttl := t.ExpiresAt.Sub(now)
	if ttl <= 0 {
		return false, errors.New("save access token: already expired")
	}
	b, err := json.Marshal(accessTokenRecord(t))
	if err != nil {
		return false, err
	}
	if err := s.c.Set(ctx, s.keys.accessToken(t.ID), b, ttl).Err(); err != nil {
		return false, fail("save access token", err)
	}
	if t.GrantID == "" {
		return false, nil
	}
	// A grant has a user: this index lets disabling the user reach every grant with a live
	// token (a grant is scored with its latest token's expiry).
	if _, err := s.addToIndex(ctx, s.keys.userGrants(t.Subject), "", t.GrantID, t.ExpiresAt, now); err != nil {
		return false, fail("save access token", err)
	}
	revoked, err := s.addToIndex(ctx, s.keys.grantTokens(t.GrantID), s.keys.grantRevoked(t.GrantID), t.ID, t.ExpiresAt, now)
	if err != nil {
		return false, fail("save access token", err)
	}
	return revoked, nil
}

// AccessToken returns the record of a live, unrevoked access token, or token.ErrNotFound.
func (s *Store) AccessToken(ctx context.Context, id string) (token.AccessToken, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	r, err := getJSON[accessRecord](ctx, s, s.keys.accessToken(id), "access token", token.ErrNotFound)
	if err != nil {
		return token.AccessToken{}, err
	}
	return r.domain(id), nil
}

// RevokeAccessToken forgets an access token: introspection and userinfo refuse it after.
func (s *Store) RevokeAccessToken(ctx context.Context, id string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return fail("revoke access token", s.c.Del(ctx, s.keys.accessToken(id)).Err())
}

// revokeGrant marks a grant revoked and returns its index's members, in one step.
var revokeGrant = goredis.NewScript(`
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('ZRANGE', KEYS[2], 0, -1)
`)

// RevokeGrantAccessTokens marks a grant revoked and revokes every access token issued
// from it. The flag is set as the index is read, and SaveAccessToken adds to the index as
// it reads the flag, so a token issued concurrently is revoked by one side or the other.
func (s *Store) RevokeGrantAccessTokens(ctx context.Context, grantID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return fail("revoke grant", s.revokeGrants(ctx, []string{grantID}))
}

// RevokeIssuedAccessTokens revokes the access tokens issued from a grant so far and leaves
// the grant alone: its refresh token (offline_access) goes on issuing new ones, which is
// what an RP-Initiated Logout needs (OpenID Connect Core §11). RevokeGrantAccessTokens
// also marks the grant revoked, and a grant so marked revokes whatever it issues next,
// refresh tokens included.
func (s *Store) RevokeIssuedAccessTokens(ctx context.Context, grantID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ids, err := s.c.ZRange(ctx, s.keys.grantTokens(grantID), 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return fail("revoke issued access tokens", err)
	}
	pipe := s.c.Pipeline()
	for _, id := range ids {
		pipe.Del(ctx, s.keys.accessToken(id)) // each record is its own slot
	}
	_, err = pipe.Exec(ctx)
	return fail("revoke issued access tokens", err)
}

// RevokeUserAccessTokens revokes the access tokens of every grant of a user (the user was
// disabled).
func (s *Store) RevokeUserAccessTokens(ctx context.Context, userID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	grants, err := s.c.ZRange(ctx, s.keys.userGrants(userID), 0, -1).Result()
	if err != nil {
		return fail("revoke user access tokens", err)
	}
	return fail("revoke user access tokens", s.revokeGrants(ctx, grants))
}

// revokeGrants runs revokeGrant for each grant, then deletes every token they list, one DEL
// per token (each record is its own slot): two round trips however many grants.
func (s *Store) revokeGrants(ctx context.Context, grants []string) error {
	pipe := s.c.Pipeline()
	lists := make([]*goredis.Cmd, len(grants))
	for i, g := range grants {
		// EVAL, not EVALSHA: a pipeline cannot fall back when the script is not cached.
		lists[i] = revokeGrant.Eval(ctx, pipe, []string{s.keys.grantRevoked(g), s.keys.grantTokens(g)}, grantKeep.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	pipe = s.c.Pipeline()
	for _, l := range lists {
		ids, err := l.StringSlice()
		if err != nil {
			return err
		}
		for _, id := range ids {
			pipe.Del(ctx, s.keys.accessToken(id))
		}
	}
	_, err := pipe.Exec(ctx)
	return err
}
