package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// /readyz answers within its own deadline even when a check would wait longer (a store
// whose deadline is set above it): 503 naming the slow check, before the caller gives up.
func TestReadyzHasItsOwnDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := health{checks: []check{
		{"fast", func(context.Context) error { return nil }},
		{"stalled", func(c context.Context) error {
			select {
			case <-c.Done():
				return c.Err()
			case <-ctx.Done():
				return nil // the test gave up: /readyz waited past its own deadline
			}
		}},
	}}
	w := httptest.NewRecorder()
	start := time.Now()
	h.ready(w, httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(ctx))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"failed":["stalled"]`) || ctx.Err() != nil {
		t.Errorf("/readyz with a stalled check = %d %s, want 503 naming it within ReadyTimeout", w.Code, w.Body)
	}
	t.Logf("/readyz answered after %s (ReadyTimeout %s)", time.Since(start).Round(time.Millisecond), ReadyTimeout)
}
