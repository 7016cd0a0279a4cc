//! What a token is made of (kind, endpoint, user, region, lifetime) and [`sign`], which presigns
//! one in botocore's exact output form.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use crate::cache_name;
use crate::endpoint::{is_region, Endpoint};
use crate::error::{Error, Result};
use crate::options::Param;
use crate::sigv4;
pub use crate::token_kind::TokenKind;

/// Lifetime of an RDS / Aurora / RDS Proxy token; fixed by the service.
pub const RDS_TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// Default lifetime of an Aurora DSQL token.
pub const DSQL_DEFAULT_LIFETIME: Duration = Duration::from_secs(900);
/// Longest lifetime Aurora DSQL accepts (one week).
pub const DSQL_MAX_LIFETIME: Duration = Duration::from_secs(604_800);
/// Lifetime of an ElastiCache / MemoryDB token: the services accept 900 s only.
pub const CACHE_TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// Everything that determines a token except the credentials and the clock.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenSpec {
    kind: TokenKind,
    endpoint: Endpoint,
    user: String,
    region: String,
    expires_in: Duration,
}

impl TokenSpec {
    /// Validates the inputs of a token.
    ///
    /// `user` is required for [`TokenKind::Rds`] and the cache kinds (for ElastiCache the user
    /// id, for MemoryDB the user name) and ignored for DSQL (its tokens name no user). For the
    /// cache kinds `endpoint`'s host is the cache's name or the endpoint a client dials (the
    /// forms are listed in `cache_name.rs`); the spec keeps the name alone, with port 443 (the
    /// token is for `https://<name>/`). `region` wins over the region the hostname spells out;
    /// without either, this fails with [`Error::NoRegion`]. The lifetime is 900 s; change it for
    /// DSQL with [`Self::with_expires_in`].
    pub fn new(
        kind: TokenKind,
        endpoint: Endpoint,
        user: Option<&str>,
        region: Option<&str>,
    ) -> Result<Self> {
        let user =
            if kind.is_dsql() {
                String::new()
            } else {
                match user {
                    None | Some("") => {
                        return Err(Error::argument(
                            Param::User,
                            format!("{} is required for {}", user_noun(kind), kind_noun(kind)),
                        ))
                    }
                    Some(u) if u.chars().any(char::is_control) => return Err(Error::argument(
                        Param::User,
                        "the user name contains control characters (CR, LF, NUL, …); remove them",
                    )),
                    Some(u) => u.to_owned(),
                }
            };
        let (endpoint, spelled_region) = if kind.is_cache() {
            let cache = cache_name::parse(kind, endpoint.host())?;
            (Endpoint::new(&cache.name, 443)?, cache.region)
        } else {
            let region = endpoint.inferred_region();
            (endpoint, region)
        };
        let region = match region {
            Some(r) if is_region(r) => r.to_owned(),
            Some(r) => {
                return Err(Error::argument(
                    Param::Region,
                    format!(
                        "`{}` is not an AWS region name; use the form `us-east-1`",
                        r.escape_debug()
                    ),
                ))
            }
            None => spelled_region.ok_or_else(|| Error::NoRegion {
                host: endpoint.host().to_owned(),
            })?,
        };
        Ok(TokenSpec {
            kind,
            endpoint,
            user,
            region,
            expires_in: RDS_TOKEN_LIFETIME,
        })
    }

    /// Sets the lifetime of a DSQL token (1 s to 604 800 s). RDS and cache tokens accept only
    /// 900 s.
    pub fn with_expires_in(mut self, expires_in: Duration) -> Result<Self> {
        let secs = expires_in.as_secs();
        let ok = if self.kind.is_dsql() {
            (1..=DSQL_MAX_LIFETIME.as_secs()).contains(&secs)
        } else {
            secs == RDS_TOKEN_LIFETIME.as_secs()
        };
        if !ok || expires_in.subsec_nanos() != 0 {
            let allowed = if self.kind.is_dsql() {
                "a whole number of seconds from 1 to 604800"
            } else if self.kind.is_cache() {
                "900 seconds (ElastiCache and MemoryDB fix the lifetime of their tokens)"
            } else {
                "900 seconds (RDS fixes the lifetime of its tokens)"
            };
            return Err(Error::argument(
                Param::ExpiresIn,
                format!("{expires_in:?} is not allowed; use {allowed}"),
            ));
        }
        self.expires_in = expires_in;
        Ok(self)
    }

