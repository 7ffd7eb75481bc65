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
	if fail("x", nil) != nil {
		t.Error("fail(nil) != nil")
	}
	for name, tt := range map[string]struct {
		err  error
		want kind.Kind
	}{
		"connection refused": {&net.OpError{Op: "dial", Err: errors.New("connection refused")}, kind.Unavailable},
		"dropped connection": {fmt.Errorf("read: %w", io.ErrUnexpectedEOF), kind.Unavailable},
		"deadline":           {context.DeadlineExceeded, kind.Unavailable},
		"connection failure": {&pgconn.PgError{Code: "08006"}, kind.Unavailable},
		"too many clients":   {&pgconn.PgError{Code: "53300"}, kind.Unavailable},
		"admin shutdown":     {&pgconn.PgError{Code: "57P01"}, kind.Unavailable},
		"unique violation":   {&pgconn.PgError{Code: "23505"}, kind.Internal},
		"syntax error":       {&pgconn.PgError{Code: "42601"}, kind.Internal},
		"statement timeout":  {&pgconn.PgError{Code: "57014"}, kind.Unavailable},
	} {
		if got := kind.Of(fail("op", tt.err)); got != tt.want {
			t.Errorf("%s: kind %s, want %s", name, got, tt.want)
		}
	}
}
