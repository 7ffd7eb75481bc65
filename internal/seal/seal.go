// Package seal encrypts secrets that must be read back (signing keys, TOTP seeds, phone
// numbers) with AES-256-GCM under a master key. A sealed value starts with the ID of the
// key that sealed it, so keys can rotate: new values use the primary key, and values
// sealed under an older key still open while that key stays in the ring.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the length of a master key: 32 bytes for AES-256.
const KeySize = 32

const (
	idSize    = 4
	nonceSize = 12
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = idSize + nonceSize + 16
)

// ErrOpen is returned when a sealed value cannot be opened: it was tampered with, is
// truncated, was sealed for another context, or its key is not in the ring.
var ErrOpen = errors.New("seal: cannot open sealed value")

// Ring holds one primary key, used to seal, and any number of older keys, used only to open.
type Ring struct {
	primary [idSize]byte
	aeads   map[[idSize]byte]cipher.AEAD
}

// NewRing returns a ring whose primary key is primary; older keys open values they sealed.
func NewRing(primary []byte, older ...[]byte) (*Ring, error) {
	r := &Ring{aeads: map[[idSize]byte]cipher.AEAD{}}
	for i, k := range append([][]byte{primary}, older...) {
		if len(k) != KeySize {
			return nil, fmt.Errorf("seal: key %d is %d bytes, want %d", i, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i, err)
		}
		id := keyID(k)
		if _, dup := r.aeads[id]; dup {
			return nil, fmt.Errorf("seal: key %d is given twice", i)
		}
		r.aeads[id] = aead
		if i == 0 {
			r.primary = id
		}
	}
	return r, nil
}

// keyID names a key without revealing it: the first bytes of a domain-separated SHA-256.
func keyID(k []byte) [idSize]byte {
	h := sha256.Sum256(append([]byte("sesame seal key id\x00"), k...))
	var id [idSize]byte
	copy(id[:], h[:])
	return id
}

// Seal encrypts plaintext. context is authenticated but not stored: Open needs the same
// value, so a sealed value copied to another row or purpose does not open
// (for example "signing_key:" + kid).
func (r *Ring) Seal(plaintext []byte, context string) []byte {
	out := make([]byte, idSize+nonceSize, Overhead+len(plaintext))
	copy(out, r.primary[:])
	_, _ = rand.Read(out[idSize:]) // crypto/rand.Read never fails (Go 1.24+).
	return r.aeads[r.primary].Seal(out, out[idSize:], plaintext, aad(out[:idSize], context))
}

// Open decrypts a value made by Seal with the same context.
func (r *Ring) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrOpen
	}
	var id [idSize]byte
	copy(id[:], sealed)
	aead, ok := r.aeads[id]
	if !ok {
		return nil, ErrOpen
	}
	nonce := sealed[idSize : idSize+nonceSize]
	pt, err := aead.Open(nil, nonce, sealed[idSize+nonceSize:], aad(sealed[:idSize], context))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

func aad(id []byte, context string) []byte {
	return append(append([]byte("sesame seal v1\x00"), id...), context...)
}
