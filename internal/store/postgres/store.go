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

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesameid/sesame/internal/kind"
)

// Store implements the domain packages' Store interfaces over PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Connect opens a pool on url with at most maxConns connections and checks it answers.
// Errors never quote url, which may carry a password.
func Connect(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, kind.Wrap(kind.Invalid, errors.New("parse database URL: invalid"))
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fail("open database pool", redact(err))
	}
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
func (s *Store) Ping(ctx context.Context) error { return fail("postgres ping", s.pool.Ping(ctx)) }

// fail wraps err with what failed and, when PostgreSQL could not be reached or answered
// that it cannot serve (connection exceptions, shutdown, too many connections), marks it
// kind.Unavailable so every edge answers "try again later" instead of "internal error".
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
