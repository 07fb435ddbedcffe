package netguard

import (
	"net/netip"
)

// alwaysForbidden is refused even with Options.AllowPrivate: no peer can
// legitimately live there, and link-local holds the cloud metadata services
// (169.254.169.254 and friends), the classic SSRF target.
var alwaysForbidden = prefixes(
	"0.0.0.0/8",          // "this network"; 0.0.0.0 reaches localhost on Linux
	"169.254.0.0/16",     // link-local, incl. cloud metadata
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, incl. 255.255.255.255 broadcast
	"100.100.100.200/32", // Alibaba Cloud metadata (inside CGNAT space)
	"::/96",              // unspecified, loopback and deprecated IPv4-compatible addresses
	"100::/64",           // discard-only
	"2001::/32",          // Teredo: tunnels to an arbitrary IPv4 address
	"fe80::/10",          // link-local
	"fec0::/10",          // deprecated site-local
	"fd00:ec2::254/128",  // AWS metadata over IPv6 (inside ULA space)
	"ff00::/8",           // multicast
)

// privateRanges are refused unless Options.AllowPrivate: they are where
// Herald's own host, the LAN and internal services live.
var privateRanges = prefixes(
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // CGNAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"::1/128",         // loopback
	"64:ff9b:1::/48",  // local-use NAT64
	"2001:db8::/32",   // documentation
	"fc00::/7",        // unique local
)

// Translation prefixes whose addresses carry an IPv4 address that is checked
// in its place: on a NAT64 host, 64:ff9b::7f00:1 reaches 127.0.0.1.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

var ipv6Loopback = netip.IPv6Loopback()

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// IsForbidden reports whether ip must not be connected to by default:
// loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10,
// incl. 169.254.169.254 metadata), unspecified, multicast, CGNAT 100.64/10,
// 0.0.0.0/8, documentation and reserved ranges, and the IPv4-mapped, NAT64
// and 6to4 IPv6 forms of those. An invalid address is forbidden.
func IsForbidden(ip netip.Addr) bool {
	return forbidden(ip, false)
}

// forbidden is IsForbidden with the AllowPrivate exemption.
func forbidden(ip netip.Addr, allowPrivate bool) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		// Check the embedded IPv4 address of translation prefixes.
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return forbidden(netip.AddrFrom4([4]byte(b[12:16])), allowPrivate)
		case sixToFour.Contains(ip):
			return forbidden(netip.AddrFrom4([4]byte(b[2:6])), allowPrivate)
		}
	}
	if ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip.IsInterfaceLocalMulticast() {
		return true
	}
	if ip == ipv6Loopback { // inside ::/96 below, but only "private"
		return !allowPrivate
	}
	for _, p := range alwaysForbidden {
		if p.Contains(ip) {
			return true
		}
	}
	if allowPrivate {
		return false
	}
	if ip.IsLoopback() || ip.IsPrivate() {
		return true
	}
	for _, p := range privateRanges {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
