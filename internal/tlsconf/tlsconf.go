// Package tlsconf owns the TLS of Sesame's listener: the configuration it accepts (TLS 1.2 at
// least, TLS 1.3 whenever the client has it, and under TLS 1.2 only ECDHE key exchange with an
// AEAD cipher, so every connection has forward secrecy) and the certificate, read from its
// files and reloaded on a signal without dropping a connection.
package tlsconf

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"sync/atomic"
)

// CipherSuites are the TLS 1.2 suites Sesame accepts: ECDHE key exchange (forward secrecy)
// with AES-GCM or ChaCha20-Poly1305 (AEAD). TLS 1.3's suites are all of that kind and are
// not configurable. Both AES-128-GCM suites are here because HTTP/2 requires one of them
// (RFC 7540 §9.2.2).
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Curves are the key-exchange groups offered: the hybrid post-quantum X25519MLKEM768 for
// clients that have it, then X25519, P-256 and P-384.
var Curves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}

// Certificate is the listener's certificate, loaded from a PEM certificate chain and key.
// Reload replaces it atomically: a handshake uses the certificate current when it starts, and
// connections already open are not touched.
type Certificate struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
}

// Load reads the certificate chain and key from their files.
func Load(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again. On failure the previous certificate stays in use.
func (c *Certificate) Reload() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.current.Store(&cert)
	return nil
}

// Current returns the certificate in use.
func (c *Certificate) Current() *tls.Certificate { return c.current.Load() }

// Config returns the server configuration: the versions, suites and curves above, and the
// certificate current at each handshake.
func (c *Certificate) Config() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     CipherSuites,
		CurvePreferences: Curves,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.current.Load(), nil
		},
	}
}

// Watch reloads the certificate each time a signal arrives on signals (SIGHUP in `sesame
// serve`), reporting each attempt's result to done, until ctx ends.
func (c *Certificate) Watch(ctx context.Context, signals <-chan os.Signal, done func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			done(c.Reload())
		}
	}
}
