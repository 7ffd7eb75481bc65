package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/mfa"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is the start of a time step, so ±1 step is a whole step away.
var t0 = time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)

const password = "correct horse battery staple"

// passwords checks the one test password.
type passwords struct{}

var errWrongPassword = kind.New(kind.Forbidden, "wrong password")

func (passwords) CheckPassword(_ context.Context, _ uuid.UUID, pw string) error {
	if pw != password {
		return errWrongPassword
	}
	return nil
}

type store interface {
	mfa.Store
	CreateOrg(context.Context, org.Organization) error
	CreateUser(context.Context, account.User) error
}

type fixture struct {
	svc   *mfa.Service
	clock *testenv.Clock
	st    store
	ring  *seal.Ring
	user  account.User
}

func ring(t *testing.T, key string) *seal.Ring {
	t.Helper()
	r, err := seal.NewRing([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newFixture(t *testing.T, drift int) *fixture {
	t.Helper()
	st := testenv.PostgresStore(t)
	ctx := context.Background()
	o := org.Organization{ID: uuid.New(), Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], CreatedAt: t0}
	if err := st.CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	u := account.User{ID: uuid.New(), OrgID: o.ID, Email: "ada+" + uuid.NewString()[:8] + "@example.com",
		Status: account.StatusActive, CreatedAt: t0}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: testenv.NewClock(t0), st: st, ring: ring(t, "sesame-test-master-key-32-bytes!"), user: u}
	opt := mfa.DefaultOptions()
	opt.Drift = drift
	svc, err := mfa.NewService(st, f.ring, passwords{}, f.clock.Now, opt)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// code is the code of secret at the step offset steps from the clock's.
func (f *fixture) code(t *testing.T, secret string, offset int) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, f.clock.Now().Add(time.Duration(offset)*mfa.Period),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolled is a fixture whose user has a confirmed factor; it returns the secret.
func (f *fixture) enrolled(t *testing.T) string {
	t.Helper()
	e, err := f.svc.Enroll(context.Background(), f.user)
	if err != nil {
		t.Fatal(err)
	}
	sec := e.Secret.Reveal()
	if err := f.svc.Confirm(context.Background(), f.user.ID, f.code(t, sec, 0)); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	f.clock.Advance((mfa.MaxDrift + 1) * mfa.Period) // the confirming code's step out of every window
	return sec
}

func TestEnrollConfirmVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	ctx := context.Background()
	e, err := f.svc.Enroll(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	sec := e.Secret.Reveal()
	if raw, err := otp.NewKeyFromURL(e.URI.Reveal()); err != nil {
		t.Fatalf("URI %v", err)
	} else if raw.Issuer() != "Sesame" || raw.AccountName() != f.user.Email || raw.Secret() != sec || raw.Type() != "totp" {
		t.Errorf("URI issuer %q account %q type %q, secret matches %v", raw.Issuer(), raw.AccountName(), raw.Type(), raw.Secret() == sec)
	}
	if u, _ := url.Parse(e.URI.Reveal()); u.Scheme != "otpauth" {
		t.Errorf("URI scheme %q, want otpauth", u.Scheme)
	}
	if n := len(sec) * 5 / 8; n != 20 { // base32: 5 bits a character
		t.Errorf("secret of %d bytes, want 20 (160 bits)", n)
	}
	if _, err := png.Decode(bytes.NewReader(e.QR)); err != nil {
		t.Errorf("QR is no PNG: %v", err)
	}
	if e.Factor.Confirmed() {
		t.Error("a new factor is confirmed")
	}
	// Pending: Verify refuses, a wrong code does not confirm, the right one does.
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 0)); !errors.Is(err, mfa.ErrPending) {
		t.Errorf("Verify before Confirm = %v, want ErrPending", err)
	}
	if err := f.svc.Confirm(ctx, f.user.ID, wrong(f.code(t, sec, 0))); !errors.Is(err, mfa.ErrCode) {
		t.Errorf("Confirm with a wrong code = %v, want ErrCode", err)
	}
	if err := f.svc.Confirm(ctx, f.user.ID, f.code(t, sec, 0)); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if err := f.svc.Confirm(ctx, f.user.ID, f.code(t, sec, 1)); !errors.Is(err, mfa.ErrConfirmed) {
		t.Errorf("Confirm twice = %v, want ErrConfirmed", err)
	}
	if _, err := f.svc.Enroll(ctx, f.user); !errors.Is(err, mfa.ErrExists) {
		t.Errorf("Enroll with a confirmed factor = %v, want ErrExists", err)
	}
	f.clock.Advance(mfa.Period)
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 0)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	fs, err := f.svc.List(ctx, f.user.ID)
	if err != nil || len(fs) != 1 || !fs[0].Confirmed() || fs[0].Kind != mfa.KindTOTP {
		t.Errorf("List = %+v, %v; want one confirmed totp factor", fs, err)
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "１２３４５６", strings.Repeat("1", 1000)} {
		if err := f.svc.Verify(ctx, f.user.ID, bad); !errors.Is(err, mfa.ErrCode) || !kind.Is(err, kind.Invalid) {
			t.Errorf("Verify(%q) = %v, want ErrCode (invalid)", bad, err)
		}
		// Refused before the store is read: a user without a factor gets ErrCode too.
		if err := f.svc.Verify(ctx, uuid.New(), bad); !errors.Is(err, mfa.ErrCode) {
			t.Errorf("Verify(%q) for a user without a factor = %v, want ErrCode", bad, err)
		}
	}
}

