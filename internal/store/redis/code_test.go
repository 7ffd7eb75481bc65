package redis_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/token"
)

// A code is taken once: 50 parallel takes give one authorization and 49 replays naming it.
func TestTakeCodeOnce(t *testing.T) {
	s, ctx, _ := fixture(t)
	a := token.Authorization{GrantID: "grant-1", ClientID: "c", CodeChallenge: "ch", Scopes: []string{"openid"}, UserID: "u", AMR: []string{"pwd"}}
	if err := s.IssueCode(ctx, "the-code", a); err != nil {
		t.Fatal(err)
	}
	// Presented by another client, or with another verifier: refused, and left untouched.
	for _, who := range [][2]string{{"other-client", "ch"}, {"c", "other-challenge"}, {"", ""}} {
		if _, _, err := s.TakeCode(ctx, "the-code", who[0], who[1]); !errors.Is(err, token.ErrNotFound) {
			t.Errorf("TakeCode by %q with %q = %v, want ErrNotFound", who[0], who[1], err)
		}
	}
	results := make(chan error, 50)
	testenv.Together(50, func(int) {
		got, grantID, err := s.TakeCode(ctx, "the-code", "c", "ch")
		if err == nil && (got.GrantID != "grant-1" || got.ClientID != "c" || grantID != "grant-1") {
			t.Errorf("take = %+v / %q", got, grantID)
		}
		if errors.Is(err, token.ErrReused) && grantID != "grant-1" {
			t.Errorf("replay names grant %q, want grant-1", grantID)
		}
		results <- err
	})
	close(results)
	var ok, reused int
	for err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, token.ErrReused):
			reused++
		default:
			t.Errorf("take: %v", err)
		}
	}
	if ok != 1 || reused != 49 {
		t.Errorf("%d takes succeeded and %d saw a replay, want 1 and 49", ok, reused)
	}
	if _, _, err := s.TakeCode(ctx, "never-issued", "c", "ch"); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("unknown code: %v, want ErrNotFound", err)
	}
	// A replay by another client learns nothing and revokes nothing.
	if _, grantID, err := s.TakeCode(ctx, "the-code", "other-client", "ch"); !errors.Is(err, token.ErrNotFound) || grantID != "" {
		t.Errorf("replay by another client = %q, %v; want ErrNotFound", grantID, err)
	}
}

// Issuing the code of a stored transaction consumes the transaction in the same step: of
// two callbacks racing, one issues a code and the other finds the transaction gone.
func TestIssueCodeConsumesTransaction(t *testing.T) {
	s, ctx, now := fixture(t)
	tx := login.Transaction{ID: "tx-1", CSRF: "c", CreatedAt: now, UserID: "u", Passed: []login.Step{login.StepPassword}}
	if err := s.CreateTransaction(ctx, tx, now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	a := token.Authorization{GrantID: tx.ID, ClientID: "c", UserID: "u"}
	if err := s.FinishTransaction(ctx, "code-a", a); err != nil {
		t.Fatalf("first issue: %v", err)
	}
	if err := s.FinishTransaction(ctx, "code-b", a); !errors.Is(err, login.ErrExpired) {
		t.Errorf("second issue for the same transaction: %v, want ErrExpired", err)
	}
	if _, err := s.Transaction(ctx, tx.ID); !errors.Is(err, login.ErrExpired) {
		t.Errorf("transaction after its code was issued: %v, want ErrExpired", err)
	}
	if _, _, err := s.TakeCode(ctx, "code-b", "c", ""); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("the refused code was stored: %v", err)
	}
	if got, _, err := s.TakeCode(ctx, "code-a", "c", ""); err != nil || got.GrantID != tx.ID {
		t.Errorf("take code-a = %+v, %v", got, err)
	}
}
