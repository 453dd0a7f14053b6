//! Who the client is. Behind the reverse proxy production needs (TLS), every connection comes
//! from the proxy; only a configured proxy (`web.trusted_proxies`) may name the client, in
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`. The chain is read from the right: the first
//! address that is not a trusted proxy is the client (a client cannot put itself further left
//! and pass as someone else). Limits count IPv4 addresses one by one and IPv6 clients by their
//! /64, the network one subscriber gets.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Which header the proxy writes. Only that one is read: a proxy that appends to
/// `X-Forwarded-For` passes a client's own `Forwarded` header through untouched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    #[default]
    XForwardedFor,
    Forwarded,
}

/// The configured reverse proxies and the header they write.
#[derive(Clone, Debug, Default)]
pub struct Proxies {
    nets: Vec<IpNet>,
    header: Header,
}

impl Proxies {
    /// `"10.0.0.0/8"`, `"127.0.0.1"`, `"::1"`, …, and `x-forwarded-for` or `forwarded`; the first
    /// entry that does not read is named.
    pub fn parse(list: &[String], header: &str) -> Result<Proxies, String> {
        let header = match header.trim().to_ascii_lowercase().as_str() {
            "" | "x-forwarded-for" => Header::XForwardedFor,
            "forwarded" => Header::Forwarded,
            other => return Err(other.to_owned()),
        };
        let nets = list
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)).map_err(|_| entry.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Proxies { nets, header })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
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
    let chain = forwarded_chain(headers, proxies.header);
    // Only the rightmost untrusted address is the proxy's word; if every one is a proxy, the
    // peer counts (never the leftmost entry, which the client wrote).
    chain.iter().rev().copied().map(canonical).find(|ip| !proxies.trusts(*ip)).unwrap_or(peer)
}

/// The addresses a proxy chain recorded in `header`, client first. Entries that are not
/// addresses (`unknown`, obfuscated names) are left out.
fn forwarded_chain(headers: &HeaderMap, header: Header) -> Vec<IpAddr> {
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
    match header {
        Header::Forwarded => values("forwarded")
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| pair.trim().strip_prefix("for=").or_else(|| pair.trim().strip_prefix("For=")))
            })
            .filter_map(node_ip)
            .collect(),
        Header::XForwardedFor => values("x-forwarded-for").iter().filter_map(|v| node_ip(v)).collect(),
    }
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
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "::1".into()], "x-forwarded-for").unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &proxies), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &proxies), ip("203.0.113.9"), "not a proxy: the header is ignored");
        assert_eq!(client_ip(ip("::ffff:10.1.2.3"), &h, &proxies), ip("198.51.100.7"), "IPv4 over IPv6");
        assert_eq!(client_ip(ip("10.1.2.3"), &HeaderMap::new(), &proxies), ip("10.1.2.3"));
    }

    #[test]
    fn a_client_cannot_pass_as_someone_else() {
        let proxies = Proxies::parse(&["10.0.0.1".into(), "10.0.0.2".into()], "x-forwarded-for").unwrap();
        // The client sent its own X-Forwarded-For; the proxies appended the real address.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.1")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &proxies), ip("198.51.100.7"));
        // A `Forwarded` header the client wrote itself means nothing to an X-Forwarded-For proxy.
        let h = headers(&[("forwarded", "for=9.9.9.9"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &proxies), ip("198.51.100.7"));
        // Every entry a proxy: the peer, not the client's leftmost word.
        let h = headers(&[("x-forwarded-for", "10.0.0.2")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &proxies), ip("10.0.0.1"));
        let rfc = Proxies::parse(&["10.0.0.1".into()], "forwarded").unwrap();
        let h = headers(&[("forwarded", r#"for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https"#)]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &rfc), ip("2001:db8:cafe::17"));
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
        assert_eq!(Proxies::parse(&["10.0.0.0/8".into(), "proxy.local".into()], "").unwrap_err(), "proxy.local");
        assert_eq!(Proxies::parse(&[], "x-real-ip").unwrap_err(), "x-real-ip");
    }
}