// wrong is a code other than c.
func wrong(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// A pending factor is replaced by a new enrolment (an abandoned one), with a new secret.
func TestEnrollReplacesPending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	ctx := context.Background()
	first, err := f.svc.Enroll(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.svc.Enroll(ctx, f.user)
	if err != nil {
		t.Fatalf("second Enroll: %v", err)
	}
	if first.Secret.Reveal() == second.Secret.Reveal() || first.Factor.ID == second.Factor.ID {
		t.Error("second enrolment reused the first's secret or factor")
	}
	if err := f.svc.Confirm(ctx, f.user.ID, f.code(t, second.Secret.Reveal(), 0)); err != nil {
		t.Errorf("Confirm with the second secret: %v", err)
	}
}

// The store maps its constraints to the domain's errors.
func TestFactorStoreErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	ctx := context.Background()
	e, err := f.svc.Enroll(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	dup := e.Factor
	dup.ID = uuid.New()
	if err := f.st.CreateFactor(ctx, dup); !errors.Is(err, mfa.ErrExists) {
		t.Errorf("a second totp factor for one user = %v, want ErrExists", err)
	}
	if err := f.st.DeleteFactor(ctx, uuid.New()); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("DeleteFactor of no factor = %v, want ErrNotFound", err)
	}
	if _, err := f.st.Factor(ctx, uuid.New(), mfa.KindTOTP); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Factor of a user without one = %v, want ErrNotFound", err)
	}
}

// The drift window: ±drift steps accepted, one more refused.
func TestDriftWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		drift  int
		offset int
		ok     bool
	}{
		{1, 0, true}, {1, -1, true}, {1, 1, true}, {1, -2, false}, {1, 2, false},
		{0, 0, true}, {0, -1, false}, {0, 1, false},
		{2, -2, true}, {2, 2, true}, {2, 3, false},
	} {
		f := newFixture(t, tc.drift)
		sec := f.enrolled(t)
		err := f.svc.Verify(context.Background(), f.user.ID, f.code(t, sec, tc.offset))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, mfa.ErrCode)) {
			t.Errorf("drift %d, code %+d steps away: %v, want accepted %v", tc.drift, tc.offset, err, tc.ok)
		}
	}
	for _, d := range []int{-1, mfa.MaxDrift + 1} {
		opt := mfa.DefaultOptions()
		opt.Drift = d
		if _, err := mfa.NewService(nil, nil, nil, time.Now, opt); !kind.Is(err, kind.Invalid) {
			t.Errorf("NewService with drift %d = %v, want invalid", d, err)
		}
	}
	if _, err := mfa.NewService(nil, nil, nil, time.Now, mfa.Options{Drift: 1}); !kind.Is(err, kind.Invalid) {
		t.Errorf("NewService without issuer = %v, want invalid", err)
	}
}

// A code is used once; once a step is used, codes of that step or earlier are refused.
func TestReplay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	sec := f.enrolled(t)
	ctx := context.Background()
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 0)); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 0)); !errors.Is(err, mfa.ErrCodeUsed) {
		t.Errorf("the same code again = %v, want ErrCodeUsed", err)
	}
	// A code of the next step (clock drift allows it), then the current one: earlier, refused.
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 1)); err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	f.clock.Advance(mfa.Period)
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, -1)); !errors.Is(err, mfa.ErrCodeUsed) {
		t.Errorf("an earlier step's code after a later one = %v, want ErrCodeUsed", err)
	}
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 0)); !errors.Is(err, mfa.ErrCodeUsed) {
		t.Errorf("the used step's code = %v, want ErrCodeUsed", err)
	}
	f.clock.Advance(mfa.Period)
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 0)); err != nil {
		t.Errorf("a later step's code: %v", err)
	}
}

