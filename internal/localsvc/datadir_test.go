package localsvc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// other is a user that owns none of the test's directories.
const otherUID, otherGID = 54321, 54321

// home returns a directory like a home directory of mode perm, whose parents every user can
// traverse (t.TempDir's own parents are 0700).
func home(t *testing.T, perm os.FileMode) string {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := filepath.Join(base, "home")
	if err := os.Mkdir(h, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(h, perm); err != nil { // umask
		t.Fatal(err)
	}
	return h
}

func TestReachable(t *testing.T) {
	t.Parallel()
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	tests := []struct {
		name     string
		perm     os.FileMode
		uid, gid uint32
		want     bool
	}{
		{"0700 home, another user", 0o700, otherUID, otherGID, false},
		{"0711 home, another user", 0o711, otherUID, otherGID, true},
		{"0750 home, another user of its group", 0o750, otherUID, gid, true},
		{"0750 home, another user of another group", 0o750, otherUID, otherGID, false},
		{"0700 home, its owner", 0o700, uid, otherGID, true},
		{"0077 home, its owner", 0o077, uid, gid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := home(t, tt.perm)
			if err := os.MkdirAll(filepath.Join(h, "checkout", ".dev"), 0o755); err != nil {
				t.Fatal(err)
			}
			if got := reachable(filepath.Join(h, "checkout", ".dev", "postgres"), tt.uid, tt.gid); got != tt.want {
				t.Errorf("reachable = %v, want %v", got, tt.want)
			}
		})
	}
}

// removeTarget deletes a relocated cluster directory when the test ends.
func removeTarget(t *testing.T, target string) {
	t.Helper()
	if !strings.HasPrefix(target, relocateUnder+"/sesame-postgres-") {
		t.Fatalf("relocated to %s, want a new directory under %s", target, relocateUnder)
	}
	t.Cleanup(func() { _ = os.RemoveAll(target) })
}

// A directory the PostgreSQL user cannot reach is replaced by a link to a directory it can
// reach; the link is followed by later starts; a reachable directory is used as it is.
func TestDataDir(t *testing.T) {
	t.Parallel()
	h := home(t, 0o700)
	dir := filepath.Join(h, "checkout", ".dev", "postgres")
	got, err := DataDir(dir, otherUID, otherGID)
	if err != nil {
		t.Fatal(err)
	}
	removeTarget(t, got)
	if link, err := os.Readlink(dir); err != nil || link != got {
		t.Errorf("%s links to %q (%v), want %s", dir, link, err, got)
	}
	if !reachable(got, otherUID, otherGID) {
		t.Errorf("the new directory %s is not reachable by the user", got)
	}
	again, err := DataDir(dir, otherUID, otherGID)
	if err != nil || again != got {
		t.Errorf("second DataDir = %q, %v; want the same %s", again, err, got)
	}

	// An existing, unreachable directory with data in it is left alone, with an error.
	full := filepath.Join(h, "other", "postgres")
	if err := os.MkdirAll(full, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "PG_VERSION"), []byte("17\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := DataDir(full, otherUID, otherGID); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("DataDir of an unreachable directory with data = %q, %v; want an error", got, err)
	}

	open := filepath.Join(home(t, 0o755), "checkout", ".dev", "postgres")
	if got, err := DataDir(open, otherUID, otherGID); err != nil || got != open {
		if err == nil && got != open {
			removeTarget(t, got)
		}
		t.Errorf("DataDir of a reachable directory = %q, %v; want it unchanged", got, err)
	}
}

// `make dev` from a checkout in root's 0700 home directory: PostgreSQL, which as root runs as
// the postgres user, starts, and finds its data again at the next start. (Not as root, the
// server runs as the caller, who reaches the directory, and nothing moves.)
func TestStartPostgresInPrivateHome(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(home(t, 0o700), "checkout", ".dev", "postgres")
	ctx := context.Background()
	start := func() *Postgres {
		t.Helper()
		pg, err := StartPostgres(ctx, dir, PostgresOptions{Throwaway: true})
		if err != nil {
			t.Fatalf("StartPostgres in a 0700 home: %v", err)
		}
		return pg
	}
	pg := start()
	link, linkErr := os.Readlink(dir)
	if os.Geteuid() == 0 {
		if linkErr != nil {
			t.Fatalf("as root, %s is not a link to a reachable directory: %v", dir, linkErr)
		}
		removeTarget(t, link)
	} else if linkErr == nil {
		t.Errorf("not as root, the data moved to %s", link)
	}
	if err := pg.CreateDatabase(ctx, "kept", ""); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	pg = start()
	defer pg.Stop()
	if again, _ := os.Readlink(dir); again != link {
		t.Errorf("the second start moved the data from %q to %q", link, again)
	}
	c, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = 'kept'").Scan(&n); err != nil || n != 1 {
		t.Errorf("after a restart the database created before is missing (%d, %v)", n, err)
	}
}
