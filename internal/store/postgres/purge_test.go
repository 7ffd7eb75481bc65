package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/token"
)

// The purge deletes the families whose tokens all expired, and keeps every row of a family
// with a token still valid, its expired rotated tokens included (reuse is still detected).
// One process purges at a time: while another holds the lock nothing is deleted; two
// runners at once delete each row once between them, without error; the lock is free after.
func TestPurgeRefreshTokens(t *testing.T) {
	e := newRefreshEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Dead: tokens expiring at rt0+1h and (rotated at +30m) rt0+1h30m.
	dead, _ := e.start(t, e.auth)
	e.clock.Set(rt0.Add(30 * time.Minute))
	e.rotate(t, dead)
	// Live: a rotated token expiring at rt0+2h, the current one at rt0+2h30m.
	live := e.auth
	live.GrantID = "grant-2"
	e.clock.Set(rt0.Add(time.Hour))
	rotated, _ := e.start(t, live)
	e.clock.Set(rt0.Add(90 * time.Minute))
	e.rotate(t, rotated)

	rows := func() (n int) {
		if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := rt0.Add(130 * time.Minute) // past every token of the dead family and the live one's rotated token

	// Another process is purging: this one deletes nothing.
	held, err := e.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.Exec(ctx, `SELECT pg_advisory_lock(hashtext('sesame.refresh_purge'))`); err != nil {
		t.Fatal(err)
	}
	if n, ran, err := e.store.PurgeRefreshTokens(ctx, before, 100); err != nil || ran || n != 0 || rows() != 4 {
		t.Errorf("purge while another holds the lock = %d, ran %v, %v (%d rows); want nothing done, 4 rows", n, ran, err, rows())
	}
	if _, err := held.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('sesame.refresh_purge'))`); err != nil {
		t.Fatal(err)
	}
	held.Release()

	var deleted, ran atomic.Int64
	testenv.Together(2, func(int) {
		n, r, err := e.store.PurgeRefreshTokens(ctx, before, 1) // one family per statement
		if err != nil {
			t.Errorf("purge: %v", err)
		}
		deleted.Add(n)
		if r {
			ran.Add(1)
		}
	})
	if deleted.Load() != 2 || ran.Load() == 0 || rows() != 2 {
		t.Errorf("two purges at once deleted %d rows (%d ran), %d rows left; want the dead family's 2 deleted, 2 left", deleted.Load(), ran.Load(), rows())
	}
	e.clock.Set(before)
	e.wantLookup(t, "the live family's rotated token", rotated, token.RefreshToken{}, token.ErrReused)

	// From a session of its own: a pooled connection could be the one holding the lock.
	c, err := pgx.ConnectConfig(ctx, e.pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var free bool
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('sesame.refresh_purge'))`).Scan(&free); err != nil || !free {
		t.Errorf("the purge lock after the purges: free = %v, %v; want free", free, err)
	}
}
