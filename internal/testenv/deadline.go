package testenv

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
)

// Calls names one call of each method of a store, for CheckDeadlines.
type Calls map[string]func(context.Context) error

// CheckDeadlines runs every call at once against a store whose server the test has
// stalled, and fails the test unless each returns a kind.Unavailable error of its own
// deadline: the parent context has none, and is canceled only by a watchdog long after any
// store deadline, so a call without a deadline of its own ends canceled instead (not an
// outage), or late. It also fails when calls lacks an exported method of store, so a method
// added without a deadline is not missed.
func CheckDeadlines(t *testing.T, store any, calls Calls) {
	t.Helper()
	typ := reflect.TypeOf(store)
	for i := range typ.NumMethod() {
		if name := typ.Method(i).Name; calls[name] == nil {
			t.Errorf("%s.%s has no entry in this test's table: add one, so its deadline is checked", typ, name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const watchdog = 30 * time.Second
	timer := time.AfterFunc(watchdog, cancel)
	defer timer.Stop()

	type result struct {
		name string
		err  error
		took time.Duration
	}
	results := make(chan result, len(calls))
	start := make(chan struct{})
	for name, call := range calls {
		go func() {
			<-start
			t0 := time.Now()
			err := call(ctx)
			results <- result{name, err, time.Since(t0)}
		}()
	}
	close(start)
	// A call that ignores even the watchdog is reported, not waited for: the test's cleanup
	// resumes the server, which releases it.
	giveUp := time.After(watchdog + 5*time.Second)
	var slowest time.Duration
	for range calls {
		var r result
		select {
		case r = <-results:
		case <-giveUp:
			t.Errorf("calls still waiting %s after the watchdog canceled their context: they have no deadline", 5*time.Second)
			return
		}
		slowest = max(slowest, r.took)
		switch {
		case ctx.Err() != nil:
			t.Errorf("%s: still waiting when the watchdog canceled the test's context after %s (%v): the call has no deadline of its own", r.name, watchdog, r.err)
		case !kind.Is(r.err, kind.Unavailable):
			t.Errorf("%s on a stalled server = %v (kind %s), want kind unavailable", r.name, r.err, kind.Of(r.err))
		case !errors.Is(r.err, context.DeadlineExceeded) && !isTimeout(r.err):
			t.Errorf("%s on a stalled server = %v, want its deadline's error", r.name, r.err)
		}
	}
	t.Logf("%d calls on a stalled server: the slowest returned after %s", len(calls), slowest.Round(time.Millisecond))
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
