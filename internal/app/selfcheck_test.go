package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/seal"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

// /readyz fails while no stored key can sign: here another process, with another master
// key, rotated in a key this one cannot open.
func TestReadyzNeedsASigningKey(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	if a := get(t, h.URL+"/readyz"); a.status != http.StatusOK {
		t.Fatalf("/readyz = %d %s", a.status, a.body)
	}
	ring, err := seal.NewRing([]byte("another-master-key-of-32-bytes!!"))
	if err != nil {
		t.Fatal(err)
	}
	other := signing.NewKeys(postgres.New(h.Services.Pool, testenv.Timeout), ring, h.Clock.Now)
	if _, err := other.Rotate(context.Background(), signing.ES256, 0); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(signing.CacheTTL + time.Second) // past this process's copy of the keys
	a := get(t, h.URL+"/readyz")
	var body struct{ Failed []string }
	_ = json.Unmarshal([]byte(a.body), &body)
	if a.status != http.StatusServiceUnavailable || fmt.Sprint(body.Failed) != "[signing_key]" {
		t.Errorf("/readyz without a usable signing key = %d %s, want 503 naming signing_key", a.status, a.body)
	}
}
