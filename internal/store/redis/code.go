package redis

import (
	"context"
	"encoding/json"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/token"
)

// IssueCode stores the authorization a under code for token.CodeLifetime: for a login
// answered at once by a session, whose transaction was never stored.
func (s *Store) IssueCode(ctx context.Context, code string, a token.Authorization) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := codeValue(a)
	if err != nil {
		return err
	}
	return fail("issue code", s.c.Set(ctx, s.keys.code(code), v, token.CodeLifetime).Err())
}

// FinishTransaction consumes the stored transaction a.GrantID, then stores the authorization
// a under code; login.ErrExpired when the transaction was already gone (another callback
// issued its code). The DEL decides: of callbacks racing, one deletes the transaction and
// issues a code. (Two commands, as the transaction and the code are different hash slots;
// should the second fail, the login is over and the user starts again: nothing is issued.)
func (s *Store) FinishTransaction(ctx context.Context, code string, a token.Authorization) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := codeValue(a)
	if err != nil {
		return err
	}
	n, err := s.c.Del(ctx, s.keys.transaction(a.GrantID)).Result()
	if err != nil {
		return fail("issue code: consume the transaction", err)
	}
	if n == 0 {
		return login.ErrExpired
	}
	return fail("issue code", s.c.Set(ctx, s.keys.code(code), v, token.CodeLifetime).Err())
}

// codeValue is what a code stores. The grant, the client and the PKCE challenge lead it, one
// line each, so the take script can check who presents the code and name the grant in the
// used marker.
func codeValue(a token.Authorization) (string, error) {
	b, err := json.Marshal(authorizationRecord(a))
	if err != nil {
		return "", err
	}
	return a.GrantID + "\n" + a.ClientID + "\n" + a.CodeChallenge + "\n" + string(b), nil
}

// takeCode atomically takes a code presented by its own client with its own PKCE challenge
// and leaves a used marker naming its grant and client; a code presented by anyone else is
// left as it is (state 3). For a code already taken, only its own client learns the grant
// (state 2, so the grant is revoked); anyone else hears "unknown". One script, so no second
// caller can slip in between the take and the marker.
var takeCode = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local a = string.find(v, '\n', 1, true)
  local b = string.find(v, '\n', a + 1, true)
  local c = string.find(v, '\n', b + 1, true)
  if string.sub(v, a + 1, b - 1) ~= ARGV[2] or string.sub(v, b + 1, c - 1) ~= ARGV[3] then
    return {3, ''}
  end
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], string.sub(v, 1, b - 1), 'PX', ARGV[1])
  return {1, string.sub(v, c + 1)}
end
local used = redis.call('GET', KEYS[2])
if used then
  local a = string.find(used, '\n', 1, true)
  if string.sub(used, a + 1) == ARGV[2] then return {2, string.sub(used, 1, a - 1)} end
end
return {0, ''}
`)

// TakeCode consumes a code for clientID presenting a verifier whose S256 is challenge: the
// first such call gets its authorization; later calls by the same client get
// token.ErrReused and the ID of the grant whose tokens must now be revoked; an unknown or
// expired code, or one presented by another client or with another verifier (left
// untouched), gets token.ErrNotFound.
func (s *Store) TakeCode(ctx context.Context, code, clientID, challenge string) (token.Authorization, string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	res, err := takeCode.Run(ctx, s.c, []string{s.keys.code(code), s.keys.usedCode(code)},
		token.UsedCodeLifetime.Milliseconds(), clientID, challenge).Slice()
	if err != nil {
		return token.Authorization{}, "", fail("take code", err)
	}
	state, _ := res[0].(int64)
	val, _ := res[1].(string)
	switch state {
	case 1:
		var r codeRecord
		if err := json.Unmarshal([]byte(val), &r); err != nil {
			return token.Authorization{}, "", err
		}
		return r.domain(), r.GrantID, nil
	case 2:
		return token.Authorization{}, val, token.ErrReused
	}
	return token.Authorization{}, "", token.ErrNotFound
}
