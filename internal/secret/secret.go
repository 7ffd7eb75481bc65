// Package secret owns server-generated secrets: 256-bit random tokens, their SHA-256
// digests, constant-time comparison, and a Secret type that redacts itself wherever it
// could be printed or logged.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
)

// Redacted is what a Secret prints in place of its value.
const Redacted = "[redacted]"

// Secret holds a sensitive string (password, token, key). Its String, GoString,
// LogValue, Format and MarshalJSON methods print Redacted; Reveal returns the value.
type Secret struct{ v string }

// New wraps s.
func New(s string) Secret { return Secret{v: s} }

// Reveal returns the wrapped value. Call it only where the value is used, never to log.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer, so %#v redacts too.
func (s Secret) GoString() string { return Redacted }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Token returns 256 random bits, base64url-encoded without padding (43 characters).
func Token() Secret {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return Secret{v: base64.RawURLEncoding.EncodeToString(b[:])}
}

// Digest returns the SHA-256 of s: how server-generated secrets are stored.
func Digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// Equal compares a and b in constant time (for equal lengths).
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Matches reports whether presented hashes to digest, in constant time.
func Matches(presented string, digest []byte) bool { return Equal(Digest(presented), digest) }

// S256 returns the PKCE S256 challenge of verifier: base64url of its SHA-256, unpadded
// (RFC 7636 §4.2).
func S256(verifier string) string {
	d := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(d[:])
}
