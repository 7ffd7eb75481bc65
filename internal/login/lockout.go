package login

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Class is which failure counter a password attempt counts against: attempts from a
// browser holding a valid device cookie for the email, and all others. A sprayer without
// the owner's cookie exhausts only ClassUnknown, so the owner keeps signing in.
type Class string

// The two classes of password attempts.
const (
	ClassKnown   Class = "known"   // a valid device cookie for this email
	ClassUnknown Class = "unknown" // no cookie, a forged one, or another email's
)

// LockoutRule is the progressive delay: after Threshold consecutive failures in a class,
// that class waits Delay, doubled at each further failure, at most MaxDelay.
type LockoutRule struct {
	Threshold int
	Delay     time.Duration
	MaxDelay  time.Duration
}

// MaxThreshold is NIST SP 800-63B's bound: never more than 100 consecutive failures on
// one account without a delay.
const MaxThreshold = 100

// DefaultLockout: five failures, then 30 s, 1 min, 2 min, … at most 15 min.
var DefaultLockout = LockoutRule{Threshold: 5, Delay: 30 * time.Second, MaxDelay: 15 * time.Minute}

// Validate reports a rule out of bounds.
func (r LockoutRule) Validate() error {
	if r.Threshold < 1 || r.Threshold > MaxThreshold || r.Delay <= 0 || r.MaxDelay < r.Delay {
		return fmt.Errorf("lockout rule %+v: want 1 ≤ threshold ≤ %d and 0 < delay ≤ max delay", r, MaxThreshold)
	}
	return nil
}

// LockoutStore counts password failures per normalized email and class.
type LockoutStore interface {
	// CountAttempt is the atomic check-and-count: when the counter of email's class (for
	// ClassKnown, of the one device: each device cookie counts on its own) is in its delay
	// it counts nothing and returns Wait, what is left of it; otherwise it counts the
	// attempt as a failure in advance (success resets it), starts the delay r implies when
	// the count reaches r.Threshold, and returns the count and that delay.
	CountAttempt(ctx context.Context, email string, class Class, device string, r LockoutRule, now time.Time) (Count, error)
	// ResetAttempts forgets the failures of one counter of email.
	ResetAttempts(ctx context.Context, email string, class Class, device string) error
	// ClearAttempts forgets the failures of both classes of email.
	ClearAttempts(ctx context.Context, email string) error
}

// Count is what CountAttempt found.
type Count struct {
	Failures int           // consecutive failures of the class, this attempt included when counted
	Wait     time.Duration // > 0: the class is in its delay for this long, the attempt was refused
	Delay    time.Duration // > 0: the delay this attempt started (it failed in advance)
}

// LockedError refuses a password attempt whose class is in its delay, whatever the
// password: the same for every email, existing or not.
type LockedError struct{ Wait time.Duration }

func (e *LockedError) Error() string {
	return "too many failed sign-ins: wait " + HumanWait(e.Wait) + " and try again"
}

// ErrLocked matches every *LockedError (errors.Is).
var ErrLocked = errors.New("too many failed sign-ins")

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// HumanWait is a wait as a person reads it, rounded up to the second: "30 seconds",
// "2 minutes", "1 minute 30 seconds".
func HumanWait(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	m, s := s/60, s%60
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprint(n, " ", one, "s")
	}
	switch {
	case m == 0:
		return unit(s, "second")
	case s == 0:
		return unit(m, "minute")
	}
	return unit(m, "minute") + " " + unit(s, "second")
}

// Lockout is the password step's rule against guessing (the OWASP device-cookie pattern):
// failures are counted per normalized email, existing or not, separately for attempts
// with and without a device cookie naming that email, and a class past its threshold is
// refused with a delay, even with the right password. The delay is the answer: nothing
// sleeps.
type Lockout struct {
	store LockoutStore
	rule  LockoutRule
	key   []byte // HMAC key of device cookies
	now   func() time.Time
}

// NewLockout returns the rule r over store; deviceKey (at least 32 bytes, derived from
// the master key) signs device cookies.
func NewLockout(store LockoutStore, r LockoutRule, deviceKey []byte, now func() time.Time) (*Lockout, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if len(deviceKey) < 32 {
		return nil, errors.New("lockout: device cookie key shorter than 32 bytes")
	}
	return &Lockout{store: store, rule: r, key: deviceKey, now: now}, nil
}

// NormalizeEmail is the email failures count against: trimmed and lower-cased, so
// "Ada@Example.com " and "ada@example.com" share one counter.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// DeviceCookieLifetime is how long a device cookie lasts.
const DeviceCookieLifetime = 365 * 24 * time.Hour

// DeviceCookie is the value of the device cookie set at a successful sign-in as email:
// a random device nonce and an HMAC of it with the normalized email, so it names that user
// and that device without holding a secret or the address, and nobody without the key makes
// one. Each device (each sign-in) gets its own nonce, and failures with a device cookie are
// counted per device: a copied cookie locks only the device it came from, never the
// owner's others.
func (l *Lockout) DeviceCookie(email string) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	return n + "." + l.deviceMAC(email, n)
}

func (l *Lockout) deviceMAC(email, nonce string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("sesame device cookie v2\x00" + NormalizeEmail(email) + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Class returns the class of an attempt as email from a browser holding device cookie
// value cookie ("" for none), and the device: ClassKnown and the cookie's nonce only for a
// valid cookie of that email.
func (l *Lockout) Class(email, cookie string) (Class, string) {
	nonce, mac, ok := strings.Cut(cookie, ".")
	if ok && len(nonce) == 22 && hmac.Equal([]byte(mac), []byte(l.deviceMAC(email, nonce))) {
		return ClassKnown, nonce
	}
	return ClassUnknown, ""
}

// Attempt is a counted password attempt, to be reported with Succeeded.
type Attempt struct {
	Email  string // normalized
	Class  Class
	Device string // the device cookie's nonce for ClassKnown
	Count
}

// Begin checks and counts one password attempt as email from a browser holding device
// cookie value cookie, before the password is verified: a *LockedError when its class is
// in its delay. A store that cannot answer fails the attempt (kind.Unavailable): no
// password is checked without the count.
func (l *Lockout) Begin(ctx context.Context, email, cookie string) (Attempt, error) {
	a := Attempt{Email: NormalizeEmail(email)}
	a.Class, a.Device = l.Class(email, cookie)
	c, err := l.store.CountAttempt(ctx, a.Email, a.Class, a.Device, l.rule, l.now())
	if err != nil {
		return a, err
	}
	a.Count = c
	if c.Wait > 0 {
		return a, &LockedError{Wait: c.Wait}
	}
	return a, nil
}

// Succeeded resets the class of a after its password was right.
func (l *Lockout) Succeeded(ctx context.Context, a Attempt) error {
	return l.store.ResetAttempts(ctx, a.Email, a.Class, a.Device)
}

// Unlock forgets every failure of email in store, both classes (`sesame user unlock`).
func Unlock(ctx context.Context, store LockoutStore, email string) error {
	return store.ClearAttempts(ctx, NormalizeEmail(email))
}
