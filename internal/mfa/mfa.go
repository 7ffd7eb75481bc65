// Package mfa owns users' second factors: TOTP (RFC 6238) secrets, enrolled, confirmed by a
// first code, verified with a bounded clock drift and never accepted twice for the same or an
// earlier time step. Secrets are sealed at rest; the store advances the last used step
// atomically, so concurrent submissions of one code succeed once.
package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/secret"
)

// KindTOTP is the only factor kind so far.
const KindTOTP = "totp"

// TOTP parameters: what every authenticator app supports.
const (
	Period     = 30 * time.Second
	Digits     = 6
	SecretSize = 20 // bytes: 160 bits (RFC 4226's recommended length)
	MaxDrift   = 2  // steps each side at most; more widens the guessing window needlessly
	qrSize     = 256
)

// Factor is a user's second factor as stored.
type Factor struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	Kind        string
	Sealed      []byte     // the secret, sealed with context SealContext(ID)
	ConfirmedAt *time.Time // nil until the first valid code
	LastStep    int64      // the last time step used; codes of this step or earlier are refused
	CreatedAt   time.Time
}

// Confirmed reports whether the factor has been confirmed by a first valid code.
func (f Factor) Confirmed() bool { return f.ConfirmedAt != nil }

// Errors callers branch on.
var (
	ErrNotFound  = kind.New(kind.NotFound, "no such second factor")
	ErrExists    = kind.New(kind.Conflict, "a second factor of this kind is already enrolled")
	ErrPending   = kind.New(kind.Conflict, "the second factor is not confirmed yet")
	ErrConfirmed = kind.New(kind.Conflict, "the second factor is already confirmed")
	ErrCode      = kind.New(kind.Invalid, "invalid code")
	ErrCodeUsed  = kind.New(kind.Invalid, "code already used")
)

// Store is the persistence the Service needs.
type Store interface {
	// CreateFactor inserts f; ErrExists if the user has a factor of that kind.
	CreateFactor(ctx context.Context, f Factor) error
	// Factor returns the user's factor of kind k, or ErrNotFound.
	Factor(ctx context.Context, userID uuid.UUID, k string) (Factor, error)
	// Factors returns the user's factors, oldest first.
	Factors(ctx context.Context, userID uuid.UUID) ([]Factor, error)
	// UseFactorStep records step as factor id's last used step if it is later than the
	// recorded one and the factor's confirmation is as confirmed says (confirming it at now
	// when confirmed is false), in one statement; false if not.
	UseFactorStep(ctx context.Context, id uuid.UUID, step int64, confirmed bool, now time.Time) (bool, error)
	// DeleteFactor removes factor id; ErrNotFound if there is none.
	DeleteFactor(ctx context.Context, id uuid.UUID) error
}

// Sealer seals secrets at rest (internal/seal.Ring).
type Sealer interface {
	Seal(plaintext []byte, context string) []byte
	Open(sealed []byte, context string) ([]byte, error)
}

// PasswordChecker checks a user's current password: nil if it is right.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, userID uuid.UUID, password string) error
}

// Options configure a Service.
type Options struct {
	Issuer string // the label authenticator apps show
	Drift  int    // steps accepted either side of the server's, 0..MaxDrift
}

// DefaultOptions are issuer "Sesame" and a drift of one step each side.
func DefaultOptions() Options { return Options{Issuer: "Sesame", Drift: 1} }

// Service enrols, confirms, verifies and removes second factors.
type Service struct {
	st   Store
	seal Sealer
	pw   PasswordChecker
	now  func() time.Time
	opt  Options
}

// NewService returns a Service over st, sealing secrets with s, checking passwords with pw,
// at the clock now.
func NewService(st Store, s Sealer, pw PasswordChecker, now func() time.Time, opt Options) (*Service, error) {
	if opt.Drift < 0 || opt.Drift > MaxDrift {
		return nil, kind.Wrap(kind.Invalid, fmt.Errorf("TOTP drift %d: must be 0 to %d steps", opt.Drift, MaxDrift))
	}
	if opt.Issuer == "" {
		return nil, kind.Wrap(kind.Invalid, errors.New("TOTP issuer: must not be empty"))
	}
	return &Service{st: st, seal: s, pw: pw, now: now, opt: opt}, nil
}

// SealContext binds a sealed TOTP secret to its factor.
func SealContext(id uuid.UUID) string { return "totp:" + id.String() }

// Enrollment is what a user needs to add a new factor to an authenticator app.
type Enrollment struct {
	Factor Factor
	Secret secret.Secret // base32, for typing in by hand
	URI    secret.Secret // otpauth://totp/...
	QR     []byte        // PNG of URI
}

