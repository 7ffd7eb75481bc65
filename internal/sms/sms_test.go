package sms

import (
	"testing"
)

func TestValidE164(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"+447700900123", true},
		{"+12025550123", true},
		{"+12345678", true},          // 8 digits, the shortest
		{"+123456789012345", true},   // 15 digits, the longest
		{"+1234567", false},          // 7 digits
		{"+1234567890123456", false}, // 16 digits
		{"447700900123", false},      // no '+'
		{"+047700900123", false},     // leading 0 after '+'
		{"+44 7700 900123", false},   // separators: NormalizePhone's job
		{"+44770090012a", false},
		{"++447700900123", false},
		{"", false},
		{"+", false},
		{"+٤٤٧٧٠٠٩٠٠١٢٣", false}, // Arabic-Indic digits
	} {
		if got := ValidE164(c.in); got != c.want {
			t.Errorf("ValidE164(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "": ErrPhone
	}{
		{"+447700900123", "+447700900123"},
		{"+44 7700 900123", "+447700900123"},
		{"+1 (202) 555-0123", "+12025550123"},
		{"+33.1.23.45.67.89", "+33123456789"},
		{"07700 900123", ""}, // national format
		{"+44 7700 9001 23x", ""},
		{"44+7700900123", ""},
		{"+44\t7700900123", ""},
		{"+1 202 555 0123                    ", ""}, // longer than maxPhoneInput
		{"", ""},
	} {
		got, err := NormalizePhone(c.in)
		if c.want == "" {
			if err != ErrPhone {
				t.Errorf("NormalizePhone(%q) = %q, %v, want ErrPhone", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q) = %q, %v, want %q", c.in, got, err, c.want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+447700900123", "+1 (202) 555-0123", "07700 900123", "+0", "++1", "+٤٤"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizePhone(s)
		if err != nil {
			if n != "" {
				t.Errorf("NormalizePhone(%q) = %q with error %v", s, n, err)
			}
			return
		}
		if !ValidE164(n) {
			t.Errorf("NormalizePhone(%q) = %q, not E.164", s, n)
		}
		if again, err := NormalizePhone(n); err != nil || again != n {
			t.Errorf("NormalizePhone(%q) = %q, %v: not idempotent", n, again, err)
		}
	})
}
