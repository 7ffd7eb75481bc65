// Package clientip finds the IP address of the client behind a request: the connection's
// peer, or, only when that peer is one of the configured trusted proxies, the rightmost
// address of the forwarding header that is not itself a trusted proxy. A header sent by
// anyone else is ignored, so a client cannot choose the address its limits are counted by.
package clientip

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

// Headers a trusted proxy may forward the client's address in.
const (
	XForwardedFor = "X-Forwarded-For"
	Forwarded     = "Forwarded" // RFC 7239
)

// Resolver finds client IPs behind the trusted proxies.
type Resolver struct {
	trusted []netip.Prefix
	header  string
}

// New returns a Resolver that believes header (XForwardedFor or Forwarded) only from a peer
// in trusted. No trusted prefix: the peer is always the client.
func New(trusted []netip.Prefix, header string) *Resolver {
	return &Resolver{trusted: trusted, header: header}
}

func (res *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range res.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Of returns the client IP of r; the zero Addr when not even the peer's address reads.
func (res *Resolver) Of(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if !res.isTrusted(ip) {
		return ip
	}
	hops := res.hops(r.Header)
	// Right to left: each trusted proxy vouches for the hop before it, up to the first hop
	// that is no trusted proxy. A hop that does not read ends the walk at the last proxy.
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseHop(hops[i])
		if err != nil {
			return ip
		}
		ip = hop
		if !res.isTrusted(ip) {
			return ip
		}
	}
	return ip
}

// hops lists the addresses of the configured header, every line in order, as sent.
func (res *Resolver) hops(h http.Header) []string {
	var hops []string
	for _, line := range h.Values(res.header) {
		for _, elem := range strings.Split(line, ",") {
			if res.header == Forwarded {
				elem = forwardedFor(elem)
			}
			hops = append(hops, strings.TrimSpace(elem))
		}
	}
	return hops
}

// forwardedFor returns the for= parameter of one Forwarded element ("" without one).
func forwardedFor(elem string) string {
	for _, pair := range strings.Split(elem, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
		if strings.EqualFold(k, "for") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// parseHop reads an IP, with or without a port ("192.0.2.1:80", "[2001:db8::1]:80").
func parseHop(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err
}

type ctxKey struct{}

// With returns ctx carrying the client IP ip.
func With(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, ctxKey{}, ip)
}

// From returns the client IP ctx carries (With), or the zero Addr.
func From(ctx context.Context) netip.Addr {
	ip, _ := ctx.Value(ctxKey{}).(netip.Addr)
	return ip
}
