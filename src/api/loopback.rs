//! `localhost` is loopback, whatever a resolver says: a mount namespace or an edited
//! /etc/hosts can map the name elsewhere, and an `http://localhost` base URL would then send
//! the password in clear text to another host. Every other name goes to ureq's resolver.
//!
//! (ureq's resolver trait is in its `unversioned` module; Cargo.lock pins the version.)

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

#[derive(Debug, Default)]
pub(super) struct LoopbackLocalhost {
    others: DefaultResolver,
}

impl Resolver for LoopbackLocalhost {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some(port) = uri
            .host()
            .filter(|host| is_localhost(host))
            .map(|_| default_port(uri))
        else {
            return self.others.resolve(uri, config, timeout);
        };
        let mut addresses = self.empty();
        for address in loopback(port) {
            addresses.push(address);
        }
        Ok(addresses)
    }
}

/// Whether `host` is `localhost` (in any case, with or without the root's trailing dot).
pub(super) fn is_localhost(host: &str) -> bool {
    host.trim_end_matches('.').eq_ignore_ascii_case("localhost")
}

/// Where `localhost` is, at `port`: IPv4's loopback address first, then IPv6's.
pub(super) fn loopback(port: u16) -> [SocketAddr; 2] {
    [
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
    ]
}

fn default_port(uri: &Uri) -> u16 {
    uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_is_always_the_loopback_addresses() {
        let resolver = LoopbackLocalhost::default();
        let config = ureq::config::Config::default();
        for (url, port) in [
            ("http://localhost:8080/x", 8080),
            ("http://LOCALHOST/", 80),
            ("https://localhost./", 443),
        ] {
            let uri: Uri = url.parse().unwrap();
            let found = resolver
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap();
            let found: Vec<SocketAddr> = found.iter().copied().collect();
            assert_eq!(
                found,
                [
                    SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                    SocketAddr::from((Ipv6Addr::LOCALHOST, port))
                ],
                "{url}"
            );
        }
    }
}
