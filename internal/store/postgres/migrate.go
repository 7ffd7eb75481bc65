package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/migrations"
)

// Migrator applies the embedded migrations.
type Migrator struct {
	p  *goose.Provider
	db *sql.DB
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
	return &Migrator{p: p, db: db}, nil
}

// Close releases the migrator's connection handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration, writing one line per migration to w.
func (m *Migrator) Up(ctx context.Context, w io.Writer) error {
	res, err := m.p.Up(ctx)
	for _, r := range res {
		fmt.Fprintf(w, "up   %s (%s)\n", r.Source.Path, r.Duration.Round(1e5))
	}
	return err
}

// ErrInitialSchema refuses to roll back the first migration without force: it drops every
// table, and with them every organization, user, client, token and signing key.
var ErrInitialSchema = kind.New(kind.Invalid, "refusing to roll back the initial schema without --force")

// Down rolls back the most recent migration. The initial schema is rolled back only with
// force; without, ErrInitialSchema says what would be deleted.
func (m *Migrator) Down(ctx context.Context, w io.Writer, force bool) error {
	if !force {
		v, err := m.p.GetDBVersion(ctx)
		if err != nil {
			return err
		}
		if first := m.p.ListSources()[0]; v == first.Version {
			rows, err := m.rowCounts(ctx)
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: rolling back %s drops every table and all its rows (%s); run `sesame migrate down --force` to do it",
				ErrInitialSchema, filepath.Base(first.Path), rows)
		}
	}
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

// rowCounts names each table of the schema (but goose's own) with its number of rows.
func (m *Migrator) rowCounts(ctx context.Context) (string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'
		ORDER BY table_name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return "", err
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	out := make([]string, len(tables))
	for i, t := range tables {
		var n int64
		q := `SELECT count(*) FROM "` + strings.ReplaceAll(t, `"`, `""`) + `"`
		if err := m.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return "", err
		}
		out[i] = fmt.Sprintf("%s: %d", t, n)
	}
	return strings.Join(out, ", "), nil
}

// Pending reports whether any migration is not applied.
func (m *Migrator) Pending(ctx context.Context) (bool, error) { return m.p.HasPending(ctx) }
