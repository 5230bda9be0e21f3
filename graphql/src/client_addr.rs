//! Which address a request comes from: the TCP peer, unless the peer is a
//! trusted proxy (the `trusted_proxies` setting), in which case the address
//! the proxies forwarded. Log entries record it and the per-address
//! throttle counts it, so behind a load balancer each client gets its own
//! count instead of sharing the balancer's.
//!
//! Forwarding headers are read only when the peer is trusted: a client that
//! reaches usergraph directly cannot choose its address by sending them.
//! The client is the right-most forwarded address that is not itself a
//! trusted proxy (every hop appends the address it received from, so the
//! ones left of it were written by the client and prove nothing).
//! `X-Forwarded-For` is read when present (nearly every proxy writes it),
//! else RFC 7239's `Forwarded: for=`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName, header};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The networks whose connections are proxies usergraph may believe about
/// the client's address. Empty (the default): forwarding headers are
/// ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

/// An entry of `trusted_proxies` that is no address or CIDR block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a CIDR block such as 10.0.0.0/8")]
pub struct InvalidProxy(String);

impl TrustedProxies {
    /// Parses CIDR blocks (`10.0.0.0/8`, `fd00::/8`) and single addresses
    /// (`192.0.2.7`, the same as `192.0.2.7/32`).
    pub fn parse<S: AsRef<str>>(
        entries: impl IntoIterator<Item = S>,
    ) -> Result<Self, InvalidProxy> {
        let nets = entries
            .into_iter()
            .map(|entry| parse_net(entry.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { nets })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a connection from `peer` carrying
    /// `headers`: `peer` itself unless it is trusted; otherwise, walking the
    /// forwarded addresses from the right, the first one not trusted. A
    /// forwarded entry that is no address (`unknown`, an obfuscated name,
    /// garbage) stops the walk at the trusted hop that wrote it.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        for hop in forwarded_chain(headers).into_iter().rev() {
            match hop {
                Some(ip) if self.contains(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// The client address of `request`, as text for the caller; `None` when
/// the server was not run with connection info (see [`crate::serve`]).
pub(crate) fn of_request(request: &Request, trusted: &TrustedProxies) -> Option<String> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    Some(trusted.client_ip(peer.ip(), request.headers()).to_string())
}

fn parse_net(entry: &str) -> Result<IpNet, InvalidProxy> {
    let entry = entry.trim();
    entry
        .parse::<IpNet>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| InvalidProxy(entry.to_owned()))
}

/// The forwarded addresses, left (client side) to right (nearest proxy);
/// `None` for an entry that is no address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    if headers.contains_key(&X_FORWARDED_FOR) {
        headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .flat_map(|value| match value.to_str() {
                Ok(text) => text.split(',').map(node).collect(),
                Err(_) => vec![None],
            })
            .collect()
    } else {
        headers
            .get_all(header::FORWARDED)
            .iter()
            .flat_map(|value| match value.to_str() {
                Ok(text) => split_unquoted(text, ',')
                    .into_iter()
                    .map(forwarded_for)
                    .collect(),
                Err(_) => vec![None],
            })
            .collect()
    }
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=http`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_unquoted(element, ';').into_iter().find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then(|| {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            node(value)
        })?
    })
}

/// An address as forwarding headers write it: `192.0.2.7`, `192.0.2.7:4711`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })?;
    Some(ip.to_canonical())
}

/// `text` split at `separator`s outside double-quoted strings.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Comma-separated, as in `USERGRAPH_TRUSTED_PROXIES=10.0.0.0/8,192.0.2.7`.
impl FromStr for TrustedProxies {
    type Err = InvalidProxy;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text.split(',').filter(|entry| !entry.trim().is_empty()))
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets: Vec<String> = self.nets.iter().map(IpNet::to_string).collect();
        f.write_str(&nets.join(","))
    }
}

/// A list of CIDR strings.
impl Serialize for TrustedProxies {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.nets.iter().map(IpNet::to_string))
    }
}

/// A list of CIDR strings, or one comma-separated string (what an
/// environment variable holds).
impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            List(Vec<String>),
            Text(String),
        }
        let parsed = match Given::deserialize(deserializer)? {
            Given::List(entries) => TrustedProxies::parse(entries),
            Given::Text(text) => text.parse(),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn trusting(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(nets).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let spoofed = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        let peer = ip("127.0.0.1");
        assert_eq!(TrustedProxies::default().client_ip(peer, &spoofed), peer);
        // A peer outside the trusted networks is the client, whatever it sends.
        let peer = ip("198.51.100.4");
        assert_eq!(trusting(&["10.0.0.0/8"]).client_ip(peer, &spoofed), peer);
    }

    #[test]
    fn the_right_most_untrusted_forwarded_address_is_the_client() {
        let proxies = trusting(&["10.0.0.0/8", "192.0.2.7"]);
        let peer = ip("10.1.1.1");
        // The client claims 1.1.1.1; the edge proxy saw 203.0.113.9; an
        // inner proxy (192.0.2.7) forwarded to the peer.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 192.0.2.7")]);
        assert_eq!(proxies.client_ip(peer, &chain), ip("203.0.113.9"));
        // Several header lines form one list, in order.
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9,10.2.2.2"),
        ]);
        assert_eq!(proxies.client_ip(peer, &split), ip("203.0.113.9"));
        // Every forwarded address trusted: the left-most is the client.
        let inside = headers(&[("x-forwarded-for", "10.3.3.3, 10.2.2.2")]);
        assert_eq!(proxies.client_ip(peer, &inside), ip("10.3.3.3"));
        // No header: the trusted peer is all there is.
        assert_eq!(proxies.client_ip(peer, &HeaderMap::new()), peer);
    }

    #[test]
    fn forwarded_is_read_when_x_forwarded_for_is_absent() {
        let proxies = trusting(&["127.0.0.1/32"]);
        let peer = ip("127.0.0.1");
        let forwarded = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=127.0.0.1",
        )]);
        assert_eq!(proxies.client_ip(peer, &forwarded), ip("2001:db8:cafe::17"));
        let mixed_case = headers(&[("forwarded", "proto=http;For=198.51.100.17:80")]);
        assert_eq!(proxies.client_ip(peer, &mixed_case), ip("198.51.100.17"));
        // A quoted value may hold separators.
        let quoted = headers(&[("forwarded", "for=198.51.100.17;ext=\"a,b;c\"")]);
        assert_eq!(proxies.client_ip(peer, &quoted), ip("198.51.100.17"));
        // Both present: X-Forwarded-For, which nearly every proxy writes.
        let both = headers(&[
            ("forwarded", "for=1.1.1.1"),
            ("x-forwarded-for", "198.51.100.17"),
        ]);
        assert_eq!(proxies.client_ip(peer, &both), ip("198.51.100.17"));
    }

    #[test]
    fn an_entry_that_is_no_address_stops_at_the_hop_that_wrote_it() {
        let proxies = trusting(&["10.0.0.0/8"]);
        let peer = ip("10.1.1.1");
        for value in ["1.1.1.1, unknown", "1.1.1.1, _hidden", "1.1.1.1, not an ip"] {
            let chain = headers(&[("x-forwarded-for", value)]);
            assert_eq!(proxies.client_ip(peer, &chain), peer, "{value}");
        }
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, unknown, 10.9.9.9")]);
        assert_eq!(proxies.client_ip(peer, &chain), ip("10.9.9.9"));
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(proxies.client_ip(peer, &unknown), peer);
        let no_for = headers(&[("forwarded", "proto=https")]);
        assert_eq!(proxies.client_ip(peer, &no_for), peer);
    }

    #[test]
    fn addresses_with_ports_and_mapped_ipv4_are_understood() {
        let proxies = trusting(&["127.0.0.1"]);
        // An IPv4 peer on an IPv6 socket is matched as IPv4.
        let peer = ip("::ffff:127.0.0.1");
        let chain = headers(&[("x-forwarded-for", "203.0.113.9:41237")]);
        assert_eq!(proxies.client_ip(peer, &chain), ip("203.0.113.9"));
        let chain = headers(&[("x-forwarded-for", "[2001:db8::1]:80")]);
        assert_eq!(proxies.client_ip(peer, &chain), ip("2001:db8::1"));
        let chain = headers(&[("x-forwarded-for", "::ffff:203.0.113.9")]);
        assert_eq!(proxies.client_ip(peer, &chain), ip("203.0.113.9"));
    }

    #[test]
    fn settings_parse_from_lists_and_comma_separated_text() {
        let parsed: TrustedProxies = " 10.0.0.0/8 , 192.0.2.7,fd00::/8".parse().unwrap();
        assert_eq!(
            parsed,
            trusting(&["10.0.0.0/8", "192.0.2.7/32", "fd00::/8"])
        );
        assert_eq!(parsed.to_string(), "10.0.0.0/8,192.0.2.7/32,fd00::/8");
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        // Host bits are dropped: 10.1.2.3/8 is 10.0.0.0/8.
        assert!(trusting(&["10.1.2.3/8"]).contains(ip("10.200.0.1")));
        for bad in ["10.0.0.0/33", "10.0.0", "localhost", "10.0.0.0/8/8"] {
            let err = TrustedProxies::parse([bad]).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
        let from_list: TrustedProxies = serde_json::from_str(r#"["10.0.0.0/8", "::1"]"#).unwrap();
        assert_eq!(from_list, trusting(&["10.0.0.0/8", "::1/128"]));
        let from_text: TrustedProxies = serde_json::from_str(r#""10.0.0.0/8,::1""#).unwrap();
        assert_eq!(from_text, from_list);
        assert_eq!(
            serde_json::to_string(&from_list).unwrap(),
            r#"["10.0.0.0/8","::1/128"]"#
        );
        assert!(serde_json::from_str::<TrustedProxies>(r#"["10.0.0.0/99"]"#).is_err());
    }
}
