package signing_test

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newKeys(t *testing.T) (*signing.Keys, *testenv.Clock, signing.Store) {
	t.Helper()
	ring, err := seal.NewRing([]byte("sesame-test-master-key-32-bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	st := testenv.PostgresStore(t)
	c := testenv.NewClock(t0)
	return signing.NewKeys(st, ring, c.Now), c, st
}

// started is newKeys after a first start: one ES256 key.
func started(t *testing.T) (*signing.Keys, *testenv.Clock, signing.Store) {
	t.Helper()
	k, c, st := newKeys(t)
	if err := k.Ensure(context.Background(), signing.ES256); err != nil {
		t.Fatal(err)
	}
	return k, c, st
}

func TestCheckAlg(t *testing.T) {
	t.Parallel()
	for alg, ok := range map[string]bool{"ES256": true, "RS256": true, "none": false, "HS256": false, "es256": false, "": false} {
		if err := signing.CheckAlg(alg); (err == nil) != ok || (err != nil && !errors.Is(err, signing.ErrAlg)) {
			t.Errorf("CheckAlg(%q) = %v, want ok=%v", alg, err, ok)
		}
	}
}

// Several processes starting at once create one first key, not one each.
func TestEnsureOnce(t *testing.T) {
	t.Parallel()
	k, _, st := newKeys(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	testenv.Together(10, func(int) {
		if err := k.Ensure(ctx, signing.ES256); err != nil {
			t.Errorf("Ensure: %v", err)
		}
	})
	keys, err := st.SigningKeys(ctx, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Alg != signing.ES256 {
		t.Fatalf("after 10 concurrent Ensure: %d keys %+v, want one ES256 key", len(keys), keys)
	}
	a, err := k.Active(ctx)
	if err != nil || a.KID != keys[0].KID || string(a.Alg) != signing.ES256 {
		t.Errorf("Active = %+v, %v; want %s", a, err, keys[0].KID)
	}
	if _, err := x509.ParsePKCS8PrivateKey(keys[0].Sealed); err == nil || len(keys[0].Sealed) < 100 {
		t.Error("the stored private key is not sealed")
	}
}

// A rotated key is published at once and signs from its not_before; the old key signs until
// then and stays published for Retention after it.
func TestRotate(t *testing.T) {
	t.Parallel()
	k, c, _ := started(t)
	ctx := context.Background()
	first, err := k.Active(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-time.Second, signing.MaxActivationDelay + time.Second, 100000 * time.Hour} {
		if _, err := k.Rotate(ctx, signing.ES256, d); kind.Of(err) != kind.Invalid {
			t.Errorf("Rotate with the delay %s = %v, want an Invalid error", d, err)
		}
	}
	if _, err := k.Rotate(ctx, "none", 0); !errors.Is(err, signing.ErrAlg) {
		t.Errorf("Rotate(none) = %v, want ErrAlg", err)
	}
	next, err := k.Rotate(ctx, signing.RS256, signing.RotationDelay)
	if err != nil {
		t.Fatal(err)
	}
	if !next.NotBefore.Equal(t0.Add(signing.RotationDelay)) || next.NotBefore.Nanosecond()%1000 != 0 {
		t.Errorf("NotBefore = %v, want %v in microseconds", next.NotBefore, t0.Add(signing.RotationDelay))
	}
	kids := func() []string {
		pub, err := k.Public(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range pub {
			out = append(out, p.KeyID)
		}
		return out
	}
	if got := kids(); !slices.Contains(got, next.KID) || !slices.Contains(got, first.KID) {
		t.Errorf("JWKS right after rotation = %v, want both %s and %s", got, first.KID, next.KID)
	}
	if a, _ := k.Active(ctx); a.KID != first.KID {
		t.Errorf("Active before not_before = %s, want the first key %s", a.KID, first.KID)
	}
	if algs, _ := k.Algorithms(ctx); !slices.Equal(algs, []string{"RS256", "ES256"}) {
		t.Errorf("Algorithms = %v, want [RS256 ES256]", algs)
	}
	c.Set(next.NotBefore)
	if a, _ := k.Active(ctx); a.KID != next.KID || string(a.Alg) != signing.RS256 {
		t.Errorf("Active at not_before = %+v, want the new RS256 key", a)
	}
	c.Set(next.NotBefore.Add(signing.Retention - time.Second))
	if got := kids(); !slices.Contains(got, first.KID) {
		t.Errorf("JWKS just inside the retention = %v, want the retired key still published", got)
	}
	c.Set(next.NotBefore.Add(signing.Retention + signing.CacheTTL))
	if got := kids(); slices.Contains(got, first.KID) || !slices.Contains(got, next.KID) {
		t.Errorf("JWKS past the retention = %v, want only %s", got, next.KID)
	}
}

// The cache serves for CacheTTL, so PostgreSQL is off the token path; after it, a key added
// by another process is seen.
func TestKeyCache(t *testing.T) {
	t.Parallel()
	k, c, st := started(t)
	ctx := context.Background()
	if _, err := k.Active(ctx); err != nil {
		t.Fatal(err)
	}
	other, _, _ := newKeys(t) // another process: same sealing key, its own store
	added, err := other.Generate(signing.ES256, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RotateSigningKey(ctx, added); err != nil {
		t.Fatal(err)
	}
	if pub, _ := k.Public(ctx); len(pub) != 1 {
		t.Errorf("within the cache TTL: %d keys, want the cached 1", len(pub))
	}
	c.Advance(signing.CacheTTL)
	if pub, _ := k.Public(ctx); len(pub) != 2 {
		t.Errorf("after the cache TTL: %d keys, want 2", len(pub))
	}
}

// With no key, or only keys that may not sign yet, there is no active key.
func TestNoActiveKey(t *testing.T) {
	t.Parallel()
	k, _, st := newKeys(t)
	ctx := context.Background()
	if _, err := k.Active(ctx); !errors.Is(err, signing.ErrNoActiveKey) {
		t.Errorf("Active with no key = %v, want ErrNoActiveKey", err)
	}
	future, err := k.Generate(signing.ES256, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddFirstSigningKey(ctx, future); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Active(ctx); !errors.Is(err, signing.ErrNoActiveKey) {
		t.Errorf("Active with only a future key = %v, want ErrNoActiveKey", err)
	}
}
