//! What a token is made of (kind, endpoint, user, region, lifetime) and [`sign`], which presigns
//! one in botocore's exact output form.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use crate::endpoint::{is_region, Endpoint};
use crate::error::{Error, Result};
use crate::options::Param;
use crate::sigv4;

/// Lifetime of an RDS / Aurora / RDS Proxy token; fixed by the service.
pub const RDS_TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// Default lifetime of an Aurora DSQL token.
pub const DSQL_DEFAULT_LIFETIME: Duration = Duration::from_secs(900);
/// Longest lifetime Aurora DSQL accepts (one week).
pub const DSQL_MAX_LIFETIME: Duration = Duration::from_secs(604_800);

/// Which kind of token to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// RDS, Aurora (PostgreSQL, MySQL, MariaDB) and RDS Proxy: `rds-db:connect`, with `DBUser`.
    Rds,
    /// Aurora DSQL for a custom database role: `dsql:DbConnect`.
    DsqlConnect,
    /// Aurora DSQL for the `admin` role: `dsql:DbConnectAdmin`.
    DsqlAdmin,
}

impl TokenKind {
    fn service(self) -> &'static str {
        match self {
            TokenKind::Rds => "rds-db",
            TokenKind::DsqlConnect | TokenKind::DsqlAdmin => "dsql",
        }
    }

    fn action(self) -> &'static str {
        match self {
            TokenKind::Rds => "connect",
            TokenKind::DsqlConnect => "DbConnect",
            TokenKind::DsqlAdmin => "DbConnectAdmin",
        }
    }

    /// True for the Aurora DSQL kinds.
    pub fn is_dsql(self) -> bool {
        !matches!(self, TokenKind::Rds)
    }

    /// The stable name every binding, the CLI and the test vectors use: `"rds"`,
    /// `"dsql_connect"` or `"dsql_admin"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Rds => "rds",
            TokenKind::DsqlConnect => "dsql_connect",
            TokenKind::DsqlAdmin => "dsql_admin",
        }
    }
}

impl std::str::FromStr for TokenKind {
    type Err = Error;

    /// Parses [`TokenKind::as_str`]'s names.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "rds" => Ok(TokenKind::Rds),
            "dsql_connect" => Ok(TokenKind::DsqlConnect),
            "dsql_admin" => Ok(TokenKind::DsqlAdmin),
            other => Err(Error::argument(
                Param::Kind,
                format!(
                    "`{}` is not a token kind; use \"rds\", \"dsql_connect\" or \"dsql_admin\"",
                    other.escape_debug()
                ),
            )),
        }
    }
}

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
    /// `user` is required for [`TokenKind::Rds`] and ignored for DSQL (its tokens name no user).
    /// `region` wins over the region inferred from the hostname; without either, this fails with
    /// [`Error::NoRegion`]. The lifetime is 900 s; change it for DSQL with [`Self::with_expires_in`].
    pub fn new(
        kind: TokenKind,
        endpoint: Endpoint,
        user: Option<&str>,
        region: Option<&str>,
    ) -> Result<Self> {
        let user = match (kind, user) {
            (TokenKind::Rds, None) | (TokenKind::Rds, Some("")) => {
                return Err(Error::argument(
                    Param::User,
                    "the database user name is required for an RDS token (the user you log in as)",
                ))
            }
            (TokenKind::Rds, Some(u)) if u.chars().any(char::is_control) => {
                return Err(Error::argument(
                    Param::User,
                    "the user name contains control characters (CR, LF, NUL, …); remove them",
                ))
            }
            (TokenKind::Rds, Some(u)) => u.to_owned(),
            _ => String::new(),
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
            None => endpoint.inferred_region().ok_or_else(|| Error::NoRegion {
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

    /// Sets the lifetime of a DSQL token (1 s to 604 800 s). RDS tokens accept only 900 s.
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

    /// The token kind.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }
    /// The endpoint the token is signed for.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
    /// The database user (empty for DSQL).
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

    /// DSQL tokens never outlive their credentials (as aws-sdk-go-v2 does); RDS keeps 900 s in
    /// the text so the token matches botocore byte for byte.
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
    // botocore signs the lower-cased host and drops :443, but an RDS token keeps both as given;
    // a DSQL token names the host alone.
    let (authority, host_header, user) = if spec.kind.is_dsql() {
        let host = ep.host();
        (Cow::Borrowed(host), host.to_ascii_lowercase(), None)
    } else {
        let lower = ep.host().to_ascii_lowercase();
        let host_header = if ep.port() == 443 {
            lower
        } else {
            format!("{lower}:{}", ep.port())
        };
        (Cow::Owned(ep.to_string()), host_header, Some(spec.user()))
    };
    let request = sigv4::Request {
        authority: &authority,
        host_header: &host_header,
        action: spec.kind.action(),
        user,
        region: &spec.region,
        service: spec.kind.service(),
        expires_in: spec.effective_expires_in(credentials, at).as_secs(),
    };
    let keys = sigv4::Keys {
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
    };
    sigv4::presign(&request, &keys, at)
}
