// Package signing owns the keys tokens are signed with: generating them, sealing the
// private half at rest, rotating them (a new key is published before it signs), caching
// them per process, and the public key set (JWKS). Every process reads the same rows, so
// all agree on the active key.
package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
)

// Signing algorithms Sesame offers. "none" never is.
const (
	ES256 = "ES256"
	RS256 = "RS256"
)

// Algorithms are the algorithms a signing key may use.
var Algorithms = []string{ES256, RS256}

// ErrAlg is returned for an algorithm Sesame does not sign with.
var ErrAlg = kind.New(kind.Invalid, "must be ES256 or RS256")

// ErrNoActiveKey: no key may sign now (the store holds none, or only future ones).
var ErrNoActiveKey = kind.New(kind.Internal, "no active signing key")

// ErrMasterKey: a stored signing key that signs now or will does not open with the master
// key in use. It is the operator's to fix (the wrong SESAME_MASTER_KEY), so it is Invalid.
var ErrMasterKey = kind.New(kind.Invalid, "the master key cannot open the stored signing keys: "+
	"SESAME_MASTER_KEY is not the key they were sealed with")

// CheckAlg returns ErrAlg unless alg is one of Algorithms: the one check of a signing
// algorithm (configuration, CLI, key generation).
func CheckAlg(alg string) error {
	if !slices.Contains(Algorithms, alg) {
		return ErrAlg
	}
	return nil
}

// Key is a stored signing key.
type Key struct {
	KID       string
	Alg       string // ES256 or RS256
	Sealed    []byte // private key, PKCS#8, sealed with the master key
	PublicJWK []byte // JSON
	NotBefore time.Time
	RetiredAt *time.Time
	CreatedAt time.Time
}

// Store persists signing keys.
type Store interface {
	SigningKeys(ctx context.Context, since time.Time) ([]Key, error)
	// AddFirstSigningKey inserts k unless an unretired key exists, and reports whether it did.
	AddFirstSigningKey(ctx context.Context, k Key) (bool, error)
	// RotateSigningKey inserts k and retires every other unretired key as of k.NotBefore.
	RotateSigningKey(ctx context.Context, k Key) error
}

// Sealer seals private keys at rest.
type Sealer interface {
	Seal(plaintext []byte, context string) []byte
	Open(sealed []byte, context string) ([]byte, error)
}

// Keys manages signing keys. A short cache keeps PostgreSQL off the token path; a rotated
// key is published at once and used for signing only from its not_before, later than any
// cache can be stale, so a relying party never sees a kid it cannot find.
type Keys struct {
	store Store
	seal  Sealer
	now   func() time.Time

	mu       sync.Mutex
	loadedAt time.Time
	active   *Active
	public   []jose.JSONWebKey
}

// CacheTTL is how long a process trusts its copy of the keys.
const CacheTTL = 10 * time.Second

// RotationDelay is how long after `keys rotate` the new key starts signing.
const RotationDelay = 3 * CacheTTL

// Retention is how long a retired key stays published: past any token it signed.
const Retention = client.MaxTokenTTL + 5*time.Minute

// MaxActivationDelay bounds how far ahead a rotation may be scheduled: a key published but
// not signing for longer is a mistake (a typed 100000h), not a plan.
const MaxActivationDelay = 30 * 24 * time.Hour

// NewKeys returns a key manager.
func NewKeys(store Store, seal Sealer, now func() time.Time) *Keys {
	return &Keys{store: store, seal: seal, now: now}
}

