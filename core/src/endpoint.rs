//! Database endpoints: parsing `host[:port]`, validation, and region inference from AWS hostnames.

use crate::error::{Error, Result};

/// Default PostgreSQL port, used when neither the host nor the caller names one.
pub const DEFAULT_PORT: u16 = 5432;

/// A validated database endpoint: the host exactly as the token will carry it, and a port.
///
/// The host keeps its case (botocore does too; the signature is computed over the lower-cased
/// form), loses a leading `https://` and one trailing dot, and is restricted to DNS name
/// characters or a bracketed IPv6 literal, so that nothing can smuggle query syntax into a token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    host: String,
    port: u16,
}

/// What kind of endpoint a hostname names, judged from its shape alone (no DNS lookup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostKind {
    /// An RDS DB instance or Aurora cluster / instance endpoint (`….<region>.rds.amazonaws.com`).
    Rds,
    /// An RDS Proxy endpoint (`….proxy-….<region>.rds.amazonaws.com`).
    RdsProxy,
    /// An Aurora DSQL cluster endpoint (`<id>.dsql.<region>.on.aws`).
    Dsql,
    /// An IP address literal (a tunnel or local test database).
    IpAddress,
    /// Any other DNS name (a CNAME, Route 53 alias, or tunnel name): tokens must be signed for
    /// the real AWS endpoint, see `sign_host`.
    Custom,
}

impl Endpoint {
    /// Parses `host`, `host:port`, `https://host[:port]` or `[ipv6][:port]`.
    ///
    /// `port` is the caller's explicit port, if any. A port inside `input` must agree with it;
    /// with neither, [`DEFAULT_PORT`] is used.
    pub fn parse(input: &str, port: Option<u16>) -> Result<Self> {
        Self::parse_or(input, port, DEFAULT_PORT)
    }

    /// Like [`Self::parse`], with `default_port` used when neither `input` nor `port` names
    /// one (6379 for a cache, see [`crate::TokenKind::default_port`]).
    pub fn parse_or(input: &str, port: Option<u16>, default_port: u16) -> Result<Self> {
        let (host, embedded_port) = split_host_port(bare_host_port(input)?)?;
        let port = match (embedded_port, port) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::endpoint(format!(
                    "host `{input}` names port {a} but port {b} was also given; pass one of them"
                )))
            }
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => default_port,
        };
        Self::new(host, port)
    }

    /// Like [`Self::parse`], but a port inside `input` simply wins over `default_port`.
    pub fn parse_with_default(input: &str, default_port: u16) -> Result<Self> {
        let (host, embedded) = split_host_port(bare_host_port(input)?)?;
        Self::new(host, embedded.unwrap_or(default_port))
    }

    /// Builds an endpoint from a bare host (no port, no scheme) and a port.
    pub fn new(host: &str, port: u16) -> Result<Self> {
        if port == 0 {
            return Err(Error::endpoint(
                "port 0 is not a database port; pass the port your database listens on (1-65535)",
            ));
        }
        let host = host.strip_suffix('.').unwrap_or(host);
        validate_host(host)?;
        Ok(Endpoint {
            host: host.to_owned(),
            port,
        })
    }

    /// The host as it appears in the token (case kept).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The region named by an AWS database hostname, if the host is one.
    pub fn inferred_region(&self) -> Option<String> {
        infer_region(&self.host)
    }

    /// What kind of endpoint the host looks like.
    pub fn kind(&self) -> HostKind {
        host_kind(&self.host)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Whether `input` (`host`, `host:port`, `https://…`) names a port of its own.
pub(crate) fn names_port(input: &str) -> bool {
    matches!(
        bare_host_port(input).and_then(split_host_port),
        Ok((_, Some(_)))
    )
}

/// A loopback or IP address: where a tunnel (SSM, SSH, kubectl port-forward) ends.
pub(crate) fn is_tunnel_address(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok()
}

/// `input` without a leading `https://` and a trailing `/`. Any other URL, or a `user@host`,
/// is refused with the host to pass instead, never echoing the user info: a connection URL's
/// password may be a token.
fn bare_host_port(input: &str) -> Result<&str> {
    let trimmed = input.strip_prefix("https://").unwrap_or(input);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let (scheme, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, trimmed),
    };
    // Query and fragment first (they may hold a password), then the user info, then the path.
    let before_query = rest.split(['?', '#']).next().unwrap_or_default();
    let (user_info, after_user) = match before_query.rsplit_once('@') {
        Some((_, host)) => (true, host),
        None => (false, before_query),
    };
    if scheme.is_none() && !user_info {
        return Ok(trimmed);
    }
    let host_port = after_user.split('/').next().unwrap_or_default();
    // Only a real scheme is named: text before `://` that is not one may be user info
    // (`user:password@postgres://…`, found by fuzzing), and its password is never echoed.
    let given = match scheme {
        Some(scheme) if is_scheme(scheme) => format!("a `{scheme}://` URL"),
        Some(_) => "a URL".to_owned(),
        None => "`user@host`".to_owned(),
    };
    Err(Error::endpoint(format!(
        "{given} was given as the host: pass only the host name and port (`{}`); the user, \
         password and database have options of their own",
        host_port.escape_debug()
    )))
}

