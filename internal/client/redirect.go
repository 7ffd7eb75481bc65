package client

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
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
		if !IsLoopbackIP(u.Hostname()) {
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

// IsLoopbackIP reports whether host is a loopback IP literal (127.0.0.0/8 or ::1): the one
// loopback rule Sesame has, for redirect URIs and for the issuer.
func IsLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedirectAllowed reports whether uri is one of the client's registered redirect URIs,
// compared as raw strings (no decoding, no case folding, no prefix or wildcard). A public
// (native) client's loopback http URI may differ in its port alone (RFC 8252 §7.3).
func (c Client) RedirectAllowed(uri string) bool {
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	if c.Type != Public || !strings.HasPrefix(uri, "http://") {
		return false
	}
	got, err := url.Parse(uri)
	if err != nil || got.User != nil || !IsLoopbackIP(got.Hostname()) || !validPort(got.Port()) {
		return false
	}
	for _, reg := range c.RedirectURIs {
		ru, err := url.Parse(reg)
		if err != nil || ru.Scheme != "http" || !IsLoopbackIP(ru.Hostname()) || ru.Hostname() != got.Hostname() {
			continue
		}
		host := ru.Hostname()
		if got.Port() != "" {
			host = net.JoinHostPort(host, got.Port())
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if uri == strings.Replace(reg, "//"+ru.Host, "//"+host, 1) {
			return true
		}
	}
	return false
}

// validPort reports whether port is empty or a port number as a client would write it:
// 1 to 65535, no leading zero.
func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == port
}

func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
