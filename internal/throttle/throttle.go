// Package throttle limits how often one subject (a client IP, a client_id) may do one thing:
// a rate is a budget of Limit events per Period, kept by a generic cell rate algorithm
// (GCRA) in the store with the caller's clock, so a burst of Limit passes at once and the
// budget refills evenly over Period. A refused event is an error carrying when to retry;
// the first refusal of a burst is marked, so the edge logs one event per burst, not one per
// request. A store that cannot answer fails the event (fail closed).
package throttle

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a budget of Limit events per Period.
type Rate struct {
	Limit  int
	Period time.Duration
}

// String is the rate as ParseRate reads it, e.g. "20/10m0s".
func (r Rate) String() string { return strconv.Itoa(r.Limit) + "/" + r.Period.String() }

// Interval is the time one event's budget takes to refill.
func (r Rate) Interval() time.Duration { return r.Period / time.Duration(r.Limit) }

// ParseRate reads "N/duration", e.g. "20/10m": N from 1 to 1,000,000, the duration from 1s
// to 24h, and at least a millisecond per event.
func ParseRate(s string) (Rate, error) {
	n, d, ok := strings.Cut(s, "/")
	limit, err := strconv.Atoi(n)
	if !ok || err != nil || limit < 1 || limit > 1_000_000 {
		return Rate{}, errors.New("must be N/duration with N from 1 to 1000000, e.g. 20/10m")
	}
	period, err := time.ParseDuration(d)
	if err != nil || period < time.Second || period > 24*time.Hour {
		return Rate{}, errors.New("must be N/duration with a duration from 1s to 24h, e.g. 20/10m")
	}
	r := Rate{Limit: limit, Period: period}
	if r.Interval() < time.Millisecond {
		return Rate{}, errors.New("must allow at most one event per millisecond")
	}
	return r, nil
}

// Decision is the store's answer for one event.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration // when refused: until the budget has room for the event
	First      bool          // when refused: the first refusal since the budget last had room
}

// Op is what Store.Limit does with one event.
type Op int

// The operations on a budget.
const (
	OpRefund Op = -1 // give one event back (never above the full budget)
	OpCheck  Op = 0  // decide whether one more event fits, spending nothing
	OpTake   Op = 1  // spend one event when it fits
)

// Store keeps the budgets: Limit decides whether one more event of key fits rate at now and
// does op. Atomic per key.
type Store interface {
	Limit(ctx context.Context, key string, rate Rate, now time.Time, op Op) (Decision, error)
}

// ErrLimited matches every refusal (errors.Is); the error itself is a *Limited.
var ErrLimited = errors.New("rate limit exceeded")

// Limited is a refused event: what was limited, for whom, and when to retry.
type Limited struct {
	Name, Subject string
	RetryAfter    time.Duration
	First         bool // the first refusal of this burst: log it
}

func (e *Limited) Error() string {
	return fmt.Sprintf("%s: rate limit exceeded, retry after %s", e.Name, e.RetryAfter)
}

// Is makes errors.Is(err, ErrLimited) true.
func (e *Limited) Is(target error) bool { return target == ErrLimited }

// RetryAfterSeconds is the Retry-After header's value: whole seconds, at least 1.
func (e *Limited) RetryAfterSeconds() string {
	s := (e.RetryAfter + time.Second - 1) / time.Second
	return strconv.FormatInt(int64(max(s, 1)), 10)
}

// Limit is one named budget per subject.
type Limit struct {
	name  string
	rate  Rate
	store Store
	now   func() time.Time
}

// New returns the limit name (a key part: letters, digits and _) of rate over store.
func New(name string, rate Rate, store Store, now func() time.Time) *Limit {
	return &Limit{name: name, rate: rate, store: store, now: now}
}

// Take spends one event of subject's budget, or returns a *Limited when none is left.
func (l *Limit) Take(ctx context.Context, subject string) error {
	return l.decide(ctx, subject, OpTake)
}

// Check returns a *Limited when subject's budget has no room for one more event, and
// spends nothing.
func (l *Limit) Check(ctx context.Context, subject string) error {
	return l.decide(ctx, subject, OpCheck)
}

// Refund gives back one event Take spent: for a budget of failures, taken before the
// attempt (so parallel attempts cannot all pass one check) and refunded when it succeeded.
func (l *Limit) Refund(ctx context.Context, subject string) error {
	return l.decide(ctx, subject, OpRefund)
}

func (l *Limit) decide(ctx context.Context, subject string, op Op) error {
	d, err := l.store.Limit(ctx, l.name+":"+subject, l.rate, l.now(), op)
	if err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	if !d.Allowed {
		return &Limited{Name: l.name, Subject: subject, RetryAfter: d.RetryAfter, First: d.First}
	}
	return nil
}
