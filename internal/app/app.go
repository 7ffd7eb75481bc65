// Package app is the composition root: it builds pools, stores, services and handlers
// from a Config. Only app (and tests) import the adapters.
package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/grant"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/oidcop"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/web"
	"github.com/sesameid/sesame/templates"
)

// Admin is what the bootstrap CLI needs: the database and the services over it.
type Admin struct {
	Pool    *pgxpool.Pool
	Orgs    *org.Service
	Users   *account.Service
	Clients *client.Service
	store   *postgres.Store
}

// OpenAdmin connects to the database of cfg and builds the services over it.
func OpenAdmin(ctx context.Context, cfg *config.Config) (*Admin, error) {
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL.Reveal(), cfg.DatabaseMaxConn)
	if err != nil {
		return nil, err
	}
	return newAdmin(pool, cfg), nil
}

func newAdmin(pool *pgxpool.Pool, cfg *config.Config) *Admin {
	st := postgres.New(pool)
	return &Admin{
		Pool:    pool,
		Orgs:    org.NewService(st, time.Now),
		Users:   account.NewService(st, passwordParams(cfg), time.Now),
		Clients: client.NewService(st, time.Now),
		store:   st,
	}
}

// migrate runs fn with a migrator over the admin's pool.
func (a *Admin) migrate(fn func(*postgres.Migrator) error) error {
	m, err := postgres.NewMigrator(a.Pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return fn(m)
}

// Close closes the pool.
func (a *Admin) Close() { a.Pool.Close() }

// ErrPendingMigrations is returned by New when the schema is behind the binary.
var ErrPendingMigrations = errors.New("the database has pending migrations: run `sesame migrate up` or start with --migrate")

// App is a running Sesame server's dependencies and its HTTP handler.
type App struct {
	*Admin
	Handler http.Handler
	redis   goredis.UniversalClient
}

// Options tune New.
type Options struct {
	Migrate   bool      // apply pending migrations instead of refusing to start
	MigrateTo io.Writer // migration progress
}

// New connects to PostgreSQL and Redis, checks (or applies) migrations and builds the
// HTTP handler.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, o Options) (*App, error) {
	admin, err := OpenAdmin(ctx, cfg)
	if err != nil {
		return nil, err
	}
	err = admin.migrate(func(m *postgres.Migrator) error {
		if o.Migrate {
			return m.Up(ctx, o.MigrateTo)
		}
		pending, err := m.Pending(ctx)
		if err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
		if pending {
			return ErrPendingMigrations
		}
		return nil
	})
	if err != nil {
		admin.Close()
		return nil, err
	}
	rc, err := redis.Connect(cfg.RedisURL.Reveal())
	if err != nil {
		admin.Close()
		return nil, err
	}
	a := &App{Admin: admin, redis: rc}
	h, err := a.handler(ctx, cfg, log, redis.New(rc, cfg.RedisKeyPrefix))
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Handler = h
	return a, nil
}

func (a *App) handler(ctx context.Context, cfg *config.Config, log *slog.Logger, rs *redis.Store) (http.Handler, error) {
	keys, err := a.Keys(cfg)
	if err != nil {
		return nil, err
	}
	if err := keys.Ensure(ctx, cfg.SigningAlg); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	tmpl, err := templates.Parse()
	if err != nil {
		return nil, err
	}
	pages := httpx.NewPages(tmpl, cfg.Issuer.Scheme == "https")
	lifetimes := grant.SessionLifetimes{Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute}
	auth := account.NewAuthenticator(a.store, passwordParams(cfg))
	prov, err := oidcop.New(oidcop.Config{
		Issuer:    cfg.Issuer,
		CryptoKey: sha256.Sum256([]byte("sesame op crypto\x00" + cfg.MasterKey.Reveal())),
		Sessions:  lifetimes,
	}, oidcop.Deps{
		Clients: a.Clients, Users: auth, Requests: rs, Access: rs, Refresh: a.store, Sessions: rs,
		Keys: keys, Pages: pages, Now: time.Now,
	})
	if err != nil {
		return nil, err
	}
	web := &web.Handler{
		Requests: rs, Authenticator: auth, Sessions: rs, Clients: a.Clients, Pages: pages,
		Lifetimes: lifetimes, CallbackPath: oidcop.PathCallback, Now: time.Now,
	}
	hc := health{checks: []check{{"postgres", a.store.Ping}, {"redis", rs.Ping}}}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", http.HandlerFunc(hc.live))
	mux.Handle("GET /readyz", http.HandlerFunc(hc.ready))
	prov.Routes(mux)
	web.Routes(mux)
	return httpx.Middleware(log, mux), nil
}

func passwordParams(cfg *config.Config) account.Params {
	return account.Params{Memory: cfg.PasswordMemory, Time: cfg.PasswordTime, Threads: cfg.PasswordThreads}
}

// Keys returns the signing key manager (sealing with the master key).
func (a *Admin) Keys(cfg *config.Config) (*oidcop.Keys, error) {
	ring, err := seal.NewRing([]byte(cfg.MasterKey.Reveal()))
	if err != nil {
		return nil, err
	}
	return oidcop.NewKeys(a.store, ring, time.Now), nil
}

// Close releases the pools.
func (a *App) Close() {
	_ = a.redis.Close()
	a.Admin.Close()
}

// IsBadInput reports whether err is the caller's mistake (invalid or conflicting input,
// unknown organization) rather than a failure of Sesame or its dependencies.
func IsBadInput(err error) bool {
	var pe *account.PolicyError
	for _, target := range []error{org.ErrInvalid, org.ErrNotFound, org.ErrSlugTaken,
		account.ErrInvalid, account.ErrEmailTaken, client.ErrInvalid} {
		if errors.Is(err, target) {
			return true
		}
	}
	return errors.As(err, &pe)
}

// MigrateUp applies every pending migration, one line each to w.
func (a *Admin) MigrateUp(ctx context.Context, w io.Writer) error {
	return a.migrate(func(m *postgres.Migrator) error { return m.Up(ctx, w) })
}

// MigrateDown rolls back the latest migration, one line to w.
func (a *Admin) MigrateDown(ctx context.Context, w io.Writer) error {
	return a.migrate(func(m *postgres.Migrator) error { return m.Down(ctx, w) })
}

// MigrationStatus writes each migration and whether it is applied.
func (a *Admin) MigrationStatus(ctx context.Context, w io.Writer) error {
	return a.migrate(func(m *postgres.Migrator) error { return m.Status(ctx, w) })
}
