// Package postgres is Sesame's PostgreSQL adapter: one Store over a pgx pool, one file per
// aggregate, plain SQL beside the method that runs it, and translation of driver errors
// into the domain's sentinels and kinds. Every time it writes comes from the caller's
// clock, never from the database's now().
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesameid/sesame/internal/kind"
)

// Store implements the domain packages' Store interfaces over PostgreSQL. Every method
// bounds its calls with the store's deadline (call), so a stalled database fails a request
// with kind.Unavailable after that long instead of holding it.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration
}

// New returns a Store over pool whose every method gives PostgreSQL at most timeout
// (positive) to answer.
func New(pool *pgxpool.Pool, timeout time.Duration) *Store {
	return &Store{pool: pool, timeout: timeout}
}

// call returns ctx bounded by the store's deadline: the first line of every method.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Connect opens a pool on url with at most maxConns connections, each connection attempt
// and the first ping bounded by timeout, and checks it answers. Errors never quote url,
// which may carry a password.
func Connect(ctx context.Context, url string, maxConns int32, timeout time.Duration) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, kind.Wrap(kind.Invalid, errors.New("parse database URL: invalid"))
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.ConnectTimeout = timeout
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fail("open database pool", redact(err))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fail("connect to database", redact(err))
	}
	return pool, nil
}

// redact drops connection-string details that pgconn may include.
func redact(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return errors.Unwrap(ce)
	}
	return err
}

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return fail("postgres ping", s.pool.Ping(ctx))
}

// fail wraps err with what failed and, when PostgreSQL could not be reached, did not answer
// within the deadline, or answered that it cannot serve (connection exceptions, shutdown,
// too many connections), marks it kind.Unavailable so every edge answers "try again later"
// instead of "internal error". A call abandoned because its caller went away (the request's
// context canceled: the client hung up) is no outage and keeps no kind.
func fail(what string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %w", what, err)
	if unavailable(err) {
		return kind.Wrap(kind.Unavailable, err)
	}
	return err
}

func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // before the checks below: a canceled dial is a net.Error, an unsent query "safe to retry"
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 53: insufficient resources; 57P0x: shutting down;
		// 57014: canceled by statement_timeout (too slow).
		return pe.Code[:2] == "08" || pe.Code[:2] == "53" || strings.HasPrefix(pe.Code, "57P0") || pe.Code == "57014"
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// constraint returns the name of the violated unique or foreign-key constraint, if any.
func constraint(err error) (code, name string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)
