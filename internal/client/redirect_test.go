package client

import (
	"errors"
	"testing"
)

func TestCheckRedirectURI(t *testing.T) {
	tests := []struct {
		uri  string
		typ  Type
		want bool
	}{
		{"https://rp.example/cb", Confidential, true},
		{"https://rp.example:8443/cb?tenant=a", Confidential, true},
		{"https://rp.example/cb", Public, true},
		{"http://127.0.0.1:9000/cb", Public, true},
		{"http://[::1]:9000/cb", Public, true},
		{"com.example.app:/oauth2redirect", Public, true},
		{"http://127.0.0.1:9000/cb", Confidential, false},
		{"http://rp.example/cb", Public, false},
		{"http://localhost:9000/cb", Public, false},
		{"http://127.0.0.1:1@evil.example/cb", Public, false},
		{"com.example.app:/oauth2redirect", Confidential, false},
		{"https://rp.example/cb#frag", Confidential, false},
		{"https://rp.example/cb#", Confidential, false},
		{"https://user@rp.example/cb", Confidential, false},
		{"https://rp.example@evil.example/cb", Confidential, false},
		{"https://*.rp.example/cb", Confidential, false},
		{"https:///cb", Confidential, false},
		{"https:rp.example/cb", Confidential, false},
		{"/cb", Confidential, false},
		{"rp.example/cb", Confidential, false},
		{"javascript:alert(1)", Public, false},
		{"data:text/html,hi", Public, false},
		{"ftp://rp.example/cb", Confidential, false},
		{"https://rp.example/c b", Confidential, false},
		{"https://rp.example\\@evil.example/cb", Confidential, false},
		{"", Confidential, false},
	}
	for _, tt := range tests {
		err := CheckRedirectURI(tt.uri, tt.typ)
		if got := err == nil; got != tt.want {
			t.Errorf("CheckRedirectURI(%q, %s) = %v, want ok=%v", tt.uri, tt.typ, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckRedirectURI(%q) error %v is not ErrInvalid", tt.uri, err)
		}
	}
}

func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range []string{"https://rp.example/cb", "http://127.0.0.1:1/x", "com.a.b:/x", "javascript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range []Type{Confidential, Public} {
			_ = CheckRedirectURI(s, typ) // must not panic
		}
		if CheckRedirectURI(s, Confidential) == nil && CheckRedirectURI(s, Public) != nil {
			t.Fatalf("%q allowed for a confidential client but not a public one", s)
		}
	})
}

// A native client's loopback redirect may differ from the registered one in its port alone,
// and only by a port a client would write: 1 to 65535, no leading zero.
func TestRedirectAllowedLoopbackPort(t *testing.T) {
	c := Client{Type: Public, RedirectURIs: []string{"http://127.0.0.1/cb", "https://rp.example/cb"}}
	for uri, want := range map[string]bool{
		"http://127.0.0.1/cb":        true,
		"http://127.0.0.1:8081/cb":   true,
		"http://127.0.0.1:65535/cb":  true,
		"http://127.0.0.1:0/cb":      false,
		"http://127.0.0.1:65536/cb":  false,
		"http://127.0.0.1:08081/cb":  false,
		"http://127.0.0.1:x/cb":      false,
		"http://127.0.0.1:8081/cb2":  false,
		"https://rp.example/cb":      true,
		"https://rp.example:8443/cb": false,
	} {
		if got := c.RedirectAllowed(uri); got != want {
			t.Errorf("RedirectAllowed(%q) = %v, want %v", uri, got, want)
		}
	}
}
