//! The name an ElastiCache / MemoryDB token signs, read from the cache's name or from the
//! endpoint a client dials.
//!
//! A cache token is a presigned `GET https://<name>/`: it names the cache, never a host or a
//! port, so an endpoint has to be taken apart. The forms understood (case-insensitive, with or
//! without `https://`, a port or a trailing dot):
//!
//! | given | kind | name signed | region |
//! |---|---|---|---|
//! | `my-cache` (no dot) | every cache kind | `my-cache` | `region` only |
//! | `master.<name>.<id>.<code>.cache.amazonaws.com` (primary) | `elasticache` | `<name>` | from `<code>` |
//! | `replica.<name>.<id>.<code>.cache.amazonaws.com` (reader) | `elasticache` | `<name>` | from `<code>` |
//! | `clustercfg.<name>.<id>.<code>.cache.amazonaws.com` (configuration) | `elasticache` | `<name>` | from `<code>` |
//! | `<node>.<name>.<id>.<code>.cache.amazonaws.com` (a node, TLS on) | `elasticache` | `<name>` | from `<code>` |
//! | `<name>-<id>.serverless.<code>.cache.amazonaws.com` | `elasticache-serverless` | `<name>` | from `<code>` |
//! | `clustercfg.<name>.<id>.memorydb.<region>.amazonaws.com` (and node endpoints) | `memorydb` | `<name>` | `<region>` |
//!
//! `<code>` is ElastiCache's short region code (`use1`, see [`crate::region_codes`]) or a
//! region name; China's endpoints end in `.amazonaws.com.cn`. ElastiCache names are
//! lower-cased (the service stores them so, and a token for `My-Cache` would not match);
//! MemoryDB names are kept as given (the signed `host` header is lower-cased anyway, as
//! botocore does). Anything else with a dot — an IP address, a custom DNS name, an endpoint of
//! the other service — is refused: the token must name the cache, so pass its name as the host
//! to sign for and dial the address as `host`.

use crate::error::{Error, Result};
use crate::region_codes::region_for_code;
use crate::token_kind::TokenKind;

/// What a cache token is signed for, as read from the caller's input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CacheName {
    /// The cache name the token signs (lower-cased for ElastiCache).
    pub(crate) name: String,
    /// The region the endpoint spells out, if it does.
    pub(crate) region: Option<String>,
}

const ELASTICACHE_SUFFIXES: [&str; 2] = [".cache.amazonaws.com", ".cache.amazonaws.com.cn"];
const MEMORYDB_SUFFIXES: [&str; 2] = [".amazonaws.com", ".amazonaws.com.cn"];

/// Reads the name (and the region, where the endpoint spells it) for a cache `kind` from a
/// host that [`crate::Endpoint`] has already checked (DNS characters only, no port).
pub(crate) fn parse(kind: TokenKind, host: &str) -> Result<CacheName> {
    let lower = host.to_ascii_lowercase();
    let named = |name: &str, region: Option<String>| CacheName {
        name: if kind == TokenKind::MemoryDb {
            // `lower` and `host` differ only in case, so the offsets agree.
            let start = name.as_ptr() as usize - lower.as_ptr() as usize;
            host[start..start + name.len()].to_owned()
        } else {
            name.to_owned()
        },
        region,
    };
    if !lower.contains('.') {
        return Ok(named(&lower, None));
    }
    let found = ELASTICACHE_SUFFIXES
        .iter()
        .find_map(|s| lower.strip_suffix(s))
        .map(|rest| (Service::ElastiCache, rest))
        .or_else(|| {
            MEMORYDB_SUFFIXES
                .iter()
                .find_map(|s| lower.strip_suffix(s))
                .and_then(|rest| rest.rsplit_once('.'))
                .and_then(|(rest, region)| {
                    let (rest, service) = rest.rsplit_once('.')?;
                    (service == "memorydb").then_some((Service::MemoryDb(region), rest))
                })
        });
    let Some((service, rest)) = found else {
        return Err(not_a_cache_endpoint(host, kind));
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let (form, name, region) = match (service, labels.as_slice()) {
        (Service::ElastiCache, [name_id, "serverless", code]) => {
            let name = name_id
                .rsplit_once('-')
                .map(|(name, _id)| name)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| not_a_cache_endpoint(host, kind))?;
            (TokenKind::ElastiCacheServerless, name, region_of(code))
        }
        (Service::ElastiCache, [_role_or_node, name, _id, code]) => {
            (TokenKind::ElastiCache, *name, region_of(code))
        }
        (Service::MemoryDb(region), [_role_or_node, name, _id]) => {
            (TokenKind::MemoryDb, *name, region_of(region))
        }
        _ => return Err(not_a_cache_endpoint(host, kind)),
    };
    if form != kind {
        return Err(Error::endpoint(format!(
            "`{host}` is {} endpoint, but the token kind is `{}`; use kind `{}`",
            article_name(form),
            kind.as_str(),
            form.as_str()
        )));
    }
    Ok(named(name, region))
}

#[derive(Clone, Copy)]
enum Service<'a> {
    ElastiCache,
    /// With the region label that follows `memorydb`.
    MemoryDb(&'a str),
}

/// A short region code (`use1`) or a region name spelled out (`us-east-1`).
fn region_of(label: &str) -> Option<String> {
    region_for_code(label)
        .map(str::to_owned)
        .or_else(|| crate::endpoint::is_region(label).then(|| label.to_owned()))
}

fn article_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::ElastiCacheServerless => "an ElastiCache Serverless",
        TokenKind::MemoryDb => "a MemoryDB",
        _ => "a node-based ElastiCache",
    }
}

