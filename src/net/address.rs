//! Which addresses an untrusted URL may be fetched from.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// The address a URL names directly (`https://192.0.2.1/`, `https://[::1]/`). Such hosts never
/// reach a resolver, so they are checked against [`is_public_address`] on their own.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    }
}

/// Whether `url` names a non-public address literal that must not be fetched: such hosts never
/// reach the guarded resolver, so every fetch (and every redirect) checks them first.
pub fn refused_literal(url: &Url, allow_private_addresses: bool) -> bool {
    !allow_private_addresses && literal_ip(url).is_some_and(|ip| !is_public_address(ip))
}

/// May a stranger's URL be fetched from this address? Only globally routable unicast
/// addresses qualify: not loopback, private (RFC 1918), shared (CGNAT), link-local, unique-local,
/// unspecified, multicast, broadcast, documentation, benchmarking or otherwise reserved ranges,
/// including IPv6 forms that embed such an IPv4 address (mapped, NAT64, 6to4).
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0                                  // "this network", incl. 0.0.0.0
        || a == 10                                         // private
        || a == 127                                        // loopback
        || (a == 100 && (64..128).contains(&b))            // shared address space (CGNAT)
        || (a == 169 && b == 254)                          // link-local (cloud metadata!)
        || (a == 172 && (16..32).contains(&b))             // private
        || (a == 192 && b == 0 && c == 0)                  // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                  // documentation
        || (a == 192 && b == 88 && c == 99)                // 6to4 relay anycast
        || (a == 192 && b == 168)                          // private
        || (a == 198 && (b == 18 || b == 19))              // benchmarking
        || (a == 198 && b == 51 && c == 100)               // documentation
        || (a == 203 && b == 0 && c == 113)                // documentation
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    // Outside 2000::/3 nothing is global unicast: this refuses ::, ::1, the deprecated
    // IPv4-compatible ::/96, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64 and the rest.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    let reserved = match s[0] {
        // IETF protocol assignments (Teredo, benchmarking, ORCHID…) and documentation.
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        // Documentation (RFC 9637).
        0x3fff => s[1] < 0x1000,
        _ => false,
    };
    !reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_public_literals_are_refused_and_only_when_private_fetches_are_off() {
        let url = |text: &str| Url::parse(text).unwrap();
        for private in
            ["https://127.0.0.1/x", "https://[::1]/x", "https://10.1.2.3/x", "https://[::ffff:192.168.0.1]/"]
        {
            assert!(refused_literal(&url(private), false), "{private}");
            assert!(!refused_literal(&url(private), true), "{private} allowed");
        }
        for fetched in ["https://93.184.215.14/x", "https://localhost/x", "https://example.com/x"] {
            assert!(!refused_literal(&url(fetched), false), "{fetched}: public, or a name for the resolver");
        }
    }

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse().unwrap())
    }

    #[test]
    fn ipv4_classification() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "198.17.0.1",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(is_public_address(v4(public)), "{public} is public");
        }
        for reserved in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "127.0.0.1",
            "127.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!is_public_address(v4(reserved)), "{reserved} is not public");
        }
    }

    #[test]
    fn ipv6_classification() {
        for public in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "2001:200::1",
            "3ffe::1",
            "3fff:1000::1",
        ] {
            assert!(is_public_address(v6(public)), "{public} is public");
        }
        for reserved in [
            "::",
            "::1",
            "::127.0.0.1",
            "::8.8.8.8",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "100::1",
            "64:ff9b:1::1",
            "2001::1",
            "2001:0:4136:e378::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "4000::1",
            "1::1",
        ] {
            assert!(!is_public_address(v6(reserved)), "{reserved} is not public");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_classified_by_the_ipv4_address() {
        for (address, public) in [
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.1.2.3", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:192.168.0.1", false),
            ("::ffff:100.64.0.1", false),
            ("::ffff:0.0.0.0", false),
            ("::ffff:255.255.255.255", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::127.0.0.1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::8.8.8.8", true),
            ("2002:7f00:1::", false),
            ("2002:a00:1::1", false),
            ("2002:808:808::1", true),
        ] {
            assert_eq!(is_public_address(v6(address)), public, "{address}");
        }
    }

    #[test]
    fn literal_hosts() {
        let literal = |text: &str| literal_ip(&Url::parse(text).unwrap());
        assert_eq!(literal("https://192.0.2.1/a"), Some(v4("192.0.2.1")));
        assert_eq!(literal("https://[::1]:8443/a"), Some(v6("::1")));
        assert_eq!(literal("https://example.com/a"), None);
    }
}
