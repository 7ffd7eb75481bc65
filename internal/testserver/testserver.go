// Package testserver runs `sesame serve` in-process for tests: the one way the CLI and
// end-to-end tests start a server. Import it only from _test.go files.
package testserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/cli"
	"github.com/sesameid/sesame/internal/testenv"
)

// Server is a `sesame serve` running in-process.
type Server struct {
	Base   string // http://<SESAME_LISTEN>
	Logs   *testenv.SyncBuffer
	cancel context.CancelFunc
	done   chan int
	once   sync.Once
}

// Serve runs `sesame serve args...` with the environment env until the test ends, and
// returns once /healthz answers.
func Serve(t testing.TB, env map[string]string, args ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Base: "http://" + env["SESAME_LISTEN"], Logs: &testenv.SyncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- cli.Main(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] },
			strings.NewReader(""), io.Discard, s.Logs)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited with %d before answering:\n%s", code, s.Logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer within 30s:\n%s", s.Logs)
		}
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop cancels the server's context, as SIGTERM does, and waits for a clean exit (0).
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		select {
		case code := <-s.done:
			if code != cli.ExitOK {
				t.Errorf("serve exit code after shutdown = %d, want 0:\n%s", code, s.Logs)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s of cancellation")
		}
	})
}

// GetJSON fetches url and decodes its JSON object body.
func GetJSON(t testing.TB, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v", url, err)
	}
	return resp.StatusCode, body
}
