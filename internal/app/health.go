package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/sesameid/sesame/internal/httpx"
)

type check struct {
	name string
	ping func(context.Context) error
}

type health struct{ checks []check }

// live answers while the process serves HTTP.
func (h health) live(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ReadyTimeout bounds /readyz: its checks run in parallel, each given at most this long
// (less when the store's own deadline is shorter), so a stalled dependency makes it answer
// 503 in about a second, before a load balancer's probe gives up.
const ReadyTimeout = time.Second

// ready answers 200 when every check passes within ReadyTimeout, else 503 naming the failed
// ones (names only: error details stay in the log).
func (h health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
	defer cancel()
	failed := make([]bool, len(h.checks))
	var wg sync.WaitGroup
	for i, c := range h.checks {
		wg.Go(func() {
			if err := c.ping(ctx); err != nil {
				failed[i] = true
				httpx.Logger(r.Context()).Warn("readiness check failed", "check", c.name, "err", err)
			}
		})
	}
	wg.Wait()
	var names []string
	for i, f := range failed {
		if f {
			names = append(names, h.checks[i].name)
		}
	}
	if len(names) > 0 {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failed": names})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
