package redis

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/token"
)

// grantKeep is how long a grant's token list and revoked flag live: past the used-code
// marker and past any access token issued from the grant.
const grantKeep = token.UsedCodeLifetime + 24*time.Hour

// SaveAccessToken records an issued access token until it expires, under its grant when
// it has one, and reports whether that grant was already revoked (a replayed code raced
// the issue): the caller then revokes what it just issued.
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
	pipe := s.c.TxPipeline()
	pipe.Set(ctx, s.keys.accessToken(t.ID), b, ttl)
	var revoked *goredis.IntCmd
	if t.GrantID != "" {
		pipe.SAdd(ctx, s.keys.grantTokens(t.GrantID), t.ID)
		pipe.Expire(ctx, s.keys.grantTokens(t.GrantID), grantKeep)
		// A grant has a user: the index lets disabling the user reach every grant.
		pipe.SAdd(ctx, s.keys.userGrants(t.Subject), t.GrantID)
		pipe.Expire(ctx, s.keys.userGrants(t.Subject), grantKeep)
		revoked = pipe.Exists(ctx, s.keys.grantRevoked(t.GrantID))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fail("save access token", err)
	}
	return revoked != nil && revoked.Val() > 0, nil
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

// RevokeGrantAccessTokens marks a grant revoked and revokes every access token issued
// from it. The flag is set before the list is read, and SaveAccessToken adds to the list
// before it reads the flag, so a token issued concurrently is revoked by one side or the
// other.
func (s *Store) RevokeGrantAccessTokens(ctx context.Context, grantID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.c.Set(ctx, s.keys.grantRevoked(grantID), 1, grantKeep).Err(); err != nil {
		return fail("revoke grant", err)
	}
	ids, err := s.c.SMembers(ctx, s.keys.grantTokens(grantID)).Result()
	if err != nil {
		return fail("revoke grant", err)
	}
	if len(ids) == 0 {
		return nil
	}
	del := make([]string, len(ids))
	for i, id := range ids {
		del[i] = s.keys.accessToken(id)
	}
	return fail("revoke grant", s.c.Del(ctx, del...).Err())
}

// RevokeUserAccessTokens revokes the access tokens of every grant of a user (the user was
// disabled).
func (s *Store) RevokeUserAccessTokens(ctx context.Context, userID string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	grants, err := s.c.SMembers(ctx, s.keys.userGrants(userID)).Result()
	if err != nil {
		return fail("revoke user access tokens", err)
	}
	for _, g := range grants {
		if err := s.RevokeGrantAccessTokens(ctx, g); err != nil {
			return err
		}
	}
	return nil
}
