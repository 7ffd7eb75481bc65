package cli

import (
	"net/url"
	"testing"
)

// The demo app remembers at most maxPendingSignIns started sign-ins, forgetting the oldest.
func TestDevRPBoundsPendingSignIns(t *testing.T) {
	rp := newDevRP("http://127.0.0.1:1", "client", "127.0.0.1:2")
	var states []string
	for range maxPendingSignIns + 50 {
		u, err := url.Parse(rp.begin())
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, u.Query().Get("state"))
	}
	if len(rp.pending) != maxPendingSignIns || len(rp.order) != maxPendingSignIns {
		t.Errorf("%d pending, %d in order after %d starts; want %d", len(rp.pending), len(rp.order), len(states), maxPendingSignIns)
	}
	if _, ok := rp.take(states[49]); ok {
		t.Error("the 50th oldest sign-in is still remembered")
	}
	if _, ok := rp.take(states[50]); !ok {
		t.Error("the oldest sign-in that fits was forgotten")
	}
	if _, ok := rp.take(states[50]); ok {
		t.Error("a state was taken twice")
	}
	if len(rp.order) != maxPendingSignIns-1 {
		t.Errorf("order holds %d states after a take, want %d", len(rp.order), maxPendingSignIns-1)
	}
}
