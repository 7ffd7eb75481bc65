package postgres_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func tables(t *testing.T, ctx context.Context, m interface {
	Status(context.Context, io.Writer) error
}) string {
	t.Helper()
	var b strings.Builder
	if err := m.Status(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.PoolOn(t, testenv.EmptyPostgresURL(t), 4)
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	countTables := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if pending, err := m.Pending(ctx); err != nil || !pending {
		t.Fatalf("Pending on an empty database = %v, %v; want true", pending, err)
	}
	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatalf("Up: %v", err)
	}
	afterUp := countTables()
	if afterUp < 5 {
		t.Fatalf("after Up: %d tables, want at least organizations, users, clients, signing_keys, refresh_tokens", afterUp)
	}
	if pending, _ := m.Pending(ctx); pending {
		t.Error("Pending after Up = true")
	}
	// Down every migration, one at a time, to the empty schema.
	for strings.Contains(tables(t, ctx, m), "applied") {
		if err := m.Down(ctx, io.Discard, true); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	if n := countTables(); n != 0 {
		t.Errorf("after Down to zero: %d tables remain", n)
	}
	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if n := countTables(); n != afterUp {
		t.Errorf("after up/down/up: %d tables, want %d", n, afterUp)
	}
}

// Rolling back the initial schema, which drops every table, needs force; without, the
// error names each table with its rows, and nothing is dropped. Later migrations roll back
// without it.
func TestDownKeepsInitialSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Pool(t)
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'A', 'a')`); err != nil {
		t.Fatal(err)
	}
	var refused error
	for i := 0; refused == nil; i++ {
		if i > 100 {
			t.Fatal("Down without force never refused")
		}
		refused = m.Down(ctx, io.Discard, false)
	}
	if !errors.Is(refused, postgres.ErrInitialSchema) || !kind.Is(refused, kind.Invalid) {
		t.Fatalf("Down of the initial schema without force = %v, want ErrInitialSchema (invalid)", refused)
	}
	for _, want := range []string{"00001_init.sql", "organizations: 1", "users: 0", "refresh_tokens: 0", "--force"} {
		if !strings.Contains(refused.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, refused)
		}
	}
	if status := tables(t, ctx, m); !strings.Contains(status, "applied") {
		t.Errorf("the initial schema was rolled back:\n%s", status)
	}
	if err := m.Down(ctx, io.Discard, true); err != nil {
		t.Fatalf("Down with force: %v", err)
	}
	if status := tables(t, ctx, m); strings.Contains(status, "applied") {
		t.Errorf("after Down with force:\n%s", status)
	}
}
