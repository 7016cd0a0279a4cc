//! [`SignOptions`]: what the pure [`crate::sign`] takes, as plain data, for bindings and the
//! CLI to fill in.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::message::Message;
use super::param::Param;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::sign::{TokenKind, TokenSpec};

/// One token from explicit credentials at an explicit time: no cache, no I/O.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let mut options = rds_iam::SignOptions::new("db.abc123.us-east-1.rds.amazonaws.com");
/// options.user = Some("app".into());
/// options.credentials = Some(rds_iam::Credentials::new("AKIDEXAMPLE", "secret", None, None, "doc"));
/// options.at = Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// assert!(options.sign()?.contains("DBUser=app"));
/// # Ok::<(), rds_iam::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SignOptions {
    /// The endpoint the token is for: `host`, `host:port` or `https://host[:port]`.
    pub host: String,
    /// The database port (default 5432, or the port given in `host`).
    pub port: Option<u16>,
    /// The user the token names (required for RDS and the cache kinds, ignored for DSQL).
    pub user: Option<String>,
    /// The signing region (default: inferred from the hostname).
    pub region: Option<String>,
    /// The credentials to sign with (required).
    pub credentials: Option<Credentials>,
    /// The signing time (default: now).
    pub at: Option<SystemTime>,
    /// The token kind (default: for a DSQL endpoint `DbConnectAdmin` when `user` is `admin`,
    /// else `DbConnect`; [`TokenKind::Rds`] for any other endpoint).
    pub kind: Option<TokenKind>,
    /// The token lifetime: 900 s for RDS and the cache kinds, 1 to 604 800 s for DSQL (default
    /// 900 s).
    pub expires_in: Option<Duration>,
}

impl SignOptions {
    /// The options a binding reads, in this order: Node's `sign.js` passes their values
    /// positionally in it.
    pub const BINDING_PARAMS: &'static [Param] = &[
        Param::Host,
        Param::Port,
        Param::User,
        Param::Region,
        Param::Credentials,
        Param::At,
        Param::Kind,
        Param::ExpiresIn,
    ];

    /// Options for `host`, everything else default (`credentials` must still be set).
    pub fn new(host: impl Into<String>) -> Self {
        SignOptions {
            host: host.into(),
            ..SignOptions::default()
        }
    }

    /// What the token is signed for.
    pub fn spec(&self) -> Result<TokenSpec> {
        // Only RDS and DSQL kinds are inferred, and both default to port 5432.
        let default_port = self
            .kind
            .map_or(TokenKind::Rds.default_port(), TokenKind::default_port);
        let endpoint = Endpoint::parse_or(&self.host, self.port, default_port)?;
        let kind = super::dsql::token_kind(self.kind, &endpoint, self.user.as_deref())?;
        let spec = TokenSpec::new(kind, endpoint, self.user.as_deref(), self.region.as_deref())?;
        match self.expires_in {
            Some(e) => spec.with_expires_in(e),
            None => Ok(spec),
        }
    }

    /// Signs the token (see [`crate::sign`]).
    pub fn sign(&self) -> Result<String> {
        let spec = self.spec()?;
        let credentials = self.credentials.as_ref().ok_or_else(|| {
            Error::argument(
                Param::Credentials,
                Message::name(Param::Credentials).then(" is required to sign a token"),
            )
        })?;
        crate::sign(&spec, credentials, self.at.unwrap_or_else(SystemTime::now))
    }
}
