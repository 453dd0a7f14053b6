//! Who the client is. Behind the reverse proxy production needs (TLS), every connection comes
//! from the proxy; only a configured proxy (`web.trusted_proxies`) may name the client, in
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`. The chain is read from the right: the first
//! address that is not a trusted proxy is the client (a client cannot put itself further left
//! and pass as someone else). Limits count IPv4 addresses one by one and IPv6 clients by their
//! /64, the network one subscriber gets.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The configured reverse proxies.
#[derive(Clone, Debug, Default)]
pub struct Proxies(Vec<IpNet>);

impl Proxies {
    /// `"10.0.0.0/8"`, `"127.0.0.1"`, `"::1"`, …; the first that does not read is named.
    pub fn parse(list: &[String]) -> Result<Proxies, String> {
        list.iter()
            .map(|entry| {
                let entry = entry.trim();
                entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)).map_err(|_| entry.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Proxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// An IPv4 address that came over IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client's address: the TCP peer, or what a trusted proxy says it is.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &Proxies) -> IpAddr {
    let peer = canonical(peer);
    if !proxies.trusts(peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    chain.iter().rev().copied().map(canonical).find(|ip| !proxies.trusts(*ip)).or(chain.first().copied()).unwrap_or(peer)
}

/// The addresses a proxy chain recorded, client first: `Forwarded: for=…` when present,
/// `X-Forwarded-For` otherwise. Entries that are not addresses (`unknown`, obfuscated names)
/// are left out.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let forwarded: Vec<IpAddr> = values("forwarded")
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| pair.trim().strip_prefix("for=").or_else(|| pair.trim().strip_prefix("For=")))
        })
        .filter_map(node_ip)
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    values("x-forwarded-for").iter().filter_map(|v| node_ip(v)).collect()
}

/// `192.0.2.60`, `"[2001:db8::17]:4711"`, `192.0.2.60:1234` → the address.
fn node_ip(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse().ok().or_else(|| node.rsplit_once(':').and_then(|(ip, port)| port.parse::<u16>().ok().and(ip.parse().ok())))
}

/// What a limit counts by: an IPv4 address, or the /64 of an IPv6 one.
pub fn limit_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &proxies), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &proxies), ip("203.0.113.9"), "not a proxy: the header is ignored");
        assert_eq!(client_ip(ip("::ffff:10.1.2.3"), &h, &proxies), ip("198.51.100.7"), "IPv4 over IPv6");
        assert_eq!(client_ip(ip("10.1.2.3"), &HeaderMap::new(), &proxies), ip("10.1.2.3"));
    }

    #[test]
    fn a_client_cannot_pass_as_someone_else() {
        let proxies = Proxies::parse(&["10.0.0.1".into(), "10.0.0.2".into()]).unwrap();
        // The client sent its own X-Forwarded-For; the proxies appended the real address.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.1")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &proxies), ip("198.51.100.7"));
        let h = headers(&[("forwarded", r#"for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https"#)]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &proxies), ip("2001:db8:cafe::17"));
        let h = headers(&[("x-forwarded-for", "unknown, 198.51.100.7:5555")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &proxies), ip("198.51.100.7"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), limit_key(ip("2001:db8:1:2:bbbb::2")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn a_wrong_proxy_entry_is_named() {
        assert_eq!(Proxies::parse(&["10.0.0.0/8".into(), "proxy.local".into()]).unwrap_err(), "proxy.local");
    }
}
