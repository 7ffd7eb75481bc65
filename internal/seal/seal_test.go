package seal

import (
	"bytes"
	"errors"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustRing(t testing.TB, primary []byte, older ...[]byte) *Ring {
	t.Helper()
	r, err := NewRing(primary, older...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	r := mustRing(t, key(1))
	for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		sealed := r.Seal(pt, "ctx")
		if len(sealed) != len(pt)+Overhead {
			t.Errorf("len(Seal) = %d, want %d", len(sealed), len(pt)+Overhead)
		}
		got, err := r.Open(sealed, "ctx")
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open(Seal(%d bytes)) = %d bytes, %v", len(pt), len(got), err)
		}
	}
	a, b := r.Seal([]byte("same"), "ctx"), r.Seal([]byte("same"), "ctx")
	if bytes.Equal(a, b) {
		t.Error("two seals of one plaintext are equal: nonce reused")
	}
}

func TestOpenRefuses(t *testing.T) {
	r := mustRing(t, key(1))
	sealed := r.Seal([]byte("top secret"), "signing_key:a")
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name    string
		ring    *Ring
		sealed  []byte
		context string
	}{
		{"tampered key id", r, flip(0), "signing_key:a"},
		{"tampered nonce", r, flip(idSize), "signing_key:a"},
		{"tampered ciphertext", r, flip(idSize + nonceSize), "signing_key:a"},
		{"tampered tag", r, flip(len(sealed) - 1), "signing_key:a"},
		{"truncated", r, sealed[:len(sealed)-1], "signing_key:a"},
		{"too short", r, sealed[:Overhead-1], "signing_key:a"},
		{"empty", r, nil, "signing_key:a"},
		{"other context", r, sealed, "signing_key:b"},
		{"wrong key", mustRing(t, key(2)), sealed, "signing_key:a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.sealed, tt.context)
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Errorf("Open = %q, %v; want nil, ErrOpen", got, err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := mustRing(t, key(1))
	sealedOld := old.Seal([]byte("v"), "c")
	rotated := mustRing(t, key(2), key(1))
	if got, err := rotated.Open(sealedOld, "c"); err != nil || string(got) != "v" {
		t.Errorf("rotated.Open(old value) = %q, %v", got, err)
	}
	sealedNew := rotated.Seal([]byte("v"), "c")
	if _, err := old.Open(sealedNew, "c"); !errors.Is(err, ErrOpen) {
		t.Errorf("old ring opened a value sealed under the new primary: %v", err)
	}
	if string(sealedNew[:idSize]) == string(sealedOld[:idSize]) {
		t.Error("values sealed under different primary keys carry the same key ID")
	}
}

func TestNewRingRejectsBadKeys(t *testing.T) {
	for _, tt := range []struct {
		name string
		keys [][]byte
	}{
		{"short", [][]byte{key(1)[:16]}},
		{"long", [][]byte{append(key(1), 0)}},
		{"duplicate", [][]byte{key(1), key(1)}},
	} {
		if _, err := NewRing(tt.keys[0], tt.keys[1:]...); err == nil {
			t.Errorf("%s: NewRing succeeded", tt.name)
		}
	}
}

func FuzzOpen(f *testing.F) {
	r := mustRing(f, key(1))
	f.Add(r.Seal([]byte("seed"), "c"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		if pt, err := r.Open(sealed, "c"); err == nil {
			// Only a genuine seal opens; re-sealing must round-trip.
			if got, err := r.Open(r.Seal(pt, "c"), "c"); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("round trip of opened value failed: %v", err)
			}
		}
	})
}
