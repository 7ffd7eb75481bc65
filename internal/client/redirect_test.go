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
