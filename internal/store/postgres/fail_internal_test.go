package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sesameid/sesame/internal/kind"
)

// PostgreSQL down, too slow, out of connections or shutting down is Unavailable; a query
// that fails on a working server is Sesame's own failure.
func TestFailKinds(t *testing.T) {
	outage := []error{
		&net.OpError{Op: "dial", Err: errors.New("connection refused")},
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
		context.DeadlineExceeded,
		&pgconn.PgError{Code: "08006"}, // connection failure
		&pgconn.PgError{Code: "53300"}, // too many connections
		&pgconn.PgError{Code: "57P01"}, // admin shutdown
		&pgconn.PgError{Code: "57014"}, // statement timeout
	}
	for _, err := range outage {
		if got := kind.Of(fail("op", err)); got != kind.Unavailable {
			t.Errorf("fail(%v) is %s, want unavailable", err, got)
		}
	}
	for _, code := range []string{"23505", "42601", "22P02"} { // unique, syntax, bad input
		if got := kind.Of(fail("op", &pgconn.PgError{Code: code})); got != kind.Internal {
			t.Errorf("fail(SQLSTATE %s) is %s, want internal", code, got)
		}
	}
	if fail("op", nil) != nil {
		t.Error("fail(nil) != nil")
	}
	// A call its caller abandoned (the client hung up) is no outage, in each shape the
	// driver reports it: plain, from a dial, before the query was sent (safe to retry).
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	_, dialErr := new(net.Dialer).DialContext(canceled, "tcp", "127.0.0.1:1")
	for _, err := range []error{context.Canceled, dialErr, retryable{context.Canceled}} {
		if got := kind.Of(fail("op", err)); got == kind.Unavailable {
			t.Errorf("fail(%v) is unavailable: a caller that went away is no outage", err)
		}
	}
}

// retryable is how pgconn reports a call canceled before it was sent.
type retryable struct{ err error }

func (r retryable) Error() string     { return r.err.Error() }
func (r retryable) Unwrap() error     { return r.err }
func (r retryable) SafeToRetry() bool { return true }
