package redis_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
)

// A transaction round-trips through its record unchanged.
func TestTransactionRoundTrip(t *testing.T) {
	s, ctx, now := fixture(t)
	now = now.UTC().Truncate(time.Millisecond)
	maxAge := uint(30)
	want := login.Transaction{
		ID: "tx-rt",
		Request: login.Request{ClientID: "c", RedirectURI: "https://rp.example/cb", Scopes: []string{"openid", "email"},
			State: "s", Nonce: "n", ResponseMode: "form_post", CodeChallenge: "ch", CodeChallengeMethod: "S256",
			Prompt: []string{"login"}, MaxAge: &maxAge, LoginHint: "ada@example.com", HintSubject: "sub"},
		Client: login.Client{Name: "Web"}, CSRF: "csrf", BindingHash: []byte{1, 2, 3}, CreatedAt: now,
		UserID: "u", OrgID: "o", Passed: []login.Step{login.StepPassword}, AuthTime: now,
	}
	want.Client.Lifetimes.AccessTokenTTL = 5 * time.Minute
	if err := s.CreateTransaction(ctx, want, now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	got, err := s.Transaction(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Transaction(%q) mismatch (-want +got):\n%s", want.ID, diff)
	}
	if err := s.CreateTransaction(ctx, want, now, now); !errors.Is(err, login.ErrExpired) {
		t.Errorf("CreateTransaction already expired = %v, want ErrExpired", err)
	}
}

// 50 concurrent updates of one transaction all land: none is lost to a read-modify-write
// race. An updater's error aborts its update, and a missing transaction is never created.
func TestUpdateTransactionAtomic(t *testing.T) {
	s, ctx, now := fixture(t)
	if err := s.CreateTransaction(ctx, login.Transaction{ID: "tx-up", CreatedAt: now}, now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	testenv.Together(50, func(i int) {
		_, err := s.UpdateTransaction(ctx, "tx-up", func(t login.Transaction) (login.Transaction, error) {
			t.Passed = append(t.Passed, login.Step(fmt.Sprint(i)))
			return t, nil
		})
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	})
	got, err := s.Transaction(ctx, "tx-up")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Passed) != 50 {
		t.Errorf("after 50 concurrent updates %d steps were recorded, want 50 (lost updates)", len(got.Passed))
	}
	boom := errors.New("boom")
	_, err = s.UpdateTransaction(ctx, "tx-up", func(t login.Transaction) (login.Transaction, error) {
		t.Passed = nil
		return t, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("updater error = %v, want boom", err)
	}
	if got2, _ := s.Transaction(ctx, "tx-up"); len(got2.Passed) != 50 || !slices.Equal(got2.Passed, got.Passed) {
		t.Error("a failed update changed the transaction")
	}
	if _, err := s.UpdateTransaction(ctx, "missing", func(t login.Transaction) (login.Transaction, error) { return t, nil }); !errors.Is(err, login.ErrExpired) {
		t.Errorf("update of a missing transaction = %v, want ErrExpired", err)
	}
	if _, err := s.Transaction(ctx, "missing"); !errors.Is(err, login.ErrExpired) {
		t.Errorf("update created a missing transaction: %v", err)
	}
}
