package cli_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/testenv"
)

// tlsEnv is serveEnv with an https issuer and a certificate pair written to a new directory.
func tlsEnv(t *testing.T) (env map[string]string, certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	rURL, _ := testenv.Redis(t)
	env = serveEnv(t, testenv.PostgresURL(t), rURL)
	env["SESAME_ISSUER"] = "https://" + env["SESAME_LISTEN"]
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// RSA, so that RSA key exchange would be possible if the listener allowed it.
	cert = testenv.WriteCert(t, certFile, keyFile, true)
	env["SESAME_TLS_CERT_FILE"], env["SESAME_TLS_KEY_FILE"] = certFile, keyFile
	return env, certFile, keyFile, cert
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// get fetches url over c and reports whether the connection was reused.
func get(t *testing.T, c *http.Client, url string) (*http.Response, bool) {
	t.Helper()
	var reused bool
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
	}))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, reused
}

// `sesame serve` with TLS files: TLS 1.3 (and HTTP/2) for a modern client; TLS 1.1 and a
// suite without forward secrecy refused; HSTS on the JSON endpoints; on SIGHUP the new
// certificate is served to new connections while an open one keeps working.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	// A handler of the test's own, installed first: the SIGHUP below can never take the
	// signal's default action (exit) whatever the server has installed by then.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	env, certFile, keyFile, first := tlsEnv(t)
	startServer(t, env)
	addr := env["SESAME_LISTEN"]
	base := "https://" + addr

	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool(first)}, ForceAttemptHTTP2: true}}
	resp, _ := get(t, c, base+"/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 || resp.ProtoMajor != 2 {
		t.Errorf("discovery over TLS: status %d, TLS %v, proto %s; want 200 over TLS 1.3 and HTTP/2", resp.StatusCode, resp.TLS != nil, resp.Proto)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=31536000") {
		t.Errorf("discovery (JSON) HSTS = %q, want max-age=31536000", got)
	}

	for name, cfg := range map[string]*tls.Config{
		"TLS 1.1":                  {MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11},
		"RSA key exchange, no PFS": {MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}},
	} {
		cfg.RootCAs = pool(first)
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
		if err == nil {
			st := conn.ConnectionState()
			conn.Close()
			t.Errorf("%s: handshake succeeded (version %x, %s), want it refused", name, st.Version, tls.CipherSuiteName(st.CipherSuite))
		}
	}

	second := testenv.WriteCert(t, certFile, keyFile, true)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var served *x509.Certificate
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool(first, second)})
		if err != nil {
			t.Fatal(err)
		}
		served = conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		if served.Equal(second) || time.Now().After(deadline) {
			break
		}
	}
	if !served.Equal(second) {
		t.Fatalf("30s after SIGHUP new connections still get %q, want %q", served.Subject, second.Subject)
	}
	// The connection opened before the reload still works, with the first certificate.
	resp, reused := get(t, c, base+"/healthz")
	if !reused || resp.StatusCode != http.StatusOK || !resp.TLS.PeerCertificates[0].Equal(first) {
		t.Errorf("after the reload, the open connection: reused %v, status %d; want 200 on it", reused, resp.StatusCode)
	}
}

// With an http issuer (no TLS), no response asks for HSTS: it would bind a loopback name
// to https.
func TestServeNoHSTSOverHTTP(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	s := startServer(t, serveEnv(t, testenv.PostgresURL(t), rURL))
	resp, err := http.Get(s.Base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS over http = %q, want none", got)
	}
}

// A certificate that cannot be loaded is a configuration error: exit 2, one line, before any
// database is contacted.
func TestServeTLSBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	testenv.WriteCert(t, certFile, keyFile, false)
	otherKey := filepath.Join(dir, "other-key.pem")
	testenv.WriteCert(t, filepath.Join(dir, "other.pem"), otherKey, false)
	env := map[string]string{
		"SESAME_ISSUER": "https://127.0.0.1:1", "SESAME_LISTEN": "127.0.0.1:1", "SESAME_MASTER_KEY": testMasterKey,
		"SESAME_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "SESAME_REDIS_URL": "redis://127.0.0.1:1/0",
	}
	for name, pair := range map[string][2]string{
		"missing certificate": {filepath.Join(dir, "none.pem"), keyFile},
		"key of another cert": {certFile, otherKey},
	} {
		env["SESAME_TLS_CERT_FILE"], env["SESAME_TLS_KEY_FILE"] = pair[0], pair[1]
		r := sesame(t, env, "", "serve")
		if r.code != cli.ExitBadInput || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "SESAME_TLS_CERT_FILE") ||
			strings.Contains(r.stderr, "127.0.0.1:1") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line naming SESAME_TLS_CERT_FILE, before connecting anywhere", name, r.code, r.stderr)
		}
	}
	if r := sesame(t, env, "", "serve", "--issuer", "http://127.0.0.1:1"); r.code != cli.ExitBadInput ||
		!strings.Contains(r.stderr, "SESAME_ISSUER must be an https URL") {
		t.Errorf("TLS under an http issuer: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}
