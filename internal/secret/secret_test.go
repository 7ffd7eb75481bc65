package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretRedacts(t *testing.T) {
	s := New("hunter2-very-secret")
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "s", s)
	js, err := json.Marshal(struct{ S Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%s":   fmt.Sprintf("%s", s),
		"%+v":  fmt.Sprintf("%+v", struct{ S Secret }{s}),
		"%#v":  fmt.Sprintf("%#v", s),
		"json": string(js),
		"slog": logs.String(),
	}
	for name, out := range outs {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, Redacted) {
			t.Errorf("%s: got %q, want only %q", name, out, Redacted)
		}
	}
	if s.Reveal() != "hunter2-very-secret" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestToken(t *testing.T) {
	a, b := Token(), Token()
	if len(a.Reveal()) != 43 {
		t.Errorf("len(Token()) = %d, want 43 (256 bits base64url)", len(a.Reveal()))
	}
	if a.Reveal() == b.Reveal() {
		t.Error("two tokens are equal")
	}
	if !Matches(a.Reveal(), Digest(a.Reveal())) {
		t.Error("Matches(token, Digest(token)) = false")
	}
	if Matches(b.Reveal(), Digest(a.Reveal())) {
		t.Error("Matches(other, Digest(token)) = true")
	}
}

// RFC 7636 Appendix B: the S256 challenge of the example verifier.
func TestS256(t *testing.T) {
	if got := S256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("S256(RFC 7636 example) = %q", got)
	}
}
