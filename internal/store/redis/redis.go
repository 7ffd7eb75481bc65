// Package redis is Sesame's Redis adapter for short-lived state: login transactions,
// browser sessions, authorization codes and access-token records. Every key is built in
// keys.go, every write sets its TTL in the same command, the indexes of a user's sessions
// and grants and of a grant's tokens are pruned as they grow (index.go), the stored formats
// are this package's private record types (records.go), and every TTL is computed from the
// caller's clock.
//
// What is supported, exactly: Connect opens one Redis server (6.2 or later, for ZADD GT;
// the tests run 7), at a redis:// URL, or a rediss:// one for TLS 1.2 or later with the
// server's certificate verified against the system's roots for the URL's host (skip_verify
// is refused; TestConnectTLS). A managed primary that fails over behind one address is such
// a server. Sentinel and Cluster need a client of their kind, which no URL selects yet; the
// Store itself runs on any UniversalClient, a Cluster's included: the keys one script
// touches share a hash tag, and every other command or MULTI touches one slot (TestCluster
// runs every method on a one-node Cluster).
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/kind"
)

// Store implements the domain's short-lived state over a Redis client. Every method bounds
// its commands with the store's deadline (call), so a stalled Redis fails a request with
// kind.Unavailable after that long instead of holding it.
type Store struct {
	c       goredis.UniversalClient
	keys    keys
	timeout time.Duration
}

// New returns a Store over c whose keys all start with prefix and whose every method gives
// Redis at most timeout (positive) to answer.
func New(c goredis.UniversalClient, prefix string, timeout time.Duration) *Store {
	return &Store{c: c, keys: keys{prefix: prefix}, timeout: timeout}
}

// call returns ctx bounded by the store's deadline: the first line of every method.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Connect returns a client for the one Redis server at url: redis://, or rediss:// for TLS
// (at least 1.2, the server's certificate verified against the system's roots for the URL's
// host). Dialing, each read and write, and the wait for a pooled connection are bounded by
// timeout, and a context's deadline reaches the socket (ContextTimeoutEnabled), so no
// command outlives its caller's deadline. Errors never quote url, which may carry a
// password.
func Connect(url string, timeout time.Duration) (goredis.UniversalClient, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, kind.Wrap(kind.Invalid, errors.New("parse Redis URL: invalid"))
	}
	if o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify {
		return nil, kind.Wrap(kind.Invalid, errors.New("Redis URL: skip_verify would accept any certificate; Sesame verifies Redis's"))
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
	o.ContextTimeoutEnabled = true
	return goredis.NewClient(o), nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return fail("redis ping", s.c.Ping(ctx).Err())
}

// fail wraps err with what failed. Anything but an error reply from a working server
// (a refused or dropped connection, a timeout, an exhausted pool, a server loading or
// failing over) is kind.Unavailable, so every edge answers "try again later". A call
// abandoned because its caller went away (the request's context canceled: the client hung
// up) is no outage and keeps no kind.
func fail(what string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %w", what, err)
	if errors.Is(err, context.Canceled) {
		return err
	}
	var reply goredis.Error
	if errors.As(err, &reply) {
		for _, busy := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY"} {
			if strings.HasPrefix(reply.Error(), busy) {
				return kind.Wrap(kind.Unavailable, err)
			}
		}
		return err
	}
	return kind.Wrap(kind.Unavailable, err)
}

// getJSON reads the JSON record at key into a T; a missing key is notFound.
func getJSON[T any](ctx context.Context, s *Store, key, what string, notFound error) (T, error) {
	var v T
	b, err := s.c.Get(ctx, key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return v, notFound
	}
	if err != nil {
		return v, fail(what, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
