package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"
)

// CA is a certificate authority made for one test, and the one server certificate it
// issued: nothing outside the test trusts it, and it trusts nothing else.
type CA struct {
	Pool *x509.CertPool  // the CA alone, for the test's own HTTP clients
	Leaf tls.Certificate // the server's certificate and key, for the hosts NewCA was given
}

// NewCA makes a CA and a server certificate for hosts (DNS names or IP literals), valid
// from an hour ago for a day of real time (browsers check it against their own clock, not
// the harness's).
func NewCA(t testing.TB, hosts ...string) *CA {
	t.Helper()
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Sesame test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	caCert, caKey := issue(t, caTmpl, nil, nil)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	leaf, key := issue(t, tmpl, caCert, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &CA{Pool: pool, Leaf: tls.Certificate{Certificate: [][]byte{leaf.Raw, caCert.Raw}, PrivateKey: key, Leaf: leaf}}
}

// issue makes a P-256 key and a certificate of tmpl for it, signed by parent's key (nil:
// self-signed).
func issue(t testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// SPKIHash is the base64 SHA-256 of the server certificate's public key, the form
// Chromium's --ignore-certificate-errors-spki-list takes: a browser given it accepts this
// one key and no other untrusted certificate.
func (ca *CA) SPKIHash() string {
	sum := sha256.Sum256(ca.Leaf.Leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ServerConfig is a TLS configuration serving the CA's certificate.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.Leaf}, MinVersion: tls.VersionTLS12}
}

// Transport is an HTTP transport trusting the CA alone.
func (ca *CA) Transport() *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}}
}
