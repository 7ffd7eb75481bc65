package redis

import (
	"encoding/hex"

	"github.com/sesameid/sesame/internal/secret"
)

// keys builds every Redis key Sesame uses, all under one prefix. Keys derived from a
// secret (codes, session IDs) use its SHA-256, so a copy of Redis holds no usable secret.
//
// Keys one script touches together share a hash tag, the part in braces, so they live in
// one hash slot and a Redis Cluster runs the script: a code and its used marker ({digest}),
// a grant's access-token index and its revoked flag ({grant}), the two failure counters of
// an email ({digest}: unlock deletes both at once). Every other command and
// MULTI touches one key. (A prefix with braces of its own would put every key in one slot.)
type keys struct{ prefix string }

func digest(s string) string { return hex.EncodeToString(secret.Digest(s)) }

func (k keys) transaction(id string) string     { return k.prefix + "tx:" + id }
func (k keys) code(code string) string          { return k.prefix + "code:{" + digest(code) + "}" }
func (k keys) usedCode(code string) string      { return k.prefix + "code-used:{" + digest(code) + "}" }
func (k keys) grantTokens(grant string) string  { return k.prefix + "grant-at:{" + grant + "}" }
func (k keys) grantRevoked(grant string) string { return k.prefix + "grant-revoked:{" + grant + "}" }
func (k keys) accessToken(id string) string     { return k.prefix + "at:" + id }
func (k keys) session(id string) string         { return k.sessionByDigest(digest(id)) }
func (k keys) sessionByDigest(d string) string  { return k.prefix + "sess:" + d }
func (k keys) userSessions(user string) string  { return k.prefix + "user-sessions:" + user }
func (k keys) userGrants(user string) string    { return k.prefix + "user-grants:" + user }
func (k keys) sessionGrants(id string) string   { return k.prefix + "sess-grants:" + digest(id) }
func (k keys) lockout(email string, class string) string {
	return k.prefix + "lockout:{" + digest(email) + "}:" + class
}
func (k keys) limit(key string) string { return k.prefix + "limit:" + digest(key) }
