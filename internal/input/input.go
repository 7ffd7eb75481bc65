// Package input holds the one rule every string from outside passes before Sesame stores it,
// looks it up or logs it: valid UTF-8 without control characters. PostgreSQL refuses NUL
// bytes and invalid UTF-8 with an error (which, unchecked, becomes a 500), and control
// characters forge log lines and terminal output. Callers give a failure their own kind.
package input

import (
	"unicode"
	"unicode/utf8"
)

// Clean reports whether s is valid UTF-8 without control characters (Unicode category Cc:
// NUL, the C0 controls including tab and newline, DEL and the C1 controls). Every other
// character, spaces and the rest of Unicode included, is allowed.
func Clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// CleanForm reports whether every name and value of a parsed form or query (url.Values)
// is Clean.
func CleanForm(form map[string][]string) bool {
	for k, vs := range form {
		if !Clean(k) {
			return false
		}
		for _, v := range vs {
			if !Clean(v) {
				return false
			}
		}
	}
	return true
}
