package tlsconf_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/tlsconf"
)

// files writes a certificate pair into a new directory and returns the paths.
func files(t *testing.T, rsaKey bool) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	return certFile, keyFile, testenv.WriteCert(t, certFile, keyFile, rsaKey)
}

// echoServer accepts TLS connections with cfg and echoes each line back, until the test ends.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func roots(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func dial(addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return tls.DialWithDialer(d, "tcp", addr, cfg)
}

// The listener's configuration refuses what lacks forward secrecy or an AEAD cipher, and old
// protocol versions; TLS 1.3 and the ECDHE AEAD suites of TLS 1.2 work. The certificate is
// RSA, so that RSA key exchange would be possible if the configuration allowed it.
func TestConfigRefusesWeakHandshakes(t *testing.T) {
	t.Parallel()
	certFile, keyFile, cert := files(t, true)
	c, err := tlsconf.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := echoServer(t, c.Config())
	tests := []struct {
		name        string
		min, max    uint16
		suites      []uint16
		wantVersion uint16 // 0: the handshake must fail
	}{
		{name: "TLS 1.1", min: tls.VersionTLS10, max: tls.VersionTLS11},
		{name: "TLS 1.0", min: tls.VersionTLS10, max: tls.VersionTLS10},
		{name: "RSA key exchange (no forward secrecy)", max: tls.VersionTLS12, suites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}},
		{name: "ECDHE with CBC (not AEAD)", max: tls.VersionTLS12, suites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}},
		{name: "TLS 1.3", wantVersion: tls.VersionTLS13},
		{name: "TLS 1.2 ECDHE AES-GCM", max: tls.VersionTLS12, suites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, wantVersion: tls.VersionTLS12},
		{name: "TLS 1.2 ECDHE ChaCha20", max: tls.VersionTLS12, suites: []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}, wantVersion: tls.VersionTLS12},
		{name: "TLS 1.2 client offering weak suites first", max: tls.VersionTLS12,
			suites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, wantVersion: tls.VersionTLS12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := dial(addr, &tls.Config{RootCAs: roots(cert), MinVersion: tt.min, MaxVersion: tt.max, CipherSuites: tt.suites})
			if tt.wantVersion == 0 {
				if err == nil {
					st := conn.ConnectionState()
					conn.Close()
					t.Fatalf("handshake succeeded (version %x, suite %s), want it refused", st.Version, tls.CipherSuiteName(st.CipherSuite))
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			if st.Version != tt.wantVersion {
				t.Errorf("version = %x, want %x", st.Version, tt.wantVersion)
			}
			if !slices.Contains(tlsconf.CipherSuites, st.CipherSuite) && st.Version != tls.VersionTLS13 {
				t.Errorf("suite %s is not one of the configured suites", tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}
}

// The fields the handshakes above cannot tell from Go's defaults (which today also start at
// TLS 1.2): the configuration says so itself, so a change of default cannot weaken it.
func TestConfigFields(t *testing.T) {
	t.Parallel()
	certFile, keyFile, _ := files(t, false)
	c, err := tlsconf.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config()
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	for _, s := range cfg.CipherSuites {
		name := tls.CipherSuiteName(s)
		if len(name) < 10 || name[:10] != "TLS_ECDHE_" || !(slices.Contains([]uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}, s)) {
			t.Errorf("suite %s is not ECDHE with AES-GCM or ChaCha20-Poly1305", name)
		}
	}
	if len(cfg.CipherSuites) == 0 || len(cfg.CurvePreferences) == 0 {
		t.Errorf("CipherSuites %v and CurvePreferences %v must be set explicitly", cfg.CipherSuites, cfg.CurvePreferences)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	certFile, keyFile, _ := files(t, false)
	otherCert, otherKey, _ := files(t, false)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]string{
		"missing certificate":      {filepath.Join(t.TempDir(), "none.pem"), keyFile},
		"missing key":              {certFile, filepath.Join(t.TempDir(), "none.pem")},
		"key of another cert":      {certFile, otherKey},
		"certificate is not PEM":   {garbage, keyFile},
		"key is not PEM":           {otherCert, garbage},
		"key given as certificate": {keyFile, keyFile},
	} {
		if _, err := tlsconf.Load(pair[0], pair[1]); err == nil {
			t.Errorf("%s: Load succeeded, want an error", name)
		}
	}
}

// servedCert returns the certificate a new connection to addr is served.
func servedCert(t *testing.T, addr string, trust ...*x509.Certificate) *x509.Certificate {
	t.Helper()
	conn, err := dial(addr, &tls.Config{RootCAs: roots(trust...)})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// echo writes a line on conn and reads it back.
func echo(t *testing.T, conn *tls.Conn, r *bufio.Reader, line string) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(line + "\n")); err != nil {
		t.Fatalf("write on the open connection: %v", err)
	}
	got, err := r.ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("echo on the open connection = %q, %v", got, err)
	}
}

// A reload replaces the certificate for new connections; a connection opened before keeps
// working; a reload that fails keeps the certificate in use.
func TestWatchReloads(t *testing.T) {
	t.Parallel()
	certFile, keyFile, first := files(t, false)
	c, err := tlsconf.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := echoServer(t, c.Config())

	old, err := dial(addr, &tls.Config{RootCAs: roots(first)})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldR := bufio.NewReader(old)
	echo(t, old, oldR, "before")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := make(chan os.Signal)
	results := make(chan error)
	go c.Watch(ctx, hup, func(err error) { results <- err })

	second := testenv.WriteCert(t, certFile, keyFile, false)
	hup <- syscall.SIGHUP
	if err := <-results; err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := servedCert(t, addr, first, second); !got.Equal(second) {
		t.Errorf("after the reload a new connection got %q, want the new certificate %q", got.Subject, second.Subject)
	}
	echo(t, old, oldR, "after")
	if got := old.ConnectionState().PeerCertificates[0]; !got.Equal(first) {
		t.Errorf("the open connection's certificate changed to %q", got.Subject)
	}

	if err := os.WriteFile(keyFile, []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	if err := <-results; err == nil {
		t.Error("reload of a broken key succeeded, want an error")
	}
	if got := servedCert(t, addr, first, second); !got.Equal(second) {
		t.Errorf("after a failed reload a new connection got %q, want the previous certificate %q", got.Subject, second.Subject)
	}
	echo(t, old, oldR, "still")
}

// The same through a real SIGHUP, delivered to this process while a handler of the test's
// own is installed (so the signal's default action, exit, cannot happen).
func TestWatchRealSIGHUP(t *testing.T) {
	certFile, keyFile, first := files(t, false)
	c, err := tlsconf.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan error, 1)
	go c.Watch(ctx, hup, func(err error) { results <- err })

	second := testenv.WriteCert(t, certFile, keyFile, false)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-results:
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no reload within 30s of SIGHUP")
	}
	if got := c.Current().Leaf; got == nil || !got.Equal(second) || got.Equal(first) {
		t.Errorf("after SIGHUP the certificate is not the new one (%q)", second.Subject)
	}
}