fn not_a_cache_endpoint(host: &str, kind: TokenKind) -> Error {
    let example = match kind {
        TokenKind::ElastiCacheServerless => "`my-cache-abc123.serverless.use1.cache.amazonaws.com`",
        TokenKind::MemoryDb => "`clustercfg.my-cluster.abc123.memorydb.us-east-1.amazonaws.com`",
        _ => "`master.my-cache.abc123.use1.cache.amazonaws.com`",
    };
    Error::endpoint(format!(
        "`{}` is not {} endpoint, and a `{}` token signs the cache's name, not a host: pass the \
         name (e.g. `my-cache`) or the endpoint the service gave you (e.g. {example}); to dial \
         another address (a tunnel, 127.0.0.1), connect there and sign for the cache's name",
        host.escape_debug(),
        article_name(kind),
        kind.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use TokenKind::{ElastiCache, ElastiCacheServerless, MemoryDb};

    fn ok(kind: TokenKind, host: &str) -> (String, Option<String>) {
        let c = parse(kind, host).unwrap_or_else(|e| panic!("{host}: {e}"));
        (c.name, c.region)
    }

    fn pair(name: &str, region: Option<&str>) -> (String, Option<String>) {
        (name.to_owned(), region.map(str::to_owned))
    }

    #[test]
    fn every_documented_form_gives_the_name_and_region() {
        let cases = [
            (ElastiCache, "My-Cache", pair("my-cache", None)),
            (ElastiCacheServerless, "my-cache", pair("my-cache", None)),
            (MemoryDb, "My-Cluster", pair("My-Cluster", None)),
            (
                ElastiCache,
                "master.my-rg.abc123.use1.cache.amazonaws.com",
                pair("my-rg", Some("us-east-1")),
            ),
            (
                ElastiCache,
                "replica.my-rg.abc123.apse2.cache.amazonaws.com",
                pair("my-rg", Some("ap-southeast-2")),
            ),
            (
                ElastiCache,
                "CLUSTERCFG.My-RG.ABC123.EUW1.cache.amazonaws.com",
                pair("my-rg", Some("eu-west-1")),
            ),
            (
                ElastiCache,
                "my-rg-0001-001.my-rg.abc123.usw2.cache.amazonaws.com",
                pair("my-rg", Some("us-west-2")),
            ),
            (
                ElastiCache,
                "master.my-rg.abc123.cnn1.cache.amazonaws.com.cn",
                pair("my-rg", Some("cn-north-1")),
            ),
            (
                ElastiCache,
                "master.my-rg.abc123.eu-west-3.cache.amazonaws.com",
                pair("my-rg", Some("eu-west-3")),
            ),
            (
                ElastiCache,
                "master.my-rg.abc123.zzz9.cache.amazonaws.com",
                pair("my-rg", None),
            ),
            (
                ElastiCacheServerless,
                "my-cache-abc123.serverless.use1.cache.amazonaws.com",
                pair("my-cache", Some("us-east-1")),
            ),
            (
                ElastiCacheServerless,
                "Prod-Sessions-X1Y2Z3.serverless.euc1.cache.amazonaws.com",
                pair("prod-sessions", Some("eu-central-1")),
            ),
            (
                MemoryDb,
                "clustercfg.my-cluster.abc123.memorydb.us-east-1.amazonaws.com",
                pair("my-cluster", Some("us-east-1")),
            ),
            (
                MemoryDb,
                "my-cluster-0001-001.My-Cluster.abc123.memorydb.eu-west-1.amazonaws.com",
                pair("My-Cluster", Some("eu-west-1")),
            ),
        ];
        for (kind, host, want) in cases {
            assert_eq!(ok(kind, host), want, "{host}");
        }
    }

    #[test]
    fn other_hosts_are_refused_with_what_to_pass() {
        let cases = [
            (ElastiCache, "127.0.0.1"),
            (ElastiCache, "redis.internal.example.com"),
            (ElastiCache, "db.abc123.us-east-1.rds.amazonaws.com"),
            (ElastiCache, "my-rg.abc123.ng.0001.use1.cache.amazonaws.com"),
            (ElastiCache, "abc123.use1.cache.amazonaws.com"),
            (
                ElastiCacheServerless,
                "abc.serverless.use1.cache.amazonaws.com",
            ),
            (MemoryDb, "clustercfg.my-cluster.abc.memorydb.amazonaws.com"),
            (MemoryDb, "s3.us-east-1.amazonaws.com"),
        ];
        for (kind, host) in cases {
            let e = parse(kind, host).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidEndpoint, "{host}");
            assert!(e.to_string().contains("pass the"), "{host}: {e}");
        }
    }

    #[test]
    fn an_endpoint_of_another_kind_names_the_right_kind() {
        let cases = [
            (
                ElastiCache,
                "my-cache-abc123.serverless.use1.cache.amazonaws.com",
                "use kind `elasticache-serverless`",
            ),
            (
                ElastiCacheServerless,
                "master.my-rg.abc123.use1.cache.amazonaws.com",
                "use kind `elasticache`",
            ),
            (
                ElastiCache,
                "clustercfg.c.abc.memorydb.us-east-1.amazonaws.com",
                "use kind `memorydb`",
            ),
            (
                MemoryDb,
                "master.my-rg.abc123.use1.cache.amazonaws.com",
                "use kind `elasticache`",
            ),
        ];
        for (kind, host, hint) in cases {
            let e = parse(kind, host).unwrap_err().to_string();
            assert!(e.contains(hint), "{host}: {e}");
        }
    }
}