// Enroll creates a pending TOTP factor for u, replacing a pending one (an abandoned
// enrolment); ErrExists if u has a confirmed one.
func (s *Service) Enroll(ctx context.Context, u account.User) (Enrollment, error) {
	old, err := s.st.Factor(ctx, u.ID, KindTOTP)
	switch {
	case err == nil && old.Confirmed():
		return Enrollment{}, ErrExists
	case err == nil:
		if err := s.st.DeleteFactor(ctx, old.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return Enrollment{}, err
		}
	case !errors.Is(err, ErrNotFound):
		return Enrollment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.opt.Issuer, AccountName: u.Email, Period: uint(Period / time.Second),
		SecretSize: SecretSize, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("generate TOTP key: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return Enrollment{}, fmt.Errorf("TOTP QR code: %w", err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return Enrollment{}, fmt.Errorf("TOTP QR code: %w", err)
	}
	id := uuid.New()
	f := Factor{
		ID: id, UserID: u.ID, Kind: KindTOTP, CreatedAt: s.now(),
		Sealed: s.seal.Seal([]byte(key.Secret()), SealContext(id)),
	}
	if err := s.st.CreateFactor(ctx, f); err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Factor: f, Secret: secret.New(key.Secret()), URI: secret.New(key.URL()), QR: qr.Bytes()}, nil
}

// Confirm confirms u's pending TOTP factor with its first valid code.
func (s *Service) Confirm(ctx context.Context, userID uuid.UUID, code string) error {
	return s.use(ctx, userID, code, false)
}

// Verify checks a code of u's confirmed TOTP factor: right within the drift window, and of a
// later time step than any code used before.
func (s *Service) Verify(ctx context.Context, userID uuid.UUID, code string) error {
	return s.use(ctx, userID, code, true)
}

func (s *Service) use(ctx context.Context, userID uuid.UUID, code string, confirmed bool) error {
	if !wellFormed(code) {
		return ErrCode
	}
	f, err := s.st.Factor(ctx, userID, KindTOTP)
	if err != nil {
		return err
	}
	if f.Confirmed() != confirmed {
		if confirmed {
			return ErrPending
		}
		return ErrConfirmed
	}
	step, ok, err := s.match(f, code)
	if err != nil {
		return err
	}
	if !ok {
		return ErrCode
	}
	won, err := s.st.UseFactorStep(ctx, f.ID, step, confirmed, s.now())
	if err != nil {
		return err
	}
	if !won {
		return ErrCodeUsed // this step, or a later one, was used before (perhaps just now by another request)
	}
	return nil
}

// match returns the time step within the drift window whose code is code, the server's own
// step first.
func (s *Service) match(f Factor, code string) (int64, bool, error) {
	key, err := s.seal.Open(f.Sealed, SealContext(f.ID))
	if err != nil {
		return 0, false, kind.Wrap(kind.Internal, fmt.Errorf("open TOTP secret: %w", err))
	}
	now := s.now().Unix() / int64(Period/time.Second)
	opts := totp.ValidateOpts{Period: uint(Period / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for _, d := range offsets(s.opt.Drift) {
		step := now + int64(d)
		want, err := totp.GenerateCodeCustom(string(key), time.Unix(step*int64(Period/time.Second), 0), opts)
		if err != nil {
			return 0, false, kind.Wrap(kind.Internal, fmt.Errorf("TOTP code: %w", err))
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}

// offsets lists 0, -1, +1, ... up to drift each side.
func offsets(drift int) []int {
	o := []int{0}
	for d := 1; d <= drift; d++ {
		o = append(o, -d, d)
	}
	return o
}

// wellFormed reports whether code is exactly Digits ASCII digits.
func wellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for _, c := range []byte(code) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Remove deletes u's confirmed TOTP factor: it takes the user's password and a current code.
// (A pending factor is not removed: the next Enroll replaces it.)
func (s *Service) Remove(ctx context.Context, userID uuid.UUID, password, code string) error {
	if err := s.pw.CheckPassword(ctx, userID, password); err != nil {
		return err
	}
	if err := s.Verify(ctx, userID, code); err != nil {
		return err
	}
	f, err := s.st.Factor(ctx, userID, KindTOTP)
	if err != nil {
		return err
	}
	return s.st.DeleteFactor(ctx, f.ID)
}

// List returns the user's factors, oldest first.
func (s *Service) List(ctx context.Context, userID uuid.UUID) ([]Factor, error) {
	return s.st.Factors(ctx, userID)
}
