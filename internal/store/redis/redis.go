// Package redis is Sesame's Redis adapter for short-lived state (sessions, login
// transactions, authorization requests and codes, counters). Every key is built in keys.go
// and every write sets its TTL in the same command.
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/grant"
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
		return nil, errors.New("parse Redis URL: invalid")
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
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// getJSON reads the JSON value at key into a T; a missing key is grant.ErrNotFound.
func getJSON[T any](ctx context.Context, s *Store, key, what string) (T, error) {
	var v T
	b, err := s.c.Get(ctx, key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return v, grant.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