// 50 requests with the same valid code at once: exactly one succeeds (the store's
// conditional UPDATE, not the domain's read, decides).
func TestConcurrentSameCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	sec := f.enrolled(t)
	code := f.code(t, sec, 0)
	var ok, used, other atomic.Int32
	testenv.Together(50, func(int) {
		switch err := f.svc.Verify(context.Background(), f.user.ID, code); {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, mfa.ErrCodeUsed):
			used.Add(1)
		default:
			other.Add(1)
			t.Errorf("Verify: %v", err)
		}
	})
	if ok.Load() != 1 || used.Load() != 49 {
		t.Errorf("50 concurrent Verify: %d succeeded, %d refused as used, %d other; want 1, 49, 0", ok.Load(), used.Load(), other.Load())
	}
}

// The store itself refuses a step not later than the recorded one, and the wrong state.
func TestUseFactorStepIsConditional(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	f.enrolled(t)
	ctx := context.Background()
	fac, err := f.st.Factor(ctx, f.user.ID, mfa.KindTOTP)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step      int64
		confirmed bool
		want      bool
	}{
		{fac.LastStep, true, false}, {fac.LastStep - 1, true, false}, {fac.LastStep + 1, false, false},
		{fac.LastStep + 1, true, true}, {fac.LastStep + 1, true, false},
	} {
		if got, err := f.st.UseFactorStep(ctx, fac.ID, tc.step, tc.confirmed, t0); err != nil || got != tc.want {
			t.Errorf("UseFactorStep(step %d, confirmed %v) = %v, %v; want %v", tc.step-fac.LastStep, tc.confirmed, got, err, tc.want)
		}
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	sec := f.enrolled(t)
	ctx := context.Background()
	if err := f.svc.Remove(ctx, f.user.ID, "wrong", f.code(t, sec, 0)); !errors.Is(err, errWrongPassword) {
		t.Errorf("Remove with a wrong password = %v, want it refused", err)
	}
	if err := f.svc.Remove(ctx, f.user.ID, password, wrong(f.code(t, sec, 0))); !errors.Is(err, mfa.ErrCode) {
		t.Errorf("Remove with a wrong code = %v, want ErrCode", err)
	}
	if err := f.svc.Remove(ctx, f.user.ID, password, ""); !errors.Is(err, mfa.ErrCode) {
		t.Errorf("Remove without a code = %v, want ErrCode", err)
	}
	if err := f.svc.Remove(ctx, f.user.ID, password, f.code(t, sec, -mfa.MaxDrift-1)); !errors.Is(err, mfa.ErrCode) {
		t.Errorf("Remove with the confirming (old) code = %v, want ErrCode", err)
	}
	if fs, _ := f.svc.List(ctx, f.user.ID); len(fs) != 1 {
		t.Fatalf("after refused removals: %d factors, want 1", len(fs))
	}
	if err := f.svc.Remove(ctx, f.user.ID, password, f.code(t, sec, 0)); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if fs, err := f.svc.List(ctx, f.user.ID); err != nil || len(fs) != 0 {
		t.Errorf("after Remove: %+v, %v; want none", fs, err)
	}
	if err := f.svc.Verify(ctx, f.user.ID, f.code(t, sec, 1)); !errors.Is(err, mfa.ErrNotFound) {
		t.Errorf("Verify after Remove = %v, want ErrNotFound", err)
	}
}

// The stored secret is sealed: not the secret in any form, and only the master key opens it.
func TestSecretSealedAtRest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	ctx := context.Background()
	e, err := f.svc.Enroll(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	sec := e.Secret.Reveal()
	fac, err := f.st.Factor(ctx, f.user.ID, mfa.KindTOTP)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := otp.NewKeyFromURL(e.URI.Reveal())
	if bytes.Contains(fac.Sealed, []byte(sec)) || bytes.Contains(bytes.ToUpper(fac.Sealed), []byte(raw.Secret())) {
		t.Error("the stored secret contains the plain secret")
	}
	if got, err := f.ring.Open(fac.Sealed, mfa.SealContext(fac.ID)); err != nil || string(got) != sec {
		t.Errorf("opening with the master key = %q, %v; want the secret", got, err)
	}
	if _, err := ring(t, "another-master-key-of-32-bytes!!").Open(fac.Sealed, mfa.SealContext(fac.ID)); err == nil {
		t.Error("another master key opened the secret")
	}
	if _, err := f.ring.Open(fac.Sealed, mfa.SealContext(uuid.New())); err == nil {
		t.Error("the secret opened under another factor's context")
	}
	// A service with another master key cannot verify (fails closed, internal).
	other, err := mfa.NewService(f.st, ring(t, "another-master-key-of-32-bytes!!"), passwords{}, f.clock.Now, mfa.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Confirm(ctx, f.user.ID, f.code(t, sec, 0)); err == nil || !kind.Is(err, kind.Internal) {
		t.Errorf("Confirm with another master key = %v, want an internal error", err)
	}
}
