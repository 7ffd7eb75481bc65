package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Cheap parameters keep the tests fast.
var cheap = account.Params{Memory: 64, Time: 1, Threads: 1}

// While every slot is taken, a hash or a verification waits its deadline and gives up with
// ErrBusy (503 with Retry-After), or stops at once when its request is cancelled; a slot
// given back lets the next one run.
func TestHasherSlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := account.NewHasher(cheap, 2, 20*time.Millisecond)
	phc, err := h.Hash(ctx, "Correct horse battery 7")
	if err != nil {
		t.Fatal(err)
	}
	release := account.HoldSlots(h)
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, account.ErrBusy) || !kind.Is(err, kind.Unavailable) {
		t.Errorf("Hash with every slot taken = %v, want ErrBusy (Unavailable)", err)
	}
	if _, _, err := h.Verify(ctx, "Correct horse battery 7", phc); !errors.Is(err, account.ErrBusy) {
		t.Errorf("Verify with every slot taken = %v, want ErrBusy", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	patient := account.NewHasher(cheap, 1, time.Hour)
	releasePatient := account.HoldSlots(patient)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := patient.Hash(cancelled, "pw")
		gaveUp <- err
	}()
	select {
	case err := <-gaveUp:
		if !kind.Is(err, kind.Unavailable) {
			t.Errorf("Hash of a cancelled request waiting for a slot = %v, want Unavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Hash of a cancelled request still waiting for a slot after 30 s")
	}
	release()
	if ok, _, err := h.Verify(ctx, "Correct horse battery 7", phc); !ok || err != nil {
		t.Errorf("Verify after the slots were given back = %v, %v; want true", ok, err)
	}
	// A free slot is taken even when the wait is over before it starts.
	impatient := account.NewHasher(cheap, 1, 0)
	for i := range 50 {
		if _, err := impatient.Hash(ctx, "pw"); err != nil {
			t.Fatalf("Hash %d with a free slot and no wait = %v, want it to run", i, err)
		}
	}

	// A waiting computation takes the slot as soon as it is given back.
	done := make(chan error, 1)
	go func() {
		_, err := patient.Hash(ctx, "pw")
		done <- err
	}()
	releasePatient()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Hash waiting for a slot = %v, want it to run once the slot is free", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Hash still waiting 30 s after its slot was given back")
	}
}

func authenticator(t *testing.T, h *account.Hasher) *account.Authenticator {
	t.Helper()
	st := testenv.PostgresStore(t)
	ctx := context.Background()
	o, err := org.NewService(st, time.Now).Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	users := account.NewService(st, account.NewHasher(cheap, 1, time.Minute), time.Now)
	if _, err := users.Create(ctx, account.NewUser{OrgID: o.ID, Email: "ada@example.com", Password: secret.New("Correct horse battery 7")}); err != nil {
		t.Fatal(err)
	}
	return account.NewAuthenticator(st, h, time.Now)
}

// Every argon2id computation of a sign-in runs in a slot: the right password, a wrong one
// and an unknown email (its dummy verification) all get ErrBusy from a saturated hasher,
// never a verdict on the password.
func TestAuthenticateBusy(t *testing.T) {
	t.Parallel()
	h := account.NewHasher(cheap, 1, 20*time.Millisecond)
	a := authenticator(t, h)
	ctx := context.Background()
	release := account.HoldSlots(h)
	for name, c := range map[string][2]string{
		"right password": {"ada@example.com", "Correct horse battery 7"},
		"wrong password": {"ada@example.com", "wrong horse battery"},
		"unknown email":  {"nobody@example.com", "Correct horse battery 7"},
	} {
		if _, err := a.Authenticate(ctx, c[0], secret.New(c[1])); !errors.Is(err, account.ErrBusy) {
			t.Errorf("%s with every slot taken: %v, want ErrBusy", name, err)
		}
	}
	release()
	if _, err := a.Authenticate(ctx, "ada@example.com", secret.New("Correct horse battery 7")); err != nil {
		t.Errorf("right password after the slots were given back: %v", err)
	}
}

// Input no account can match is refused before the lookup and the hash: over its bound,
// or not clean text (a NUL byte would otherwise reach PostgreSQL and fail as a 500).
// Input at the bounds is an ordinary failed sign-in.
func TestAuthenticateMalformed(t *testing.T) {
	t.Parallel()
	h := account.NewHasher(cheap, 1, 20*time.Millisecond)
	a := authenticator(t, h)
	ctx := context.Background()
	email320 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 251) + ".com"
	for _, tt := range []struct {
		name, email, password string
		want                  error
	}{
		{"email with NUL", "ada\x00@example.com", "Correct horse battery 7", account.ErrMalformedCredentials},
		{"email invalid UTF-8", "ada\xff@example.com", "Correct horse battery 7", account.ErrMalformedCredentials},
		{"email with a control character", "ada\x1b@example.com", "Correct horse battery 7", account.ErrMalformedCredentials},
		{"email of 321 bytes", email320 + "x", "Correct horse battery 7", account.ErrMalformedCredentials},
		{"password with NUL", "ada@example.com", "correct horse\x00battery", account.ErrMalformedCredentials},
		{"password invalid UTF-8", "ada@example.com", "correct horse battery\xff", account.ErrMalformedCredentials},
		{"password with a tab", "ada@example.com", "correct\thorse battery", account.ErrMalformedCredentials},
		{"password of 1025 bytes", "ada@example.com", strings.Repeat("p", 1025), account.ErrMalformedCredentials},
		{"email of 320 bytes", email320, "Correct horse battery 7", account.ErrBadCredentials},
		{"password of 1024 bytes", "ada@example.com", strings.Repeat("p", 1024), account.ErrBadCredentials},
		{"password of printable Unicode and spaces", "ada@example.com", "Zoë 東京 🔑 horse", account.ErrBadCredentials},
	} {
		_, err := a.Authenticate(ctx, tt.email, secret.New(tt.password))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Authenticate = %v, want %v", tt.name, err, tt.want)
		}
	}
	// Refused before hashing: even a saturated hasher answers malformed input at once.
	defer account.HoldSlots(h)()
	if _, err := a.Authenticate(ctx, "ada\x00@example.com", secret.New("Correct horse battery 7")); !errors.Is(err, account.ErrMalformedCredentials) {
		t.Errorf("malformed input with every slot taken: %v, want ErrMalformedCredentials", err)
	}
}

func TestLogIdentifier(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ada@example.com":                    "ada@example.com",
		"correct horse battery staple":       "invalid_identifier", // a password in the email field
		"Tr0ub4dor&3":                        "invalid_identifier",
		"Ada <ada@example.com>":              "invalid_identifier",
		" ada@example.com":                   "invalid_identifier",
		"\"a\tb\"@example.com":               "invalid_identifier",
		"ada@example.com\nlevel=ERROR msg=x": "invalid_identifier",
		strings.Repeat("a", 300) + "@x.com":  "invalid_identifier",
		"":                                   "invalid_identifier",
	} {
		if got := account.LogIdentifier(in); got != want {
			t.Errorf("LogIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}