// Generate creates a key of alg, sealed, with its kid the JWK thumbprint.
func (k *Keys) Generate(alg string, notBefore time.Time) (Key, error) {
	if err := CheckAlg(alg); err != nil {
		return Key{}, fmt.Errorf("signing algorithm %q: %w", alg, err)
	}
	var priv crypto.Signer
	var err error
	if alg == ES256 {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return Key{}, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return Key{}, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	pubJSON, err := pub.MarshalJSON()
	if err != nil {
		return Key{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, err
	}
	// PostgreSQL keeps microseconds: what Generate returns is what the store will hold.
	return Key{
		KID: pub.KeyID, Alg: alg, PublicJWK: pubJSON, NotBefore: notBefore.Truncate(time.Microsecond),
		CreatedAt: k.now().Truncate(time.Microsecond),
		Sealed:    k.seal.Seal(der, sealContext(pub.KeyID)),
	}, nil
}

func sealContext(kid string) string { return "signing_key:" + kid }

// Ensure creates a first key of alg when none is active (first start).
func (k *Keys) Ensure(ctx context.Context, alg string) error {
	key, err := k.Generate(alg, k.now())
	if err != nil {
		return err
	}
	_, err = k.store.AddFirstSigningKey(ctx, key)
	return err
}

// Check opens every stored key that signs now or will (not retired), and finds one that
// signs now: the start-up self-check, so a process with the wrong master key stops instead
// of serving without a usable key. A key that does not open is ErrMasterKey.
func (k *Keys) Check(ctx context.Context) error {
	now := k.now()
	keys, err := k.store.SigningKeys(ctx, now) // the keys not retired by now
	if err != nil {
		return err
	}
	active := false
	for _, r := range keys {
		if _, err := k.open(r); err != nil {
			return fmt.Errorf("%w (%v)", ErrMasterKey, err)
		}
		active = active || !r.NotBefore.After(now)
	}
	if !active {
		return ErrNoActiveKey
	}
	return nil
}

// Rotate adds a new key of alg that starts signing after delay; earlier keys retire then
// and stay published for Retention.
func (k *Keys) Rotate(ctx context.Context, alg string, delay time.Duration) (Key, error) {
	if delay < 0 || delay > MaxActivationDelay {
		return Key{}, kind.New(kind.Invalid, fmt.Sprintf("the activation delay must be from 0 to %s", MaxActivationDelay))
	}
	key, err := k.Generate(alg, k.now().Add(delay))
	if err != nil {
		return Key{}, err
	}
	if err := k.store.RotateSigningKey(ctx, key); err != nil {
		return Key{}, err
	}
	k.mu.Lock()
	k.loadedAt = time.Time{}
	k.mu.Unlock()
	return key, nil
}

// List returns the published keys, newest first.
func (k *Keys) List(ctx context.Context) ([]Key, error) {
	return Published(ctx, k.store, k.now())
}

// Published returns the keys published at now, newest first. It reads public halves and dates
// only, so it needs no master key (`sesame keys list`).
func Published(ctx context.Context, store Store, now time.Time) ([]Key, error) {
	return store.SigningKeys(ctx, now.Add(-Retention))
}

// Active is the key that signs now.
type Active struct {
	KID    string
	Alg    jose.SignatureAlgorithm
	Signer crypto.Signer
}

func (k *Keys) load(ctx context.Context) (*Active, []jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if k.active != nil && !now.Before(k.loadedAt) && now.Before(k.loadedAt.Add(CacheTTL)) {
		return k.active, k.public, nil
	}
	rows, err := k.store.SigningKeys(ctx, now.Add(-Retention))
	if err != nil {
		return nil, nil, err
	}
	var active *Active
	public := make([]jose.JSONWebKey, 0, len(rows))
	for _, r := range rows {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(r.PublicJWK, &jwk); err != nil {
			return nil, nil, fmt.Errorf("signing key %s: %w", r.KID, err)
		}
		public = append(public, jwk)
		usable := !r.NotBefore.After(now) && (r.RetiredAt == nil || r.RetiredAt.After(now))
		if active != nil || !usable {
			continue
		}
		if active, err = k.open(r); err != nil {
			return nil, nil, err
		}
	}
	if active == nil {
		return nil, nil, ErrNoActiveKey
	}
	k.active, k.public, k.loadedAt = active, public, now
	return active, public, nil
}

func (k *Keys) open(r Key) (*Active, error) {
	der, err := k.seal.Open(r.Sealed, sealContext(r.KID))
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", r.KID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", r.KID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a signer", r.KID)
	}
	return &Active{KID: r.KID, Alg: jose.SignatureAlgorithm(r.Alg), Signer: signer}, nil
}

// Active returns the key that signs now.
func (k *Keys) Active(ctx context.Context) (*Active, error) {
	a, _, err := k.load(ctx)
	return a, err
}

// Public returns the published public keys (the JWKS).
func (k *Keys) Public(ctx context.Context) ([]jose.JSONWebKey, error) {
	_, pub, err := k.load(ctx)
	return pub, err
}

// Algorithms returns the algorithms of the published keys, once each.
func (k *Keys) Algorithms(ctx context.Context) ([]string, error) {
	_, pub, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	var algs []string
	for _, p := range pub {
		if !slices.Contains(algs, p.Algorithm) {
			algs = append(algs, p.Algorithm)
		}
	}
	return algs, nil
}
