// Package kind is Sesame's error vocabulary: every error a caller may branch on carries a
// Kind, and each edge maps kinds once (the CLI's exit code, the OAuth error, the HTML page,
// the admin API's JSON). Domain packages declare sentinels with New; adapters mark
// dependency failures with Wrap(Unavailable, err).
package kind

import (
	"context"
	"errors"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds. Internal is the zero value: an error without a kind is Sesame's fault.
const (
	Internal    Kind = iota // a bug or an unexpected failure: 500, exit 1
	Invalid                 // the caller's input is wrong: 400, exit 2
	NotFound                // the thing named does not exist (or is not the caller's): 404, exit 2
	Conflict                // the thing exists, is taken, or was already used: 409, exit 2
	Forbidden               // the caller may not do this: 403, exit 1
	Unavailable             // PostgreSQL or Redis is down or too slow: 503 with Retry-After, exit 1
)

var names = [...]string{"internal", "invalid", "not_found", "conflict", "forbidden", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(names) {
		return names[k]
	}
	return "internal"
}

// sentinel is an error value with a kind, declared once by a domain package.
type sentinel struct {
	k   Kind
	msg string
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Kind() Kind    { return e.k }

// New returns a sentinel error of kind k: account.ErrNotFound = kind.New(kind.NotFound, "user not found").
func New(k Kind, msg string) error { return &sentinel{k: k, msg: msg} }

// wrapped gives err the kind k without changing its text.
type wrapped struct {
	k   Kind
	err error
}

func (e *wrapped) Error() string { return e.err.Error() }
func (e *wrapped) Unwrap() error { return e.err }
func (e *wrapped) Kind() Kind    { return e.k }

// Wrap returns err with kind k (nil stays nil): adapters mark a dependency failure with
// Wrap(Unavailable, err).
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &wrapped{k: k, err: err}
}

// Of returns the kind of the outermost error in err's chain that has one. A deadline that
// ran out is Unavailable (a dependency was too slow); any other error is Internal.
func Of(err error) Kind {
	var k interface{ Kind() Kind }
	switch {
	case err == nil:
		return Internal
	case errors.As(err, &k):
		return k.Kind()
	case errors.Is(err, context.DeadlineExceeded):
		return Unavailable
	}
	return Internal
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && Of(err) == k }
