package client

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckRedirectURI applies the registration rules for a redirect URI:
//   - https with a host, for any client;
//   - http only for a public (native) client and a loopback IP literal host
//     (RFC 8252 §7.3; "localhost" is refused, §8.3);
//   - a private-use scheme with a dot (com.example.app:/cb) only for a public client
//     (RFC 8252 §7.1);
//   - never a fragment (RFC 6749 §3.1.2), user info, a wildcard, whitespace or control
//     characters.
func CheckRedirectURI(raw string, t Type) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: redirect URI %q %s", ErrInvalid, truncate(raw), why)
	}
	if raw == "" {
		return bad("is empty")
	}
	if len(raw) > 2000 {
		return bad("is longer than 2000 characters")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return bad("contains whitespace, a control character or a backslash")
	}
	if strings.Contains(raw, "*") {
		return bad("contains a wildcard")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return bad("is not an absolute URI")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("has a fragment")
	}
	if u.User != nil {
		return bad("has user info")
	}
	switch {
	case u.Scheme == "https":
		if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
			return bad("has no host")
		}
	case u.Scheme == "http":
		if t != Public {
			return bad("uses http: only a public (native) client may use http, and only on a loopback IP")
		}
		if !isLoopbackIP(u.Hostname()) {
			return bad("uses http on a host that is not 127.0.0.1 or [::1]")
		}
	case strings.Contains(u.Scheme, "."):
		if t != Public {
			return bad("uses a private-use scheme: only a public (native) client may")
		}
	default:
		return bad("must use https (or, for a native client, a loopback http URI or a private-use scheme)")
	}
	return nil
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
