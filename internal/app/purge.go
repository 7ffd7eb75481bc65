package app

import (
	"context"
	"time"

	"github.com/sesameid/sesame/internal/client"
)

const (
	// purgeDelay keeps a dead refresh family this long after its last token expired: an
	// access token issued with it may live that long, and a reuse of one of its tokens
	// detected meanwhile still revokes the grant.
	purgeDelay = client.MaxTokenTTL
	// purgeBatch bounds each DELETE, so each statement stays within the database deadline.
	purgeBatch = 1000
)

// Housekeeping runs the periodic jobs until ctx ends: the refresh-token purge, at once and
// then every SESAME_REFRESH_PURGE_INTERVAL. Each process runs it; an advisory lock lets one
// purge at a time. A failed round is logged and the next one tries again.
func (a *App) Housekeeping(ctx context.Context) {
	tick := time.NewTicker(a.purgeEvery)
	defer tick.Stop()
	for {
		a.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (a *App) purge(ctx context.Context) {
	n, ran, err := a.store.PurgeRefreshTokens(ctx, a.now().Add(-purgeDelay), purgeBatch)
	switch {
	case ctx.Err() != nil: // shutting down
	case err != nil:
		a.log.Warn("refresh token purge failed", "deleted", n, "err", err)
	case !ran:
		a.log.Debug("refresh token purge skipped: another process is purging")
	case n > 0:
		a.log.Info("refresh tokens purged", "deleted", n)
	}
}
