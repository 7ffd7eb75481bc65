// Package sms sends text messages: an HTTP provider speaking the widely used Messages REST
// API shape, and a log provider for development. It also owns the phone-number rule
// (E.164). The consumer declares the Sender interface it needs; this package provides
// concrete types only.
package sms

import (
	"strings"

	"github.com/sesameid/sesame/internal/kind"
)

// Message is one text message. Body may hold a one-time code: it is never logged by HTTP
// nor quoted in an error.
type Message struct {
	To   string // E.164, e.g. +447700900123
	Body string
}

// MaxBody bounds a message body (in bytes): ten concatenated SMS segments at most.
const MaxBody = 1600

// maxPhoneInput bounds what NormalizePhone reads: a 15-digit number with generous
// separators.
const maxPhoneInput = 32

// ErrPhone is the error of a phone number that is not E.164.
var ErrPhone = kind.New(kind.Invalid, "phone number must be in international format: + then the country code and number, 8 to 15 digits")

// ValidE164 reports whether s is an E.164 number: '+', then 8 to 15 digits, the first not 0.
func ValidE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizePhone returns s as E.164, with the spaces, hyphens, dots and parentheses people
// type between digits removed; anything else (letters, a missing '+', a national number)
// is ErrPhone.
func NormalizePhone(s string) (string, error) {
	if len(s) > maxPhoneInput {
		return "", ErrPhone
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' || c >= '0' && c <= '9': // a '+' elsewhere than first fails ValidE164
			b.WriteByte(c)
		default:
			return "", ErrPhone
		}
	}
	if n := b.String(); ValidE164(n) {
		return n, nil
	}
	return "", ErrPhone
}
