package cli

import "testing"

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme Inc", "Acme Inc"},
		{"Zoë Ünal — 東京", "Zoë Ünal — 東京"},
		{"", ""},
		{"a\tb", `"a\tb"`},
		{"a\nb", `"a\nb"`},
		{"red\x1b[31m", `"red\x1b[31m"`},
		{"bell\a", `"bell\a"`},
		{"del\x7f", `"del\x7f"`},
		{"csi\u009b2J", `"csi\u009b2J"`},
		{"right-to-left \u202eexe.txt", `"right-to-left \u202eexe.txt"`},
		{"line\u2028sep", `"line\u2028sep"`},
		{"invalid \xff utf-8", `"invalid \xff utf-8"`},
	}
	for _, tt := range tests {
		if got := cell(tt.in); got != tt.want {
			t.Errorf("cell(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
