package oidcop

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
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/grant"
)

// Signing algorithms Sesame offers. "none" never is.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// KeyStore persists signing keys.
type KeyStore interface {
	SigningKeys(ctx context.Context, since time.Time) ([]grant.SigningKey, error)
	AddSigningKey(ctx context.Context, k grant.SigningKey, retireOthers, onlyIfNone bool) (bool, error)
}

// Sealer seals private keys at rest.
type Sealer interface {
	Seal(plaintext []byte, context string) []byte
	Open(sealed []byte, context string) ([]byte, error)
}

// Keys manages signing keys: every process reads the same rows, so all agree on the
// active key. A short cache keeps PostgreSQL off the token path; a rotated key is
// published at once and used for signing only from its not_before, later than any cache
// can be stale, so a relying party never sees a kid it cannot find.
type Keys struct {
	store KeyStore
	seal  Sealer
	now   func() time.Time
	ttl   time.Duration

	mu       sync.Mutex
	loadedAt time.Time
	active   *signingKey
	public   []op.Key
}

// KeyCacheTTL is how long a process trusts its copy of the keys.
const KeyCacheTTL = 10 * time.Second

// RotationDelay is how long after `keys rotate` the new key starts signing.
const RotationDelay = 3 * KeyCacheTTL

// KeyRetention is how long a retired key stays published: past any token it signed.
const KeyRetention = client.MaxTokenTTL + 5*time.Minute

// NewKeys returns a key manager.
func NewKeys(store KeyStore, seal Sealer, now func() time.Time) *Keys {
	return &Keys{store: store, seal: seal, now: now, ttl: KeyCacheTTL}
}

// Generate creates a key of alg, sealed, with its kid the JWK thumbprint.
func (k *Keys) Generate(alg string, notBefore time.Time) (grant.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return grant.SigningKey{}, fmt.Errorf("unsupported signing algorithm %q (ES256 or RS256)", alg)
	}
	if err != nil {
		return grant.SigningKey{}, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return grant.SigningKey{}, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	pubJSON, err := pub.MarshalJSON()
	if err != nil {
		return grant.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return grant.SigningKey{}, err
	}
	return grant.SigningKey{
		KID: pub.KeyID, Alg: alg, PublicJWK: pubJSON, NotBefore: notBefore,
		Sealed: k.seal.Seal(der, "signing_key:"+pub.KeyID),
	}, nil
}

// Ensure creates a first key of alg when none is active (first start).
func (k *Keys) Ensure(ctx context.Context, alg string) error {
	key, err := k.Generate(alg, k.now())
	if err != nil {
		return err
	}
	_, err = k.store.AddSigningKey(ctx, key, false, true)
	return err
}

// Rotate adds a new key of alg that starts signing after delay; earlier keys retire then
// and stay published for KeyRetention.
func (k *Keys) Rotate(ctx context.Context, alg string, delay time.Duration) (grant.SigningKey, error) {
	key, err := k.Generate(alg, k.now().Add(delay))
	if err != nil {
		return grant.SigningKey{}, err
	}
	if _, err := k.store.AddSigningKey(ctx, key, true, false); err != nil {
		return grant.SigningKey{}, err
	}
	k.mu.Lock()
	k.loadedAt = time.Time{}
	k.mu.Unlock()
	return key, nil
}

// List returns the published keys, newest first.
func (k *Keys) List(ctx context.Context) ([]grant.SigningKey, error) {
	return k.store.SigningKeys(ctx, k.now().Add(-KeyRetention))
}

// signingKey implements op.SigningKey.
type signingKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (s *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return s.alg }
func (s *signingKey) Key() any                                    { return s.key }
func (s *signingKey) ID() string                                  { return s.kid }

// publicKey implements op.Key.
type publicKey struct{ jwk jose.JSONWebKey }

func (p publicKey) ID() string { return p.jwk.KeyID }
func (p publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(p.jwk.Algorithm)
}
func (p publicKey) Use() string { return "sig" }
func (p publicKey) Key() any    { return p.jwk.Key }

func (k *Keys) load(ctx context.Context) (*signingKey, []op.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.loadedAt.IsZero() && now.Sub(k.loadedAt) < k.ttl && k.active != nil && now.Before(k.loadedAt.Add(k.ttl)) {
		return k.active, k.public, nil
	}
	rows, err := k.store.SigningKeys(ctx, now.Add(-KeyRetention))
	if err != nil {
		return nil, nil, err
	}
	var active *signingKey
	public := make([]op.Key, 0, len(rows))
	for _, r := range rows {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(r.PublicJWK, &jwk); err != nil {
			return nil, nil, fmt.Errorf("signing key %s: %w", r.KID, err)
		}
		public = append(public, publicKey{jwk})
		usable := !r.NotBefore.After(now) && (r.RetiredAt == nil || r.RetiredAt.After(now))
		if active != nil || !usable {
			continue
		}
		der, err := k.seal.Open(r.Sealed, "signing_key:"+r.KID)
		if err != nil {
			return nil, nil, fmt.Errorf("open signing key %s: %w", r.KID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, nil, fmt.Errorf("parse signing key %s: %w", r.KID, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("signing key %s: not a signer", r.KID)
		}
		active = &signingKey{kid: r.KID, alg: jose.SignatureAlgorithm(r.Alg), key: signer}
	}
	if active == nil {
		return nil, nil, errors.New("no active signing key")
	}
	k.active, k.public, k.loadedAt = active, public, now
	return active, public, nil
}

// SigningKey returns the active key.
func (k *Keys) SigningKey(ctx context.Context) (op.SigningKey, error) {
	a, _, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// KeySet returns the published public keys.
func (k *Keys) KeySet(ctx context.Context) ([]op.Key, error) {
	_, pub, err := k.load(ctx)
	return pub, err
}

// SignatureAlgorithms returns the algorithms of the published keys.
func (k *Keys) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	_, pub, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	var algs []jose.SignatureAlgorithm
	for _, p := range pub {
		if a := p.Algorithm(); !containsAlg(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs, nil
}

func containsAlg(algs []jose.SignatureAlgorithm, a jose.SignatureAlgorithm) bool {
	for _, x := range algs {
		if x == a {
			return true
		}
	}
	return false
}
