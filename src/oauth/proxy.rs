//! The client's address behind a load balancer: `X-Forwarded-For` is believed only when the
//! TCP peer is a configured proxy, and then only up to the first address that is not one, so
//! a client cannot pick its own address (and its own rate limit) by sending the header.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;
use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies { nets }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&address))
    }

    /// The address a request came from: the peer itself unless it is a trusted proxy; else
    /// the right-most `X-Forwarded-For` entry that is not a trusted proxy (the proxy chain
    /// appends on the right). An unreadable entry ends the walk at the last one believed.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Ok(address) = entry.parse::<IpAddr>() else {
                return client;
            };
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        client
    }
}

/// The unit a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's network: anyone holding one has all of its 2^64 addresses to pick from).
pub fn address_group(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let proxies =
            TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()]);
        let forwarded = headers(&["203.0.113.7"]);
        assert_eq!(proxies.client_address(ip("198.51.100.1"), &forwarded), ip("198.51.100.1"));
        assert_eq!(proxies.client_address(ip("127.0.0.1"), &forwarded), ip("203.0.113.7"));
        assert_eq!(TrustedProxies::default().client_address(ip("127.0.0.1"), &forwarded), ip("127.0.0.1"));
    }

    #[test]
    fn a_spoofed_left_part_is_ignored() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        // The client sent "1.2.3.4"; the outer proxy appended the real address, an inner one its own.
        let forwarded = headers(&["1.2.3.4, 203.0.113.7, 10.1.1.1"]);
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &forwarded), ip("203.0.113.7"));
        let split = headers(&["1.2.3.4", "203.0.113.7,10.1.1.1"]);
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &split), ip("203.0.113.7"));
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64() {
        assert_eq!(address_group(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(address_group(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(address_group(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), ip("2001:db8:1:2::"));
        assert_ne!(address_group(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(address_group(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }

    #[test]
    fn garbage_and_missing_headers_fall_back() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &HeaderMap::new()), ip("10.2.2.2"));
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &headers(&["not-an-ip"])), ip("10.2.2.2"));
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &headers(&["junk, 10.1.1.1"])), ip("10.1.1.1"));
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &headers(&["10.3.3.3, 10.1.1.1"])), ip("10.3.3.3"));
        assert_eq!(proxies.client_address(ip("10.2.2.2"), &headers(&["2001:db8::1"])), ip("2001:db8::1"));
    }
}
