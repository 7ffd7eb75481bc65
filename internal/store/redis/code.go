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

// IssueCode stores the authorization a under code for token.CodeLifetime. When stored is
// true the transaction a.GrantID is consumed at the same time, and login.ErrExpired
// returned if it was already gone (another callback issued its code).
func (s *Store) IssueCode(ctx context.Context, code string, a token.Authorization, stored bool) error {
	b, err := json.Marshal(authorizationRecord(a))
	if err != nil {
		return err
	}
	flag := "0"
	if stored {
		flag = "1"
	}
	// The grant ID leads the value so the take script can name it in the used marker.
	n, err := issueCode.Run(ctx, s.c, []string{s.keys.transaction(a.GrantID), s.keys.code(code)},
		a.GrantID+"\n"+string(b), token.CodeLifetime.Milliseconds(), flag).Int()
	if err != nil {
		return fail("issue code", err)
	}
	if n == 0 {
		return login.ErrExpired
	}
	return nil
}

// takeCode atomically takes a code and leaves a used marker naming its grant; for a code
// already taken it returns the marker. One script, so no second caller can slip in between
// the take and the marker.
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

// TakeCode consumes a code: the first call gets its authorization; later calls get
// token.ErrReused and the ID of the grant whose tokens must now be revoked; an unknown or
// expired code gets token.ErrNotFound.
func (s *Store) TakeCode(ctx context.Context, code string) (token.Authorization, string, error) {
	res, err := takeCode.Run(ctx, s.c, []string{s.keys.code(code), s.keys.usedCode(code)},
		token.UsedCodeLifetime.Milliseconds()).Slice()
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