/// RFC 3986's `scheme`: a letter, then letters, digits, `+`, `-` and `.`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn split_host_port(s: &str) -> Result<(&str, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| Error::endpoint("IPv6 address is missing its closing `]`"))?;
        let host = &s[..close + 2];
        let after = &rest[close + 1..];
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(parse_port(p)?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(Error::endpoint(format!(
                "unexpected text after the IPv6 address in `{s}`"
            ))),
        };
    }
    match s.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(parse_port(port)?))),
        None => Ok((s, None)),
    }
}

fn parse_port(p: &str) -> Result<u16> {
    let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match p.parse::<u32>() {
        Ok(n) if digits && (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(Error::endpoint(format!(
            "port `{}` is not a number from 1 to 65535",
            p.escape_debug()
        ))),
    }
}

fn validate_host(host: &str) -> Result<()> {
    if host.is_empty() {
        return Err(Error::endpoint(
            "host is empty; pass the database endpoint, e.g. mydb.abc123.us-east-1.rds.amazonaws.com",
        ));
    }
    if host.len() > 253 {
        return Err(Error::endpoint("host is longer than 253 characters"));
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.parse::<std::net::Ipv6Addr>().is_ok() {
            return Ok(());
        }
        return Err(Error::endpoint(format!(
            "`{}` is not an IPv6 address",
            host.escape_debug()
        )));
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        let hint = match bad {
            '/' | '?' | '#' => "pass only the host name, not a URL path or query",
            '@' => "pass the user separately, not as user@host",
            ':' => "pass the port separately, or as a single host:port",
            c if c.is_whitespace() || c.is_control() => "remove whitespace and control characters",
            c if !c.is_ascii() => "use the ASCII (punycode, xn--) form of the name",
            _ => "a host name has only letters, digits, `-`, `_` and `.`",
        };
        return Err(Error::endpoint(format!(
            "host `{}` contains {:?}; {hint}",
            host.escape_debug(),
            bad
        )));
    }
    if host.split('.').any(str::is_empty) {
        return Err(Error::endpoint(format!(
            "host `{host}` has an empty label (`..` or a leading dot)"
        )));
    }
    Ok(())
}

/// DNS suffixes of the AWS partitions that host RDS and DSQL endpoints.
const RDS_SUFFIXES: [&str; 3] = [
    ".rds.amazonaws.com",
    ".rds.amazonaws.com.cn",
    ".rds.amazonaws.eu",
];
const DSQL_SUFFIXES: [&str; 2] = [".on.aws", ".on.amazonwebservices.com.cn"];

/// Infers the region from an RDS/Aurora/RDS Proxy or Aurora DSQL hostname (case-insensitive).
///
/// `mydb.abc123.us-east-1.rds.amazonaws.com` → `us-east-1`;
/// `abc.dsql.eu-west-1.on.aws` → `eu-west-1`; anything else → `None`.
pub fn infer_region(host: &str) -> Option<String> {
    let lower = host.to_ascii_lowercase();
    let lower = lower.strip_suffix('.').unwrap_or(&lower);
    for suffix in RDS_SUFFIXES {
        if let Some(rest) = lower.strip_suffix(suffix) {
            // Real endpoints are <name>.<id>.<region>; the SDKs' own examples use <name>.<region>.
            let mut labels = rest.rsplit('.');
            let region = labels.next()?;
            return (labels.count() >= 1 && is_region(region)).then(|| region.to_owned());
        }
    }
    for suffix in DSQL_SUFFIXES {
        if let Some(rest) = lower.strip_suffix(suffix) {
            let mut labels = rest.rsplit('.');
            let region = labels.next()?;
            let service = labels.next()?;
            return (service == "dsql" && labels.count() >= 1 && is_region(region))
                .then(|| region.to_owned());
        }
    }
    None
}

/// Classifies a hostname by its shape (see [`HostKind`]).
pub fn host_kind(host: &str) -> HostKind {
    let lower = host.to_ascii_lowercase();
    if lower.starts_with('[') || lower.parse::<std::net::Ipv4Addr>().is_ok() {
        return HostKind::IpAddress;
    }
    if infer_region(&lower).is_none() {
        return HostKind::Custom;
    }
    if DSQL_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        HostKind::Dsql
    } else if lower
        .split('.')
        .nth(1)
        .is_some_and(|l| l.starts_with("proxy-"))
    {
        HostKind::RdsProxy
    } else {
        HostKind::Rds
    }
}

