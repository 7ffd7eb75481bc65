package cli_test

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/testenv"
)

// A process holds at most SESAME_MAX_CONNECTIONS client connections, however slowly they
// send their headers: the next one waits until one closes (memory stays bounded, finding
// of the outside review); and a request's headers are capped at 16 KiB (431 beyond).
func TestServeBoundsConnections(t *testing.T) {
	t.Parallel()
	rURL, _ := testenv.Redis(t)
	env := serveEnv(t, testenv.PostgresURL(t), rURL)
	env["SESAME_MAX_CONNECTIONS"] = "16"
	s := startServer(t, env)
	addr := strings.TrimPrefix(s.Base, "http://")

	// 16 connections that never finish their headers take every slot.
	var held []net.Conn
	for range 16 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// The 17th is accepted by the kernel but not served while they are held...
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := r.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a 17th connection was served while 16 were held (read: %v)", err)
	}
	// ...and is once one of them closes.
	held[0].Close()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("the waiting connection after a slot freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz on the waiting connection = %d", resp.StatusCode)
	}
	for _, c := range held[1:] {
		c.Close()
	}
	held = nil

	req, _ := http.NewRequest(http.MethodGet, s.Base+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 24<<10))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("24 KiB of headers = %d, want 431", resp.StatusCode)
	}
}
