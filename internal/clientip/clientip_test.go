package clientip_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"

	"github.com/sesameid/sesame/internal/clientip"
)

func TestOf(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:aa::/48")}
	cases := []struct {
		name    string
		trusted []netip.Prefix
		header  string
		peer    string
		values  []string // header lines
		want    string
		other   string // a Forwarded line besides, when header is X-Forwarded-For
	}{
		{"no header", proxies, clientip.XForwardedFor, "192.0.2.1:4000", nil, "192.0.2.1", ""},
		{"spoofed header, no trusted proxies", nil, clientip.XForwardedFor, "192.0.2.1:4000", []string{"198.51.100.9"}, "192.0.2.1", ""},
		{"spoofed header from an untrusted peer", proxies, clientip.XForwardedFor, "192.0.2.1:4000", []string{"198.51.100.9"}, "192.0.2.1", ""},
		{"trusted proxy", proxies, clientip.XForwardedFor, "10.0.0.5:4000", []string{"198.51.100.9"}, "198.51.100.9", ""},
		{"rightmost untrusted hop behind trusted proxies", proxies, clientip.XForwardedFor, "10.0.0.5:4000", []string{"6.6.6.6, 198.51.100.9", "10.1.1.1"}, "198.51.100.9", ""},
		{"a client's own entries left of its address", proxies, clientip.XForwardedFor, "10.0.0.5:4000", []string{"10.9.9.9, 203.0.113.4, 10.1.1.1"}, "203.0.113.4", ""},
		{"only trusted hops: the leftmost", proxies, clientip.XForwardedFor, "10.0.0.5:4000", []string{"10.2.2.2, 10.1.1.1"}, "10.2.2.2", ""},
		{"unreadable hop: the last proxy", proxies, clientip.XForwardedFor, "10.0.0.5:4000", []string{"6.6.6.6, garbage"}, "10.0.0.5", ""},
		{"hop with port", proxies, clientip.XForwardedFor, "10.0.0.5:4000", []string{"198.51.100.9:1234"}, "198.51.100.9", ""},
		{"IPv6 peer and hops", proxies, clientip.XForwardedFor, "[2001:db8:aa::1]:4000", []string{"2001:db8:bb::7"}, "2001:db8:bb::7", ""},
		{"IPv4-mapped peer", proxies, clientip.XForwardedFor, "[::ffff:10.0.0.5]:4000", []string{"198.51.100.9"}, "198.51.100.9", ""},
		{"Forwarded", proxies, clientip.Forwarded, "10.0.0.5:4000", []string{`for=6.6.6.6, for="[2001:db8:cc::1]:80";proto=https`}, "2001:db8:cc::1", ""},
		{"Forwarded behind two proxies", proxies, clientip.Forwarded, "10.0.0.5:4000", []string{"for=198.51.100.9;by=x", "For=10.3.3.3"}, "198.51.100.9", ""},
		{"Forwarded set, X-Forwarded-For configured", proxies, clientip.XForwardedFor, "10.0.0.5:4000", nil, "10.0.0.5", "for=198.51.100.9"},
		{"Forwarded obfuscated: the proxy", proxies, clientip.Forwarded, "10.0.0.5:4000", []string{"for=_hidden"}, "10.0.0.5", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.peer, Header: http.Header{}}
			for _, v := range c.values {
				r.Header.Add(c.header, v)
			}
			if c.other != "" {
				r.Header.Set(clientip.Forwarded, c.other)
			}
			if got := clientip.New(c.trusted, c.header).Of(r); got.String() != c.want {
				t.Errorf("Of = %s, want %s", got, c.want)
			}
		})
	}
}

func TestOfUnreadablePeer(t *testing.T) {
	if got := clientip.New(nil, clientip.XForwardedFor).Of(&http.Request{RemoteAddr: "pipe"}); got.IsValid() {
		t.Errorf("Of(pipe) = %s, want the zero Addr", got)
	}
}

func TestContext(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.1")
	if got := clientip.From(clientip.With(context.Background(), ip)); got != ip {
		t.Errorf("From(With(ip)) = %s", got)
	}
	if got := clientip.From(context.Background()); got.IsValid() {
		t.Errorf("From(empty) = %s, want the zero Addr", got)
	}
}
