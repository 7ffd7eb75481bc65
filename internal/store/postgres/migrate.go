package postgres

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/sesameid/sesame/migrations"
)

// Migrator applies the embedded migrations.
type Migrator struct {
	p     *goose.Provider
	close func() error
}

// NewMigrator returns a Migrator over pool. A PostgreSQL session lock makes concurrent
// runs from several processes safe.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{p: p, close: db.Close}, nil
}

// Close releases the migrator's connection handle (not the pool).
func (m *Migrator) Close() error { return m.close() }

// Up applies every pending migration, writing one line per migration to w.
func (m *Migrator) Up(ctx context.Context, w io.Writer) error {
	res, err := m.p.Up(ctx)
	for _, r := range res {
		fmt.Fprintf(w, "up   %s (%s)\n", r.Source.Path, r.Duration.Round(1e5))
	}
	return err
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context, w io.Writer) error {
	r, err := m.p.Down(ctx)
	if r != nil {
		fmt.Fprintf(w, "down %s (%s)\n", r.Source.Path, r.Duration.Round(1e5))
	}
	return err
}

// Status writes each migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	st, err := m.p.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range st {
		at := "pending"
		if s.State == goose.StateApplied {
			at = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(w, "%-32s %s\n", s.Source.Path, at)
	}
	return nil
}

// Pending reports whether any migration is not applied.
func (m *Migrator) Pending(ctx context.Context) (bool, error) { return m.p.HasPending(ctx) }
