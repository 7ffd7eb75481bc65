package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/grant"
)

// SaveAuthRequest stores (or replaces) a pending authorization request.
func (s *Store) SaveAuthRequest(ctx context.Context, r grant.AuthRequest) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ttl := time.Until(r.CreatedAt.Add(grant.RequestLifetime))
	if ttl <= 0 {
		return grant.ErrNotFound
	}
	if err := s.c.Set(ctx, s.keys.authRequest(r.ID), b, ttl).Err(); err != nil {
		return fmt.Errorf("save auth request: %w", err)
	}
	return nil
}

// AuthRequest returns the pending request with id.
func (s *Store) AuthRequest(ctx context.Context, id string) (grant.AuthRequest, error) {
	return getJSON[grant.AuthRequest](ctx, s, s.keys.authRequest(id), "auth request")
}

// DeleteAuthRequest forgets a request.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	return s.c.Del(ctx, s.keys.authRequest(id)).Err()
}

// SaveCode stores a copy of the completed request under its code for grant.CodeLifetime.
func (s *Store) SaveCode(ctx context.Context, code string, r grant.AuthRequest) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	// The request ID leads the value so the take script can name it in the used marker.
	return s.c.Set(ctx, s.keys.code(code), r.ID+"\n"+string(b), grant.CodeLifetime).Err()
}

// takeCode atomically takes a code and leaves a used marker naming its request; for a
// code already taken it returns the marker. One script, so no second caller can slip in
// between the take and the marker.
var takeCode = goredis.NewScript(`
local v = redis.call('GETDEL', KEYS[1])
if v then
  local nl = string.find(v, '\n', 1, true)
  redis.call('SET', KEYS[2], string.sub(v, 1, nl - 1), 'PX', ARGV[1])
  return {1, string.sub(v, nl + 1)}
end
local used = redis.call('GET', KEYS[2])
if used then return {2, used} end
return {0, ''}
`)

// TakeCode consumes a code: the first call gets its request; later calls get
// grant.ErrReused and the ID of the request whose tokens must now be revoked; an unknown
// or expired code gets grant.ErrNotFound.
func (s *Store) TakeCode(ctx context.Context, code string) (grant.AuthRequest, string, error) {
	var r grant.AuthRequest
	res, err := takeCode.Run(ctx, s.c, []string{s.keys.code(code), s.keys.usedCode(code)},
		grant.UsedCodeLifetime.Milliseconds()).Slice()
	if err != nil {
		return r, "", fmt.Errorf("take code: %w", err)
	}
	kind, _ := res[0].(int64)
	val, _ := res[1].(string)
	switch kind {
	case 1:
		if err := json.Unmarshal([]byte(val), &r); err != nil {
			return r, "", err
		}
		return r, r.ID, nil
	case 2:
		return r, val, grant.ErrReused
	}
	return r, "", grant.ErrNotFound
}
