//! Presigning IAM database auth tokens with `aws-sigv4`, in botocore's exact output form.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    self, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::endpoint::{is_region, Endpoint};
use crate::error::{Error, Result};

/// Lifetime of an RDS / Aurora / RDS Proxy token; fixed by the service.
pub const RDS_TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// Default lifetime of an Aurora DSQL token.
pub const DSQL_DEFAULT_LIFETIME: Duration = Duration::from_secs(900);
/// Longest lifetime Aurora DSQL accepts (one week).
pub const DSQL_MAX_LIFETIME: Duration = Duration::from_secs(604_800);

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (as botocore does).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

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
                "kind",
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
                    "user",
                    "the database user name is required for an RDS token (the user you log in as)",
                ))
            }
            (TokenKind::Rds, Some(u)) if u.chars().any(char::is_control) => {
                return Err(Error::argument(
                    "user",
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
                    "region",
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
                "expires_in",
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
/// [`Error::CredentialsExpired`] if `credentials` carry an expiry at or before `at`.
pub fn sign(spec: &TokenSpec, credentials: &Credentials, at: SystemTime) -> Result<String> {
    if credentials.expiry().is_some_and(|exp| exp <= at) {
        return Err(Error::CredentialsExpired {
            provider: "the given credentials".into(),
            detail: "their expiry is not after the signing time".into(),
        });
    }
    let ep = &spec.endpoint;
    let action = spec.kind.action();
    let (authority, host_header, user_param) = if spec.kind.is_dsql() {
        (
            ep.host().to_owned(),
            ep.host().to_ascii_lowercase(),
            String::new(),
        )
    } else {
        // botocore signs the lower-cased host and drops :443, but the token keeps both as given.
        let lower = ep.host().to_ascii_lowercase();
        let host_header = if ep.port() == 443 {
            lower
        } else {
            format!("{lower}:{}", ep.port())
        };
        let user = utf8_percent_encode(&spec.user, QUERY_VALUE);
        (ep.to_string(), host_header, format!("&DBUser={user}"))
    };
    let url = format!("https://{authority}/?Action={action}{user_param}");

    let identity: Identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(spec.effective_expires_in(credentials, at));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&spec.region)
        .name(spec.kind.service())
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| internal(e.to_string()))?;
    let headers = [("host", host_header.as_str())];
    let request = SignableRequest::new("GET", url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| Error::endpoint(format!("cannot sign for `{ep}`: {e}")))?;
    // aws-sigv4 emits the canonical request (session token included) as a TRACE `tracing`
    // event. The library logs through `log` and leaves tracing's `log` feature off, so that
    // event reaches no logger; only an application's own tracing subscriber at TRACE for
    // `aws_sigv4` sees it (as with every AWS SDK for Rust call).
    let signed = http_request::sign(request, &params.into());
    let (instructions, _) = signed.map_err(|e| internal(e.to_string()))?.into_parts();
    let (_, signed) = instructions.into_parts();
    Ok(assemble(&authority, action, &user_param, &signed))
}

/// Writes the token in botocore's parameter order (aws-sigv4 returns another order).
fn assemble(
    authority: &str,
    action: &str,
    user_param: &str,
    signed: &[(&'static str, Cow<'static, str>)],
) -> String {
    const ORDER: [&str; 7] = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    ];
    let mut out = String::with_capacity(authority.len() + 256);
    out.push_str(authority);
    out.push_str("/?Action=");
    out.push_str(action);
    out.push_str(user_param);
    for name in ORDER {
        if let Some((_, value)) = signed.iter().find(|(k, _)| *k == name) {
            out.push('&');
            out.push_str(name);
            out.push('=');
            out.extend(utf8_percent_encode(value, QUERY_VALUE));
        }
    }
    out
}

fn internal(detail: String) -> Error {
    Error::argument(
        "signing",
        format!("the signer rejected the inputs: {detail}"),
    )
}
