package session

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientInfoFromRequest returns the client's IP and User-Agent. The IP is the
// TCP peer (r.RemoteAddr) unless that peer is one of trustedProxies: then
// X-Forwarded-For is walked from right to left, skipping trusted proxies, and
// the first address that is not a trusted proxy is the client. Entries left
// of it were written by the client and are never believed. An entry may
// carry a port ("192.0.2.1:5678", "[2001:db8::1]:5678"); an unparsable
// entry stops the walk at the last trusted hop. Without trustedProxies the
// header is ignored, since any client can send it.
func ClientInfoFromRequest(r *http.Request, trustedProxies ...netip.Prefix) ClientInfo {
	ip := remoteIP(r.RemoteAddr)
	if ip.IsValid() && trusted(ip, trustedProxies) {
		hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
		for i := len(hops) - 1; i >= 0; i-- {
			hop, ok := parseHop(strings.TrimSpace(hops[i]))
			if !ok {
				break
			}
			ip = hop.Unmap()
			if !trusted(ip, trustedProxies) {
				break
			}
		}
	}
	return ClientInfo{IP: ip, UserAgent: r.UserAgent()}.normalized()
}

// parseHop reads one X-Forwarded-For entry: an address, or an address and
// port as some proxies (Azure Application Gateway) write it. Refusing the
// latter would stop every walk at the proxy and make all clients look alike
// to the anomaly policy.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
}

func remoteIP(addr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap()
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

func trusted(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedFor flattens every X-Forwarded-For header line, in order.
func forwardedFor(lines []string) []string {
	var hops []string
	for _, l := range lines {
		hops = append(hops, strings.Split(l, ",")...)
	}
	return hops
}
