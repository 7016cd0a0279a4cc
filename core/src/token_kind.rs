//! The token kinds: which service and action a token signs, and their names. Apart from
//! `sign` so that `cache_name` (which reads the cache kinds' endpoints) and `sign` (which uses
//! `cache_name`) both depend on it and not on each other.

use crate::error::{Error, Result};
use crate::options::Param;

/// Which kind of token to produce.
///
/// For the cache kinds the host given is the cache's name or an endpoint a client dials; the
/// token signs the name alone (`https://<name>/`, no port). Endpoint forms read (any case, with
/// or without `https://`, a port or a trailing dot; `.com.cn` in China):
/// - `master.<name>.<id>.<code>.cache.amazonaws.com` (primary), `replica.…` (reader),
///   `clustercfg.…` (configuration) and `<node>.<name>.<id>.<code>.cache.amazonaws.com` (a node
///   with TLS on): [`TokenKind::ElastiCache`];
/// - `<name>-<id>.serverless.<code>.cache.amazonaws.com`: [`TokenKind::ElastiCacheServerless`];
/// - `clustercfg.<name>.<id>.memorydb.<region>.amazonaws.com` and its node endpoints:
///   [`TokenKind::MemoryDb`].
///
/// `<code>` is ElastiCache's short region code (`use1`, `apse2`, …; a table in core) or a region
/// name; it gives the region when `region` is not passed. An endpoint of another kind is refused
/// with the kind to use; any other dotted host (an IP, a custom DNS name) is refused too: dial it
/// as `host` and pass the cache's name as `sign_host`. ElastiCache names are lower-cased.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// RDS, Aurora (PostgreSQL, MySQL, MariaDB) and RDS Proxy: `rds-db:connect`, with `DBUser`.
    Rds,
    /// Aurora DSQL for a custom database role: `dsql:DbConnect`.
    DsqlConnect,
    /// Aurora DSQL for the `admin` role: `dsql:DbConnectAdmin`.
    DsqlAdmin,
    /// A node-based ElastiCache (Valkey / Redis OSS) replication group: `elasticache:Connect`,
    /// signed for the lower-cased replication group id, with `User` = the ElastiCache user id.
    ElastiCache,
    /// An ElastiCache Serverless cache: like [`TokenKind::ElastiCache`], plus
    /// `ResourceType=ServerlessCache` (signed).
    ElastiCacheServerless,
    /// A MemoryDB cluster: `memorydb:Connect`, signed for the cluster name, with `User` = the
    /// MemoryDB user name.
    MemoryDb,
}

impl TokenKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [TokenKind; 6] = [
        TokenKind::Rds,
        TokenKind::DsqlConnect,
        TokenKind::DsqlAdmin,
        TokenKind::ElastiCache,
        TokenKind::ElastiCacheServerless,
        TokenKind::MemoryDb,
    ];

    /// The SigV4 service name the token is signed for.
    pub fn service(self) -> &'static str {
        match self {
            TokenKind::Rds => "rds-db",
            TokenKind::DsqlConnect | TokenKind::DsqlAdmin => "dsql",
            TokenKind::ElastiCache | TokenKind::ElastiCacheServerless => "elasticache",
            TokenKind::MemoryDb => "memorydb",
        }
    }

    /// The token's `Action` parameter.
    pub fn action(self) -> &'static str {
        match self {
            TokenKind::DsqlConnect => "DbConnect",
            TokenKind::DsqlAdmin => "DbConnectAdmin",
            _ => "connect",
        }
    }

    /// True for the Aurora DSQL kinds.
    pub fn is_dsql(self) -> bool {
        matches!(self, TokenKind::DsqlConnect | TokenKind::DsqlAdmin)
    }

    /// True for the ElastiCache and MemoryDB kinds (tokens that name a cache, not a host).
    pub fn is_cache(self) -> bool {
        matches!(
            self,
            TokenKind::ElastiCache | TokenKind::ElastiCacheServerless | TokenKind::MemoryDb
        )
    }

    /// The port a client dials when none is given: 6379 for the cache kinds, else 5432.
    pub fn default_port(self) -> u16 {
        if self.is_cache() {
            6379
        } else {
            crate::endpoint::DEFAULT_PORT
        }
    }

    /// The stable name every binding, the CLI and the test vectors use: `"rds"`,
    /// `"dsql_connect"`, `"dsql_admin"`, `"elasticache"`, `"elasticache-serverless"` or
    /// `"memorydb"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Rds => "rds",
            TokenKind::DsqlConnect => "dsql_connect",
            TokenKind::DsqlAdmin => "dsql_admin",
            TokenKind::ElastiCache => "elasticache",
            TokenKind::ElastiCacheServerless => "elasticache-serverless",
            TokenKind::MemoryDb => "memorydb",
        }
    }
}

impl std::str::FromStr for TokenKind {
    type Err = Error;

    /// Parses [`TokenKind::as_str`]'s names; `-` and `_` are interchangeable
    /// (`elasticache_serverless`, `dsql-admin`).
    fn from_str(name: &str) -> Result<Self> {
        let same = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes()
                    .zip(b.bytes())
                    .all(|(x, y)| x == y || (matches!(x, b'-' | b'_') && matches!(y, b'-' | b'_')))
        };
        TokenKind::ALL
            .into_iter()
            .find(|k| same(k.as_str(), name))
            .ok_or_else(|| {
                let names: Vec<String> = TokenKind::ALL
                    .iter()
                    .map(|k| format!("\"{}\"", k.as_str()))
                    .collect();
                Error::argument(
                    Param::Kind,
                    format!(
                        "`{}` is not a token kind; use one of {}",
                        name.escape_debug(),
                        names.join(", ")
                    ),
                )
            })
    }
}
