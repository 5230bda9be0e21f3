//! Keeps webhooks from being aimed at the service's own network (SSRF):
//! unless `allow_private_targets` is set, a delivery whose host is, or
//! resolves to, a private, loopback, link-local, unspecified, shared
//! (CGNAT), broadcast or multicast address is refused.
//!
//! The check sits in the HTTP client's resolver, so the addresses checked
//! are the very ones connected to: a name that resolves to a public address
//! when checked and to a private one a moment later (DNS rebinding) cannot
//! slip through. Literal IP hosts never reach a resolver and are checked
//! before sending. Redirects and proxies are off for the same reason.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address may not be a webhook target, if it may not.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_broadcast() || ip.is_multicast() {
        Some("broadcast or multicast")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("broadcast or multicast")
    } else {
        None
    }
}

/// A refused target, found in the error chain of a failed request.
#[derive(Debug)]
pub struct TargetRefused {
    pub host: String,
    pub ip: IpAddr,
    pub reason: &'static str,
}

impl fmt::Display for TargetRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "target {} resolves to a {} address ({}), which is not allowed",
            self.host, self.reason, self.ip
        )
    }
}

impl std::error::Error for TargetRefused {}

/// The system resolver, refusing forbidden addresses unless allowed.
#[derive(Debug)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private {
                // One bad address refuses the name: the connector may try
                // any of them.
                for addr in &addrs {
                    if let Some(reason) = forbidden_reason(addr.ip()) {
                        return Err(Box::new(TargetRefused {
                            host,
                            ip: addr.ip(),
                            reason,
                        })
                            as Box<dyn std::error::Error + Send + Sync>);
                    }
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The refusal for a literal IP host, which no resolver sees.
pub fn check_literal(url: &url::Url, allow_private: bool) -> Result<(), TargetRefused> {
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match forbidden_reason(ip) {
        Some(reason) => Err(TargetRefused {
            host: ip.to_string(),
            ip,
            reason,
        }),
        None => Ok(()),
    }
}

/// The refusal somewhere in `error`'s chain of sources, if any.
pub fn find_refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a TargetRefused> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(refused) = error.downcast_ref::<TargetRefused>() {
            return Some(refused);
        }
        // An `io::Error` hides the error it wraps from `source()`.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<TargetRefused>())
        {
            return Some(inner);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_forbidden_and_public_ones_not() {
        let cases: [(&str, bool); 16] = [
            ("127.0.0.1", true),
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("0.0.0.0", true),
            ("100.64.0.1", true),
            ("255.255.255.255", true),
            ("::1", true),
            ("::", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("::ffff:127.0.0.1", true),
            ("93.184.216.34", false),
            ("172.32.0.1", false),
            ("2606:2800:220:1:248:1893:25c8:1946", false),
        ];
        for (raw, forbidden) in cases {
            let ip: IpAddr = raw.parse().unwrap();
            assert_eq!(forbidden_reason(ip).is_some(), forbidden, "{raw}");
        }
    }
}
