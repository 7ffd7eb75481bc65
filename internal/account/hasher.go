package account

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/sesameid/sesame/internal/kind"
)

// ErrBusy: every password-hashing slot stayed taken for the whole wait. Sign-ins arrive
// faster than the CPUs can hash them; the caller retries shortly (503 with Retry-After).
var ErrBusy = kind.New(kind.Unavailable, "password hashing busy")

// Hasher runs argon2id with fixed parameters, at most a fixed number of computations at
// once. Each computation holds Params.Memory of RAM while it runs, so the slots bound what
// sign-ins can take (slots × memory) however many arrive together, and a computation that
// cannot get a slot within the wait gives up with ErrBusy instead of queueing without end.
// Every argon2id computation of a process goes through its one Hasher: verifications,
// the dummy verification of unknown users, and new hashes.
type Hasher struct {
	params Params
	slots  chan struct{}
	wait   time.Duration
}

// NewHasher returns a Hasher hashing with params, running at most slots computations at
// once (at least one), each waiting at most wait for its slot.
func NewHasher(params Params, slots int, wait time.Duration) *Hasher {
	return &Hasher{params: params, slots: make(chan struct{}, max(slots, 1)), wait: wait}
}

// Hash returns the argon2id PHC string of password with the Hasher's parameters.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hash(password, h.params), nil
}

// Verify reports whether password matches the PHC string phc (compared in constant time),
// and whether phc used weaker parameters than the Hasher's (so it should be re-hashed).
func (h *Hasher) Verify(ctx context.Context, password, phc string) (ok, upgrade bool, err error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	return verify(password, phc, h.params)
}

// acquire takes a slot, waiting at most h.wait; the returned function gives it back. A free
// slot is taken at once (a select with a timer that already fired could choose the timer).
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-h.slots }
	select {
	case h.slots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, kind.Wrap(kind.Unavailable, ctx.Err())
	}
}

// dummy returns a PHC string with the Hasher's parameters and a random salt and key: a
// verification against it costs what a real one costs and never succeeds, and making it
// costs no argon2id computation.
func (h *Hasher) dummy() string {
	salt, key := make([]byte, saltLen), make([]byte, keyLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+).
	_, _ = rand.Read(key)
	return phc(h.params, salt, key)
}
