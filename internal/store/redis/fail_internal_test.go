package redis

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/sesameid/sesame/internal/kind"
)

// reply is an error reply from a working server, as go-redis reports one.
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

// A server that cannot serve (down, too slow, loading, failing over) is Unavailable; an error
// reply from a working server is Sesame's own failure.
func TestFailKinds(t *testing.T) {
	if fail("x", nil) != nil {
		t.Error("fail(nil) != nil")
	}
	for name, tt := range map[string]struct {
		err  error
		want kind.Kind
	}{
		"connection refused": {&net.OpError{Op: "dial", Err: errors.New("connection refused")}, kind.Unavailable},
		"deadline":           {context.DeadlineExceeded, kind.Unavailable},
		"loading":            {reply("LOADING Redis is loading the dataset in memory"), kind.Unavailable},
		"read-only replica":  {reply("READONLY You can't write against a read only replica."), kind.Unavailable},
		"failing over":       {reply("MASTERDOWN Link with MASTER is down"), kind.Unavailable},
		"script error":       {reply("ERR Error running script"), kind.Internal},
		"wrong type":         {reply("WRONGTYPE Operation against a key holding the wrong kind of value"), kind.Internal},
		// A call its caller abandoned (the client hung up) is no outage.
		"canceled": {context.Canceled, kind.Internal},
	} {
		if got := kind.Of(fail("op", tt.err)); got != tt.want {
			t.Errorf("%s: kind %s, want %s", name, got, tt.want)
		}
	}
}
