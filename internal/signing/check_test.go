package signing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/testenv"
)

// otherKeys returns a key manager over st whose master key is another one.
func otherKeys(t *testing.T, st signing.Store, c *testenv.Clock) *signing.Keys {
	t.Helper()
	ring, err := seal.NewRing([]byte("another-master-key-of-32-bytes!!"))
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewKeys(st, ring, c.Now)
}

// The start-up self-check opens every key that signs now or will, with the process's master
// key: a key that does not open is ErrMasterKey (Invalid: exit 2), and a store with no key
// that signs now is ErrNoActiveKey.
func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	k, c, st := started(t)
	if err := k.Check(ctx); err != nil {
		t.Fatalf("Check with the right master key: %v", err)
	}
	if err := otherKeys(t, st, c).Check(ctx); !errors.Is(err, signing.ErrMasterKey) || !kind.Is(err, kind.Invalid) {
		t.Errorf("Check with another master key = %v, want ErrMasterKey (invalid)", err)
	}
	// A rotation sealed with another master key: the active key still opens, the next does not.
	if _, err := otherKeys(t, st, c).Rotate(ctx, signing.ES256, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := k.Check(ctx); !errors.Is(err, signing.ErrMasterKey) {
		t.Errorf("Check with a pending key it cannot open = %v, want ErrMasterKey", err)
	}

	// Only a future key: nothing signs now.
	k, _, _ = newKeys(t)
	if _, err := k.Rotate(ctx, signing.ES256, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := k.Check(ctx); !errors.Is(err, signing.ErrNoActiveKey) {
		t.Errorf("Check with only a future key = %v, want ErrNoActiveKey", err)
	}
}
