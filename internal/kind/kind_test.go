package kind

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type policyError struct{}

func (policyError) Error() string { return "password too short" }
func (policyError) Kind() Kind    { return Invalid }

func TestOf(t *testing.T) {
	notFound := New(NotFound, "user not found")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Internal},
		{"plain", errors.New("boom"), Internal},
		{"sentinel", notFound, NotFound},
		{"wrapped sentinel", fmt.Errorf("load user %s: %w", "x", notFound), NotFound},
		{"typed", fmt.Errorf("create: %w", policyError{}), Invalid},
		{"adapter outage", fmt.Errorf("take code: %w", Wrap(Unavailable, errors.New("dial tcp: refused"))), Unavailable},
		{"outermost kind wins", Wrap(Unavailable, notFound), Unavailable},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Unavailable},
		{"canceled is not an outage", context.Canceled, Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
	if Wrap(Unavailable, nil) != nil {
		t.Error("Wrap(nil) != nil")
	}
	if !errors.Is(fmt.Errorf("x: %w", notFound), notFound) {
		t.Error("a sentinel is not found by errors.Is through wrapping")
	}
	if got := Wrap(Conflict, errors.New("dup")).Error(); got != "dup" {
		t.Errorf("Wrap changed the text: %q", got)
	}
	if !Is(notFound, NotFound) || Is(nil, Internal) {
		t.Error("Is")
	}
	for k := Internal; k <= Unavailable+1; k++ {
		if k.String() == "" {
			t.Errorf("Kind(%d) has no name", k)
		}
	}
}
