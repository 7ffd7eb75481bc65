package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/testenv"
)

func authenticator(t testing.TB) *account.Authenticator {
	st := postgres.New(testenv.Pool(t), testenv.Timeout)
	ctx := context.Background()
	o, err := org.NewService(st, time.Now).Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	users := account.NewService(st, account.NewHasher(account.DefaultParams, 1, time.Minute), time.Now)
	if _, err := users.Create(ctx, account.NewUser{OrgID: o.ID, Email: "ada@example.com", Password: secret.New("Correct horse battery 7")}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Create(ctx, account.NewUser{OrgID: o.ID, Email: "pending@example.com"}); err != nil {
		t.Fatal(err)
	}
	return account.NewAuthenticator(st, account.NewHasher(account.DefaultParams, 1, time.Minute), time.Now)
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	a := authenticator(t)
	ctx := context.Background()
	if u, err := a.Authenticate(ctx, "ADA@example.com", secret.New("Correct horse battery 7")); err != nil || u.Email != "ada@example.com" {
		t.Errorf("right password: %v, %v", u.Email, err)
	}
	for name, c := range map[string][2]string{
		"unknown email":    {"nobody@example.com", "Correct horse battery 7"},
		"wrong password":   {"ada@example.com", "correct horse batterz"},
		"pending, no hash": {"pending@example.com", "anything at all"},
		"empty password":   {"ada@example.com", ""},
	} {
		if _, err := a.Authenticate(ctx, c[0], secret.New(c[1])); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("%s: %v, want ErrBadCredentials (one answer for every failure)", name, err)
		}
	}
	if _, err := a.UserByID(ctx, uuid.New()); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("UserByID(unknown) = %v", err)
	}
}

// The three benchmarks should report about the same ns/op: an unknown email costs one
// argon2id verification (against a dummy hash), as a wrong password does.
func BenchmarkAuthenticate(b *testing.B) {
	a := authenticator(b)
	ctx := context.Background()
	for _, c := range []struct{ name, email, pw string }{
		{"right_password", "ada@example.com", "Correct horse battery 7"},
		{"wrong_password", "ada@example.com", "wrong horse battery"},
		{"unknown_email", "nobody@example.com", "Correct horse battery 7"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = a.Authenticate(ctx, c.email, secret.New(c.pw))
			}
		})
	}
}
