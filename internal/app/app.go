// Package app is the composition root: it builds pools, stores, services and handlers
// from a Config. Only app (and tests) import the adapters.
package app

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/clientip"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/httpx"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/oidcop"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/throttle"
	"github.com/sesameid/sesame/internal/token"
	"github.com/sesameid/sesame/internal/web"
	"github.com/sesameid/sesame/templates"
)

// Services are the domain services over the database: what the CLI's commands use, and
// what the server builds its handlers on.
type Services struct {
	Pool    *pgxpool.Pool
	Orgs    *org.Service
	Users   *account.Service
	Clients *client.Service
	Keys    *signing.Keys
	store   *postgres.Store
	now     func() time.Time
	hasher  *account.Hasher // the process's one argon2id limiter: user creation and sign-in share it
}

// Open connects to the database of cfg and builds the services over it. The signing keys
// are available only when cfg has a master key.
func Open(ctx context.Context, cfg *config.Config) (*Services, error) {
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL.Reveal(), cfg.DatabaseMaxConn, cfg.DatabaseTimeout)
	if err != nil {
		return nil, err
	}
	return newServices(pool, cfg, time.Now)
}

func newServices(pool *pgxpool.Pool, cfg *config.Config, now func() time.Time) (*Services, error) {
	st := postgres.New(pool, cfg.DatabaseTimeout)
	hasher := passwordHasher(cfg)
	s := &Services{
		Pool:    pool,
		Orgs:    org.NewService(st, now),
		Users:   account.NewService(st, hasher, now).WithPolicy(cfg.PasswordPolicy),
		Clients: client.NewService(st, now),
		store:   st,
		now:     now,
		hasher:  hasher,
	}
	if !cfg.MasterKey.IsZero() {
		ring, err := seal.NewRing([]byte(cfg.MasterKey.Reveal()))
		if err != nil {
			pool.Close()
			return nil, err
		}
		s.Keys = signing.NewKeys(st, ring, now)
	}
	return s, nil
}

