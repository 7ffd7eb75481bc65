package login_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
)

// A transaction accepts MaxAttempts submissions of its step's form, counted before the
// step's work; after that it is spent and every further one is refused. The last counted
// submission may still pass the step.
func TestAttempt(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, oneStep)
	ctx := context.Background()
	tx := begin(t, s, "cookie-a")
	for i := 1; i <= login.MaxAttempts; i++ {
		got, err := s.Attempt(ctx, tx.ID, "cookie-a", login.StepPassword)
		if err != nil || got.Attempts != i || got.Spent() != (i == login.MaxAttempts) {
			t.Fatalf("Attempt %d = Attempts %d, Spent %v, %v; want %d, %v, nil", i, got.Attempts, got.Spent(), err, i, i == login.MaxAttempts)
		}
	}
	if _, err := s.Attempt(ctx, tx.ID, "cookie-a", login.StepPassword); !errors.Is(err, login.ErrTooManyAttempts) {
		t.Errorf("Attempt %d = %v, want ErrTooManyAttempts", login.MaxAttempts+1, err)
	}
	if got := read(t, s, tx.ID, "cookie-a"); got.Attempts != login.MaxAttempts || !got.Spent() {
		t.Errorf("stored Attempts = %d, Spent %v; want %d, true", got.Attempts, got.Spent(), login.MaxAttempts)
	}
	if _, err := s.Pass(ctx, tx.ID, "cookie-a", login.StepPassword, ada); err != nil {
		t.Errorf("Pass after the last counted attempt = %v, want it to pass", err)
	}
}

// An attempt from another browser, for a step Next does not name, or for no transaction
// is refused and counts nothing.
func TestAttemptRefused(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, twoSteps)
	ctx := context.Background()
	tx := begin(t, s, "cookie-a")
	for _, tt := range []struct {
		name, id, cookie string
		step             login.Step
		want             error
	}{
		{"another browser", tx.ID, "cookie-b", login.StepPassword, login.ErrOtherBrowser},
		{"a step out of order", tx.ID, "cookie-a", stepExtra, login.ErrOutOfOrder},
		{"unknown transaction", "00000000-0000-0000-0000-000000000000", "cookie-a", login.StepPassword, login.ErrExpired},
	} {
		if _, err := s.Attempt(ctx, tt.id, tt.cookie, tt.step); !errors.Is(err, tt.want) {
			t.Errorf("%s: Attempt = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := read(t, s, tx.ID, "cookie-a"); got.Attempts != 0 {
		t.Errorf("Attempts after refused attempts = %d, want 0", got.Attempts)
	}
}

// 30 submissions at once (a script, not a person): exactly MaxAttempts are counted, the
// others are refused, none is lost or counted twice.
func TestAttemptConcurrent(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, oneStep)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx := begin(t, s, "cookie-a")
	const n = 30
	var counted, refused atomic.Int32
	testenv.Together(n, func(i int) {
		_, err := s.Attempt(ctx, tx.ID, "cookie-a", login.StepPassword)
		switch {
		case err == nil:
			counted.Add(1)
		case errors.Is(err, login.ErrTooManyAttempts):
			refused.Add(1)
		default:
			t.Errorf("Attempt %d: %v", i, err)
		}
	})
	if counted.Load() != login.MaxAttempts || refused.Load() != n-login.MaxAttempts {
		t.Errorf("%d concurrent attempts: %d counted, %d refused; want %d and %d", n, counted.Load(), refused.Load(), login.MaxAttempts, n-login.MaxAttempts)
	}
	if got := read(t, s, tx.ID, "cookie-a"); got.Attempts != login.MaxAttempts {
		t.Errorf("stored Attempts = %d, want %d", got.Attempts, login.MaxAttempts)
	}
}
