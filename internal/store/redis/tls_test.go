package redis_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
)

// A rediss:// URL speaks TLS and verifies the server's certificate: a server whose
// certificate no trusted authority signed is refused, and skip_verify, which would accept
// any, is refused too.
func TestConnectTLS(t *testing.T) {
	t.Parallel()
	cert, key := selfSigned(t)
	addr := testenv.StartRedisTLS(t, cert, key)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, err := redis.Connect("rediss://"+addr+"/0", testenv.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var unknown x509.UnknownAuthorityError
	if err := c.Ping(ctx).Err(); !errors.As(err, &unknown) {
		t.Errorf("Ping over TLS to a server with a self-signed certificate = %v, want x509.UnknownAuthorityError", err)
	}
	if _, err := redis.Connect("rediss://"+addr+"/0?skip_verify=true", testenv.Timeout); !kind.Is(err, kind.Invalid) {
		t.Errorf("Connect with skip_verify = %v, want kind invalid", err)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key, and returns the files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for f, b := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: pkcs8}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}