// migrate runs fn with a migrator over the services' pool.
func (s *Services) migrate(fn func(*postgres.Migrator) error) error {
	m, err := postgres.NewMigrator(s.Pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return fn(m)
}

// Close closes the pool.
func (s *Services) Close() { s.Pool.Close() }

// SigningKeys lists the published signing keys, with or without a master key.
func (s *Services) SigningKeys(ctx context.Context) ([]signing.Key, error) {
	return signing.Published(ctx, s.store, s.now())
}

// ErrPendingMigrations is returned by New when the schema is behind the binary.
var ErrPendingMigrations = kind.New(kind.Internal, "the database has pending migrations: run `sesame migrate up` or start with --migrate")

// App is a running Sesame server's dependencies and its HTTP handler.
type App struct {
	*Services
	Handler http.Handler
	Logins  *login.Service // login transactions and browser sessions
	redis   goredis.UniversalClient

	now        func() time.Time
	log        *slog.Logger
	purgeEvery time.Duration
}

// Options tune New.
type Options struct {
	Migrate   bool             // apply pending migrations instead of refusing to start
	MigrateTo io.Writer        // migration progress
	Now       func() time.Time // the clock; nil means time.Now (tests pass a fixed one)
	// Steps are login steps every login must pass after the password (the next issues add
	// second factors and consent; tests register steps of their own).
	Steps []login.Step
}

// New connects to PostgreSQL and Redis, checks (or applies) migrations and builds the
// HTTP handler.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, o Options) (*App, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL.Reveal(), cfg.DatabaseMaxConn, cfg.DatabaseTimeout)
	if err != nil {
		return nil, err
	}
	svc, err := newServices(pool, cfg, o.Now)
	if err != nil {
		return nil, err
	}
	err = svc.migrate(func(m *postgres.Migrator) error {
		if o.Migrate {
			return m.Up(ctx, o.MigrateTo)
		}
		ctx, cancel := context.WithTimeout(ctx, cfg.DatabaseTimeout)
		defer cancel()
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
		svc.Close()
		return nil, err
	}
	rc, err := redis.Connect(cfg.RedisURL.Reveal(), cfg.RedisTimeout)
	if err != nil {
		svc.Close()
		return nil, err
	}
	a := &App{Services: svc, redis: rc, now: o.Now, log: log, purgeEvery: cfg.PurgeInterval}
	h, err := a.handler(ctx, cfg, log, redis.New(rc, cfg.RedisKeyPrefix, cfg.RedisTimeout), o)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Handler = h
	return a, nil
}

func (a *App) handler(ctx context.Context, cfg *config.Config, log *slog.Logger, rs *redis.Store, o Options) (http.Handler, error) {
	if err := a.Keys.Ensure(ctx, cfg.SigningAlg); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	// Start-up self-check: a master key that cannot open the stored keys stops the process
	// here (exit 2, before any listener), rather than serving without a key to sign with.
	if err := a.Keys.Check(ctx); err != nil {
		return nil, err
	}
	tmpl, err := templates.Parse()
	if err != nil {
		return nil, err
	}
	pages := httpx.NewPages(tmpl, cfg.Issuer.Scheme == "https")
	logins := login.NewService(rs, rs, login.Config{
		Policy:   login.Policy{Steps: append([]login.Step{login.StepPassword}, o.Steps...)},
		Sessions: login.Lifetimes{Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute},
	}, o.Now)
	a.Logins = logins
	auth := account.NewAuthenticator(a.store, a.hasher, o.Now).WithPolicy(cfg.PasswordPolicy)
	refresh := token.NewRefresh(a.store, o.Now)
	lockout, err := newLockout(cfg, rs, o.Now)
	if err != nil {
		return nil, err
	}
	prov, err := oidcop.New(oidcop.Config{
		Issuer:         cfg.Issuer,
		CryptoKey:      sha256.Sum256([]byte("sesame op crypto\x00" + cfg.MasterKey.Reveal())),
		LoginPath:      web.PathLogin,
		EndSessionPath: web.PathEndSession,
	}, oidcop.Deps{
		Clients: a.Clients, Users: auth, Logins: logins, Codes: rs, Access: rs,
		Refresh: refresh, Keys: a.Keys, Pages: pages, Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	pagesHandler := &web.Handler{
		Logins: logins, Authenticator: auth, Lockout: lockout, Hints: prov, Grants: rs, Passwords: auth, Refresh: refresh, Pages: pages, CallbackPath: oidcop.PathCallback,
		Failures: throttle.New("login_failures", cfg.LoginFailures, rs, o.Now),
	}
	hc := health{checks: []check{{"postgres", a.store.Ping}, {"redis", rs.Ping}, {"signing_key", a.activeKey}}}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", http.HandlerFunc(hc.live))
	mux.Handle("GET /readyz", http.HandlerFunc(hc.ready))
	prov.Routes(mux)
	pagesHandler.Routes(mux)
	h := httpx.Middleware(log, flood(mux, pages,
		throttle.New("login_pages", cfg.PagesRate, rs, o.Now), throttle.New("token", cfg.TokenRate, rs, o.Now),
		throttle.New("token_ip", cfg.TokenIPRate, rs, o.Now)))
	h = httpx.ClientIP(clientip.New(cfg.TrustedProxies, cfg.ClientIPHeader), h)
	if cfg.Issuer.Scheme == "https" {
		h = httpx.HSTS(h)
	}
	return h, nil
}

// newLockout builds the password step's lockout rule over rs. Device cookies are signed
// with a key derived from the master key, apart from every other use of it.
func newLockout(cfg *config.Config, rs *redis.Store, now func() time.Time) (*login.Lockout, error) {
	key := sha256.Sum256([]byte("sesame device cookie\x00" + cfg.MasterKey.Reveal()))
	r := login.LockoutRule{Threshold: cfg.LockoutThreshold, Delay: cfg.LockoutDelay, MaxDelay: cfg.LockoutMaxDelay}
	return login.NewLockout(rs, r, key[:], now)
}

// flood limits the login pages by client IP (perIP) and the token endpoint by client IP
// (tokenIP: an address inventing client_ids) and then by client_id (perClient); the other
// routes are cheap reads or authenticate their caller first.
func flood(mux http.Handler, pages *httpx.Pages, perIP, perClient, tokenIP httpx.Limit) http.Handler {
	byIP, byClient := pages.Throttle(perIP, mux), httpx.ThrottleIP(tokenIP, httpx.ThrottleClient(perClient, mux))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case oidcop.PathAuthorize, oidcop.PathCallback, web.PathLogin, web.PathEndSession, web.PathEndSessionConfirm:
			byIP.ServeHTTP(w, r)
		case oidcop.PathToken:
			byClient.ServeHTTP(w, r)
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// activeKey fails when no stored key can sign now (none active, or its private half does
// not open with this process's master key): /readyz then takes the process out of service.
func (a *App) activeKey(ctx context.Context) error {
	_, err := a.Keys.Active(ctx)
	return err
}

// passwordHasher bounds argon2id to PasswordSlots computations at once (one per CPU by
// default: more would only queue inside the scheduler while each holds its memory).
func passwordHasher(cfg *config.Config) *account.Hasher {
	slots := cfg.PasswordSlots
	if slots == 0 {
		slots = runtime.NumCPU()
	}
	p := account.Params{Memory: cfg.PasswordMemory, Time: cfg.PasswordTime, Threads: cfg.PasswordThreads}
	return account.NewHasher(p, slots, cfg.PasswordWait)
}

// Close releases the pools.
func (a *App) Close() {
	_ = a.redis.Close()
	a.Services.Close()
}

// MigrateUp applies every pending migration, one line each to w.
func (s *Services) MigrateUp(ctx context.Context, w io.Writer) error {
	return s.migrate(func(m *postgres.Migrator) error { return m.Up(ctx, w) })
}

// MigrateDown rolls back the latest migration, one line to w; the initial schema (which
// holds every row) only with force.
func (s *Services) MigrateDown(ctx context.Context, w io.Writer, force bool) error {
	return s.migrate(func(m *postgres.Migrator) error { return m.Down(ctx, w, force) })
}

// MigrationStatus writes each migration and whether it is applied.
func (s *Services) MigrationStatus(ctx context.Context, w io.Writer) error {
	return s.migrate(func(m *postgres.Migrator) error { return m.Status(ctx, w) })
}

// SetUserDisabled disables the user with email (disabled true) or enables them again, on
// the database and Redis of cfg.
func SetUserDisabled(ctx context.Context, cfg *config.Config, email string, disabled bool) (account.User, error) {
	s, err := Open(ctx, cfg)
	if err != nil {
		return account.User{}, err
	}
	defer s.Close()
	rc, err := redis.Connect(cfg.RedisURL.Reveal(), cfg.RedisTimeout)
	if err != nil {
		return account.User{}, err
	}
	defer rc.Close()
	return s.setUserDisabled(ctx, redis.New(rc, cfg.RedisKeyPrefix, cfg.RedisTimeout), email, disabled)
}

// setUserDisabled changes the status first, so nothing new is granted from then on (sign-in,
// the token endpoint and userinfo all check it), then ends what the user holds: every
// refresh token, every browser session, and the access tokens of every grant.
func (s *Services) setUserDisabled(ctx context.Context, rs *redis.Store, email string, disabled bool) (account.User, error) {
	u, err := s.Users.SetDisabled(ctx, email, disabled)
	if err != nil || !disabled {
		return u, err
	}
	if err := token.NewRefresh(s.store, s.now).RevokeUser(ctx, u.ID); err != nil {
		return u, err
	}
	if err := rs.DeleteUserSessions(ctx, u.ID.String(), ""); err != nil {
		return u, err
	}
	return u, rs.RevokeUserAccessTokens(ctx, u.ID.String())
}

// UnlockUser forgets the failed sign-ins counted against email, with and without a device
// cookie, on the Redis of cfg: its next attempt is checked at once. Any email may be
// unlocked, existing or not, as any may be locked.
func UnlockUser(ctx context.Context, cfg *config.Config, email string) error {
	rc, err := redis.Connect(cfg.RedisURL.Reveal(), cfg.RedisTimeout)
	if err != nil {
		return err
	}
	defer rc.Close()
	return login.Unlock(ctx, redis.New(rc, cfg.RedisKeyPrefix, cfg.RedisTimeout), email)
}
