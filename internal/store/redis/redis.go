// Package redis is Sesame's Redis adapter for short-lived state: login transactions,
// browser sessions, authorization codes and access-token records. Every key is built in
// keys.go, every write sets its TTL in the same command, the stored formats are this
// package's private record types (records.go), and every TTL is computed from the caller's
// clock.
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/kind"
)

// Store implements the domain's short-lived state over a Redis UniversalClient, so a single
// server, Sentinel or Cluster all work.
type Store struct {
	c    goredis.UniversalClient
	keys keys
}

// New returns a Store over c whose keys all start with prefix.
func New(c goredis.UniversalClient, prefix string) *Store {
	return &Store{c: c, keys: keys{prefix: prefix}}
}

// Connect returns a UniversalClient for url (redis:// or rediss://). Errors never quote
// url, which may carry a password.
func Connect(url string) (goredis.UniversalClient, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, kind.Wrap(kind.Invalid, errors.New("parse Redis URL: invalid"))
	}
	return goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:     []string{o.Addr},
		DB:        o.DB,
		Username:  o.Username,
		Password:  o.Password,
		TLSConfig: o.TLSConfig,
		Protocol:  o.Protocol,
	}), nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	return fail("redis ping", s.c.Ping(ctx).Err())
}

// fail wraps err with what failed. Anything but an error reply from a working server
// (a refused or dropped connection, a timeout, an exhausted pool, a server loading or
// failing over) is kind.Unavailable, so every edge answers "try again later".
func fail(what string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %w", what, err)
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
