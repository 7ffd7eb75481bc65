package redis

import (
	"context"
	"encoding/json"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/token"
)

// issueCode stores a code and, for a stored transaction, consumes it in the same script: a
// transaction yields one code however many callbacks race, and the whole issue is one
// round trip for a record already in hand.
var issueCode = goredis.NewScript(`
if ARGV[3] == '1' and redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
`)

// IssueCode stores the authorization a under code for token.CodeLifetime: for a login
// answered at once by a session, whose transaction was never stored.
func (s *Store) IssueCode(ctx context.Context, code string, a token.Authorization) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return s.issue(ctx, code, a, "0")
}

// FinishTransaction consumes the stored transaction a.GrantID and stores the authorization a
// under code, in one step; login.ErrExpired when the transaction was already gone (another
// callback issued its code).
func (s *Store) FinishTransaction(ctx context.Context, code string, a token.Authorization) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return s.issue(ctx, code, a, "1")
}

func (s *Store) issue(ctx context.Context, code string, a token.Authorization, consume string) error {
	b, err := json.Marshal(authorizationRecord(a))
	if err != nil {
		return err
	}
	// The grant, the client and the PKCE challenge lead the value, one line each, so the take
	// script can check who presents the code and name the grant in the used marker.
	head := a.GrantID + "\n" + a.ClientID + "\n" + a.CodeChallenge + "\n"
	n, err := issueCode.Run(ctx, s.c, []string{s.keys.transaction(a.GrantID), s.keys.code(code)},
		head+string(b), token.CodeLifetime.Milliseconds(), consume).Int()
	if err != nil {
		return fail("issue code", err)
	}
	if n == 0 {
		return login.ErrExpired
	}
	return nil
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
