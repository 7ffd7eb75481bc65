package account

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/secret"
)

// Cheap parameters keep the tests fast; DefaultParams are checked separately.
var testParams = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	phc := hash("correct horse battery", testParams)
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("Hash = %q, want argon2id PHC string", phc)
	}
	if ok, _, err := verify("correct horse battery", phc, testParams); !ok || err != nil {
		t.Errorf("verify(right) = %v, %v", ok, err)
	}
	if ok, _, err := verify("correct horse batterz", phc, testParams); ok || err != nil {
		t.Errorf("verify(wrong) = %v, %v", ok, err)
	}
	if hash("x", testParams) == hash("x", testParams) {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestVerifyAsksUpgrade(t *testing.T) {
	weak := hash("correct horse battery", testParams)
	if _, up, _ := verify("correct horse battery", weak, DefaultParams); !up {
		t.Error("Verify did not ask to upgrade a hash weaker than the default")
	}
	if _, up, _ := verify("correct horse battery", weak, testParams); up {
		t.Error("Verify asked to upgrade a hash with the wanted parameters")
	}
}

func TestDefaultParamsMeetOWASP(t *testing.T) {
	if DefaultParams.Memory < 19*1024 || DefaultParams.Time < 2 || DefaultParams.Threads < 1 {
		t.Errorf("DefaultParams = %+v, want at least m=19456 t=2 p=1", DefaultParams)
	}
}

func TestParsePHCRejects(t *testing.T) {
	good := hash("pw", testParams)
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"",
		"plaintext",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		strings.Replace(good, "m=64", "m=99999999", 1),
		strings.Replace(good, "t=1", "t=0", 1),
		strings.Replace(good, "p=1", "p=0", 1),
		strings.Replace(good, "p=1", "p=1,x=2", 1),
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		good + "$extra",
	} {
		if _, _, err := verify("pw", bad, testParams); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("verify(%q) err = %v, want ErrMalformedHash", bad, err)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add(hash("pw", testParams))
	f.Add("$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		if h.params.Memory > maxMemory || h.params.Time > maxTime || h.params.Threads < 1 || len(h.key) < 16 {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds %+v", s, h.params)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw   string
		rule string
	}{
		{"short", "min_length"},
		{"123456789", "min_length"},
		{"1234567890", ""},
		{strings.Repeat("é", 10), ""},
		{strings.Repeat("a", 128), ""},
		{strings.Repeat("a", 129), "max_length"},
		{"abcdefghij\xff", "encoding"},
		{"abcde\x00fghij", "control"},
		{"abcde\tfghij", "control"},
		{"correct horse battery", ""},
	}
	for _, tt := range tests {
		err := CheckPassword(secret.New(tt.pw))
		var pe *PolicyError
		switch {
		case tt.rule == "" && err != nil:
			t.Errorf("CheckPassword(%d chars) = %v, want nil", len(tt.pw), err)
		case tt.rule != "" && (!errors.As(err, &pe) || pe.Rule != tt.rule):
			t.Errorf("CheckPassword(%d chars) = %v, want rule %s", len(tt.pw), err, tt.rule)
		}
	}
}