    /// The same spec for another user (checked as [`Self::new`] checks it); DSQL specs name no
    /// user and come back unchanged.
    pub fn with_user(mut self, user: &str) -> Result<Self> {
        if self.kind.is_dsql() {
            return Ok(self);
        }
        if user.is_empty() || user.chars().any(char::is_control) {
            return Err(Error::argument(
                Param::User,
                "the user name is empty or contains control characters (CR, LF, NUL, …)",
            ));
        }
        self.user = user.to_owned();
        Ok(self)
    }

    /// The same DSQL spec with another DSQL kind (the lifetime and everything else kept).
    pub(crate) fn with_dsql_kind(mut self, kind: TokenKind) -> Self {
        debug_assert!(self.kind.is_dsql() && kind.is_dsql());
        self.kind = kind;
        self
    }

    /// The token kind.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }
    /// The endpoint the token is signed for: for the cache kinds, the cache's name with port
    /// 443.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
    /// The user the token names (empty for DSQL; the user id for ElastiCache).
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The requested lifetime.
    pub fn expires_in(&self) -> Duration {
        self.expires_in
    }

    /// When a token signed at `at` with `credentials` stops being usable: its own expiry, or
    /// the credentials' expiry if sooner (a token signed with expired credentials is rejected).
    pub fn usable_until(&self, credentials: &Credentials, at: SystemTime) -> SystemTime {
        let own = at + self.effective_expires_in(credentials, at);
        credentials.expiry().map_or(own, |c| own.min(c))
    }

    /// DSQL tokens never outlive their credentials (as aws-sdk-go-v2 does); RDS and the cache
    /// kinds keep 900 s in the text so the token matches botocore byte for byte.
    fn effective_expires_in(&self, credentials: &Credentials, at: SystemTime) -> Duration {
        match (self.kind.is_dsql(), credentials.expiry()) {
            (true, Some(exp)) => {
                let left = exp.duration_since(at).unwrap_or_default().as_secs();
                self.expires_in.min(Duration::from_secs(left.max(1)))
            }
            _ => self.expires_in,
        }
    }
}

/// Signs a token with explicit credentials at an explicit time.
///
/// This is the pure core of the library: no cache, no I/O. Fails with
/// [`Error::CredentialsExpired`] if `credentials` carry an expiry at or before `at`, and with
/// [`Error::InvalidArgument`] for a time before 1970 or after 9999.
pub fn sign(spec: &TokenSpec, credentials: &Credentials, at: SystemTime) -> Result<String> {
    if credentials.expiry().is_some_and(|exp| exp <= at) {
        return Err(Error::CredentialsExpired {
            provider: "the given credentials".into(),
            detail: "their expiry is not after the signing time".into(),
        });
    }
    let ep = &spec.endpoint;
    let kind = spec.kind;
    // botocore signs the lower-cased host and drops :443, but an RDS token keeps both as given;
    // DSQL and cache tokens name the host (the cache's name) alone.
    let (authority, host_header) = if kind == TokenKind::Rds {
        let lower = ep.host().to_ascii_lowercase();
        let host_header = if ep.port() == 443 {
            lower
        } else {
            format!("{lower}:{}", ep.port())
        };
        (Cow::Owned(ep.to_string()), host_header)
    } else {
        let host = ep.host();
        (Cow::Borrowed(host), host.to_ascii_lowercase())
    };
    // The operation's parameters in botocore's order (the signature sorts them itself).
    let user = spec.user.as_str();
    let params: &[(&str, &str)] = match kind {
        TokenKind::Rds => &[("Action", "connect"), ("DBUser", user)],
        TokenKind::DsqlConnect | TokenKind::DsqlAdmin => &[("Action", kind.action())],
        TokenKind::ElastiCache | TokenKind::MemoryDb => &[("Action", "connect"), ("User", user)],
        TokenKind::ElastiCacheServerless => &[
            ("Action", "connect"),
            ("User", user),
            ("ResourceType", "ServerlessCache"),
        ],
    };
    let request = sigv4::Request {
        authority: &authority,
        host_header: &host_header,
        params,
        region: &spec.region,
        service: kind.service(),
        expires_in: spec.effective_expires_in(credentials, at).as_secs(),
    };
    let keys = sigv4::Keys {
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
    };
    sigv4::presign(&request, &keys, at)
}

/// What the `user` option holds for `kind`, for the error when it is missing.
fn user_noun(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::ElastiCache | TokenKind::ElastiCacheServerless => {
            "the ElastiCache user id (the user's id, not its user name)"
        }
        TokenKind::MemoryDb => "the MemoryDB user name",
        _ => "the database user name (the user you log in as)",
    }
}

fn kind_noun(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::ElastiCache | TokenKind::ElastiCacheServerless => "an ElastiCache token",
        TokenKind::MemoryDb => "a MemoryDB token",
        _ => "an RDS token",
    }
}
