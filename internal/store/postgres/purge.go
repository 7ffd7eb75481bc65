package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PurgeRefreshTokens deletes every refresh-token family whose tokens all expired before
// before, at most batch families per statement. The rows of a family with a token still
// valid stay, its rotated tokens included: presenting one of those is how reuse is
// detected. One process purges at a time: it holds a PostgreSQL advisory lock for the whole
// run, and a process that finds the lock taken deletes nothing and reports ran false. Every
// statement has the store's deadline; a run stops at its first error, keeping what it
// deleted.
func (s *Store) PurgeRefreshTokens(ctx context.Context, before time.Time, batch int) (deleted int64, ran bool, err error) {
	cctx, cancel := s.call(ctx)
	defer cancel()
	conn, err := s.pool.Acquire(cctx)
	if err != nil {
		return 0, false, fail("purge refresh tokens", err)
	}
	// The lock is the session's: the session ends with this connection, closed rather than
	// returned to the pool, so the lock can never stay behind with a pooled connection. It is
	// also released first: the server ends a closed session a moment later, and the next
	// purge (another process's) should not find it still held.
	defer func() { _ = conn.Hijack().Close(cctx) }()
	if err := conn.QueryRow(cctx, `SELECT pg_try_advisory_lock(hashtext('sesame.refresh_purge'))`).Scan(&ran); err != nil || !ran {
		return 0, false, fail("purge refresh tokens", err)
	}
	defer func() {
		uctx, cancel := s.call(context.WithoutCancel(ctx))
		defer cancel()
		_, _ = conn.Exec(uctx, `SELECT pg_advisory_unlock(hashtext('sesame.refresh_purge'))`)
	}()
	for {
		n, err := s.purgeBatch(ctx, conn, before, batch)
		deleted += n
		if err != nil || n == 0 {
			return deleted, true, err
		}
	}
}

func (s *Store) purgeBatch(ctx context.Context, conn *pgxpool.Conn, before time.Time, batch int) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	tag, err := conn.Exec(ctx, `
		DELETE FROM refresh_tokens r USING (
			SELECT family_id FROM refresh_tokens GROUP BY family_id HAVING max(expires_at) < $1 LIMIT $2
		) dead WHERE r.family_id = dead.family_id`, before, batch)
	if err != nil {
		return 0, fail("purge refresh tokens", err)
	}
	return tag.RowsAffected(), nil
}