/// True for strings shaped like an AWS region name (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn a_url_or_user_info_is_refused_without_echoing_the_password() {
        for (input, scheme, host) in [
            (
                "rediss://:TOKEN-SECRET@my-cache-abc.serverless.use1.cache.amazonaws.com:6379",
                Some("rediss"),
                "my-cache-abc.serverless.use1.cache.amazonaws.com:6379",
            ),
            (
                "postgres://app:TOKEN-SECRET@db.abc.us-east-1.rds.amazonaws.com:5432/app?sslmode=require",
                Some("postgres"),
                "db.abc.us-east-1.rds.amazonaws.com:5432",
            ),
            (
                "postgresql://db.abc.us-east-1.rds.amazonaws.com/app?password=TOKEN-SECRET",
                Some("postgresql"),
                "db.abc.us-east-1.rds.amazonaws.com",
            ),
            (
                "https://app:TOKEN-SECRET@db.local:5432",
                None,
                "db.local:5432",
            ),
            ("app:TOKEN-SECRET@db.local", None, "db.local"),
        ] {
            let err = Endpoint::parse(input, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidEndpoint, "{input}");
            let text = err.to_string();
            assert!(!text.contains("TOKEN-SECRET"), "{text}");
            assert!(text.contains(&format!("(`{host}`)")), "{text}");
            match scheme {
                Some(s) => assert!(text.contains(&format!("a `{s}://` URL")), "{text}"),
                None => assert!(text.contains("`user@host`"), "{text}"),
            }
        }
    }

    #[test]
    fn user_info_before_a_scheme_is_not_echoed_as_the_scheme() {
        // Found by the endpoint fuzz target: the text before `://` was named as the scheme.
        let err = Endpoint::parse("user:TOKEN-SECRET@postgres://u:p@h/db?x=1", None).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("TOKEN-SECRET"), "{text}");
        assert!(text.contains("a URL was given"), "{text}");
        assert!(text.contains("(`h`)"), "{text}");
    }

    #[test]
    fn parses_the_accepted_forms() {
        let e =
            Endpoint::parse("https://Prod.abc.us-east-1.rds.amazonaws.com.:3306", None).unwrap();
        assert_eq!(
            (e.host(), e.port()),
            ("Prod.abc.us-east-1.rds.amazonaws.com", 3306)
        );
        assert_eq!(Endpoint::parse("db.local", None).unwrap().port(), 5432);
        assert_eq!(
            Endpoint::parse("db.local", Some(3306)).unwrap().port(),
            3306
        );
        assert_eq!(
            Endpoint::parse("db.local:3306", Some(3306)).unwrap().port(),
            3306
        );
        let v6 = Endpoint::parse("[::1]:5433", None).unwrap();
        assert_eq!(
            (v6.host(), v6.port(), v6.kind()),
            ("[::1]", 5433, HostKind::IpAddress)
        );
    }

    #[test]
    fn rejects_bad_hosts_and_ports() {
        for bad in [
            "",
            " ",
            "a b",
            "a/b",
            "a?b",
            "u@h",
            "h\r\nx",
            "h\tx",
            "h\0",
            "a..b",
            ".a",
            "h:0",
            "h:65536",
            "h:-1",
            "h:x",
            "ho\u{e9}st",
            "[::1",
            "[zz]",
            "a:b:c",
            "[:]",
            "h:+5432",
        ] {
            let err = Endpoint::parse(bad, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidEndpoint, "{bad:?}");
        }
        assert!(Endpoint::parse("h:5432", Some(3306)).is_err());
        assert!(Endpoint::new("h", 0).is_err());
    }

    #[test]
    fn infers_regions_from_aws_names() {
        let cases = [
            ("mydb.abc123.us-east-1.rds.amazonaws.com", Some("us-east-1")),
            ("MyDB.ABC123.US-WEST-2.RDS.AMAZONAWS.COM", Some("us-west-2")),
            (
                "c.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
                Some("eu-west-1"),
            ),
            ("p.proxy-abc.us-west-2.rds.amazonaws.com", Some("us-west-2")),
            ("db.abc.cn-north-1.rds.amazonaws.com.cn", Some("cn-north-1")),
            (
                "db.abc.us-gov-west-1.rds.amazonaws.com",
                Some("us-gov-west-1"),
            ),
            ("peccy.dsql.us-east-1.on.aws", Some("us-east-1")),
            (
                "prod-instance.us-east-1.rds.amazonaws.com",
                Some("us-east-1"),
            ),
            ("us-east-1.rds.amazonaws.com", None),
            ("dsql.us-east-1.on.aws", None),
            ("db.example.com", None),
            ("127.0.0.1", None),
        ];
        for (host, want) in cases {
            assert_eq!(infer_region(host).as_deref(), want, "{host}");
        }
    }

    #[test]
    fn classifies_hosts() {
        assert_eq!(host_kind("a.b.us-east-1.rds.amazonaws.com"), HostKind::Rds);
        assert_eq!(
            host_kind("p.proxy-x.us-east-1.rds.amazonaws.com"),
            HostKind::RdsProxy
        );
        assert_eq!(host_kind("x.dsql.us-east-1.on.aws"), HostKind::Dsql);
        assert_eq!(host_kind("10.0.0.1"), HostKind::IpAddress);
        assert_eq!(host_kind("db.corp.example"), HostKind::Custom);
    }

    #[test]
    fn region_shape() {
        assert!(
            is_region("us-east-1") && is_region("us-gov-west-1") && is_region("eusc-de-east-1")
        );
        assert!(!is_region("US-EAST-1") && !is_region("useast1") && !is_region("us-east-x"));
        assert!(!is_region("us-east-1/x") && !is_region(""));
    }
}
