package input

import (
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"ada@example.com", true},
		{"correct horse battery staple", true},
		{"Zoë Ångström – 東京 🔑\u200d\ufffd", true}, // any printable Unicode, ZWJ, a literal U+FFFD
		{"nul\x00byte", false},
		{"tab\there", false},
		{"line\nbreak", false},
		{"carriage\rreturn", false},
		{"escape\x1b[31m", false},
		{"del\x7f", false},
		{"c1\u0085control", false},
		{"invalid\xffutf8", false},
		{"truncated\xe2\x82", false},
		{"overlong\xc0\xaf", false},
		{"surrogate\xed\xa0\x80", false},
	} {
		if got := Clean(tt.s); got != tt.want {
			t.Errorf("Clean(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("ada@example.com")
	f.Add("a\x00b")
	f.Fuzz(func(t *testing.T, s string) {
		if !Clean(s) {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Clean(%q) accepted invalid UTF-8", s)
		}
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("Clean(%q) accepted control character %U", s, r)
			}
		}
	})
}

func TestCleanForm(t *testing.T) {
	for _, tt := range []struct {
		name string
		form map[string][]string
		want bool
	}{
		{"empty", nil, true},
		{"clean", map[string][]string{"state": {"a b", "ü"}, "nonce": {""}}, true},
		{"unclean value", map[string][]string{"state": {"ok"}, "nonce": {"ok", "a\x00b"}}, false},
		{"unclean name", map[string][]string{"sta\xfft": {"ok"}}, false},
	} {
		if got := CleanForm(tt.form); got != tt.want {
			t.Errorf("CleanForm(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
