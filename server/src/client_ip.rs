//! The client's address: the TCP peer's, or, behind trusted reverse proxies, the address
//! they recorded. Everything that limits "per client" uses [`ClientIp`], never a header.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::config::ProxyHeader;

/// The client's address, in the request extensions (set by [`client_ip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key per-client limits count under: the address for IPv4, its /64 for IPv6. One
    /// subscriber is usually given a whole /64, so counting single IPv6 addresses would let
    /// anyone step around a limit by changing the last bits.
    pub fn rate_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let net = ipnet::Ipv6Net::new(v6, 64).expect("64 is a valid prefix length");
                net.trunc().to_string()
            }
        }
    }
}

/// Which peers are proxies whose header is believed, and which header they write.
#[derive(Debug, Clone, Default)]
pub struct ProxyConfig {
    /// Trusted proxies.
    pub trusted: Arc<[IpNet]>,
    /// The header they append the client address to.
    pub header: ProxyHeader,
}

impl ProxyConfig {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request that arrived from `peer` with `headers`.
    ///
    /// Only a trusted peer's header counts. Each proxy appends the address it received the
    /// request from, so the header is read right to left: the rightmost entry was written by
    /// the peer itself; while an entry is itself a trusted proxy, the entry to its left was
    /// written by that proxy and is believed too. The first untrusted entry is the client.
    /// Everything further left was written by the client and is ignored. An entry that is
    /// not an address (`unknown`, an obfuscated RFC 7239 name) ends the walk at the last
    /// proxy: nothing beyond it can be believed.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops = match self.header {
            ProxyHeader::XForwardedFor => x_forwarded_for(headers),
            ProxyHeader::Forwarded => forwarded(headers),
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(ip) = hop else { break };
            client = ip.to_canonical();
            if !self.is_trusted(client) {
                break;
            }
        }
        client
    }
}

/// Puts the [`ClientIp`] into the request extensions (when the server knows the peer).
pub async fn client_ip(
    State(config): State<ProxyConfig>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let ip = config.resolve(peer.ip(), req.headers());
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// Every entry of every `X-Forwarded-For` line, in order (`None`: not an address).
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(text) => text.split(',').map(parse_node).collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect()
}

/// The `for=` node of every element of every `Forwarded` line, in order (RFC 7239).
fn forwarded(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(text) => text
                .split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, node)| parse_node(node))
                })
                .collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]`, `"[2001:db8::1]:4711"`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .and_then(|n| n.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(trusted: &[&str], header: ProxyHeader) -> ProxyConfig {
        ProxyConfig {
            trusted: trusted.iter().map(|t| t.parse().unwrap()).collect(),
            header,
        }
    }

    fn headers(name: &str, lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                line.parse().unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let cfg = config(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["1.2.3.4"]);
        assert_eq!(cfg.resolve(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        let none = config(&[], ProxyHeader::XForwardedFor);
        assert_eq!(none.resolve(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn trusted_hops_are_skipped_right_to_left() {
        let cfg = config(&["10.0.0.0/8", "192.0.2.1/32"], ProxyHeader::XForwardedFor);
        // The client forged the first entry; the proxies appended the rest.
        let h = headers(
            "x-forwarded-for",
            &["6.6.6.6, 198.51.100.7", "192.0.2.1, 10.1.2.3"],
        );
        assert_eq!(cfg.resolve(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // Only proxies: the leftmost proxy is as far as anything is known.
        let h = headers("x-forwarded-for", &["10.9.9.9"]);
        assert_eq!(cfg.resolve(ip("10.0.0.1"), &h), ip("10.9.9.9"));
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(
            cfg.resolve(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // Garbage ends the walk at the last trusted hop.
        let h = headers("x-forwarded-for", &["1.1.1.1, unknown, 10.2.2.2"]);
        assert_eq!(cfg.resolve(ip("10.0.0.1"), &h), ip("10.2.2.2"));
        // IPv4-mapped IPv6 peers are their IPv4 address.
        let h = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(cfg.resolve(ip("::ffff:10.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn forwarded_header_and_ports() {
        let cfg = config(&["10.0.0.0/8"], ProxyHeader::Forwarded);
        let h = headers(
            "forwarded",
            &["for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.0.0.5:80"],
        );
        assert_eq!(cfg.resolve(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        // X-Forwarded-For is not read when the proxy writes Forwarded (the client could have
        // written it).
        let h = headers("x-forwarded-for", &["6.6.6.6"]);
        assert_eq!(cfg.resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a = ClientIp(ip("2001:db8:1:2:aaaa::1")).rate_key();
        let b = ClientIp(ip("2001:db8:1:2:bbbb::2")).rate_key();
        let c = ClientIp(ip("2001:db8:1:3::1")).rate_key();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(ClientIp(ip("192.0.2.4")).rate_key(), "192.0.2.4");
    }
}
