package postgres_test

import (
	"context"
	"io"
	"strings"
	"testing"

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
		if err := m.Down(ctx, io.Discard); err != nil {
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
