package account

import (
	"errors"
	"runtime"
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

// CheckPassword is the default policy without a subject (the table of every rule is
// TestPolicyRules); these are the input-limit rules it kept.
func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw   string
		rule string
	}{
		{"Short1!", "min_length"},
		{"Abcdef123", "min_length"},
		{"Abcdef123!", ""},
		{strings.Repeat("Aa1", 42) + "xx", ""},
		{strings.Repeat("Aa1", 43), "max_length"},
		{"Abcdefghij1\xff", "encoding"},
		{"Abcde\x00fghij1", "control"},
		{"Abcde\tfghij1", "control"},
		{strings.Repeat("é", 513), "max_bytes"},
		{"Correct horse battery 7", ""},
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

// The blocklist is built once, at first use: this measures that cost (time and heap) and
// checks the set holds the whole file.
func BenchmarkCommonPasswordsLoad(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var set map[string]struct{}
	for b.Loop() {
		set = loadCommonPasswords()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(set) < 10000 {
		b.Fatalf("%d common passwords, want at least 10,000", len(set))
	}
	b.ReportMetric(float64(len(set)), "entries")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-retained")
}

func BenchmarkPolicyCheck(b *testing.B) {
	p, s := DefaultPolicy(), Subject{Email: "ada.lovelace@example.com", OrgName: "Globex Corporation"}
	pw := secret.New("Correct horse battery 7")
	_ = p.Check(pw, s)
	for b.Loop() {
		if err := p.Check(pw, s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCommonPasswordsFile(t *testing.T) {
	set := commonPasswords()
	if len(set) != 30000 {
		t.Errorf("%d common passwords, want the 30,000 of the file", len(set))
	}
	for _, pw := range []string{"123456", "password12", "1234567890", "qwertyuiop"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("%q is not in the common passwords", pw)
		}
	}
	for pw := range set {
		if pw != strings.ToLower(pw) || pw != NormalizePassword(pw) || strings.HasPrefix(pw, "#") {
			t.Errorf("entry %q is not lower-case NFKC", pw)
		}
	}
}
