//! [`SignerOptions`]: every option of a [`Signer`] as plain data, and the one place their rules
//! live. Python's `Signer(...)`, Node's `new Signer({...})`, the CLI and [`crate::SignerBuilder`]
//! all fill one in and call [`SignerOptions::build`].

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;

use super::dsql::{self, DSQL_ADMIN_USER};
use super::message::Message;
use super::param::Param;
use crate::cache::tokens::ReusePolicy;
use crate::clock::SharedClock;
use crate::credentials::{AssumeRole, CredentialSource, FetchTimeouts};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::sign::{TokenKind, TokenSpec};
use crate::signer::Signer;

/// Longest duration any option accepts; keeps time arithmetic far from overflow.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Default for [`SignerOptions::credential_refresh_ahead`].
const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(300);

/// Everything a [`Signer`] can be given. `None` means the default; [`Self::build`] checks the
/// whole set and names the option at fault with its [`Param`].
///
/// ```
/// let mut options = rds_iam::SignerOptions::new("mydb.abc123.us-east-1.rds.amazonaws.com");
/// options.user = Some("app_user".into());
/// let signer = options.build()?;
/// assert_eq!(signer.user(), Some("app_user"));
/// # Ok::<(), rds_iam::Error>(())
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct SignerOptions {
    /// The endpoint the client connects to: `host`, `host:port` or `https://host[:port]`.
    /// May be empty when `cluster_id` names the endpoint.
    pub host: String,
    /// An Aurora DSQL cluster id: with `region`, it names the endpoint tokens are signed for,
    /// `<id>.dsql.<region>.on.aws`, which is also `host` unless one is given (a tunnel).
    pub cluster_id: Option<String>,
    /// The database port (default 5432, 6379 for the cache kinds, or the port given in `host`).
    pub port: Option<u16>,
    /// The database user to log in as: required for RDS tokens, which name it, and for the
    /// cache kinds (ElastiCache: the user id; MemoryDB: the user name). DSQL tokens name
    /// no user; it is kept as the login user ([`Signer::user`]), `admin` for
    /// [`TokenKind::DsqlAdmin`] when not given. Without `kind`, a DSQL endpoint signs
    /// `DbConnectAdmin` for the user `admin` and `DbConnect` for any other.
    pub user: Option<String>,
    /// The signing region (default: inferred from an RDS / Aurora / RDS Proxy / DSQL hostname,
    /// or an ElastiCache / MemoryDB endpoint).
    pub region: Option<String>,
    /// Sign for this endpoint (`host[:port]`) instead of `host`: behind a tunnel, proxy or
    /// custom DNS name the token must name the real RDS endpoint. Without a port it signs for
    /// the connection's port. For the cache kinds: the cache's name (or endpoint) while `host`
    /// is the address dialled.
    pub sign_host: Option<String>,
    /// The token kind (default: DSQL for a DSQL endpoint, see `user`; else [`TokenKind::Rds`]).
    pub kind: Option<TokenKind>,
    /// The lifetime of DSQL tokens (default 900 s, at most 604 800 s); RDS accepts only 900 s.
    pub expires_in: Option<Duration>,
    /// A named profile from the shared AWS config files (instead of the default chain).
    pub profile: Option<String>,
    /// Fixed credentials (instead of the default chain). Not together with `profile`.
    pub credentials: Option<Credentials>,
    /// A credential provider of your own (Rust only). Not together with `profile` or
    /// `credentials`.
    pub credential_provider: Option<SharedCredentialsProvider>,
    /// Assume this role (`arn:aws:iam::<account>:role/<name>`) on top of the credentials.
    pub role_arn: Option<String>,
    /// The role session name (default `rds-iam-<unix time>`); needs `role_arn`.
    pub role_session_name: Option<String>,
    /// The external id the role's trust policy requires; needs `role_arn`.
    pub external_id: Option<String>,
    /// Reuse a token for at most this long (`Duration::ZERO`: sign for every call; default:
    /// while more than `refresh_margin` of its life is left).
    pub reuse_for: Option<Duration>,
    /// Serve a cached token only while more than this much of its life is left (default 5 min).
    pub refresh_margin: Option<Duration>,
    /// Refresh expiring credentials this long before they expire (default 5 min).
    pub credential_refresh_ahead: Option<Duration>,
    /// Upper bound for one credential fetch through any provider (default 10 s, above zero).
    pub fetch_timeout: Option<Duration>,
    /// EC2 instance metadata (IMDS) connect and read timeout (default 1 s, above zero).
    pub imds_timeout: Option<Duration>,
    /// Attempts at `AssumeRoleWithWebIdentity` when STS cannot reach the identity provider
    /// (`InvalidIdentityToken` "Couldn't retrieve verification key…", `IDPCommunicationError`),
    /// with jittered exponential back-off inside `fetch_timeout` (default 4, from 1 to 20;
    /// 1 = no retry).
    pub web_identity_attempts: Option<u32>,
    /// The time source (tests inject a [`crate::ManualClock`]; default the system clock).
    pub clock: Option<SharedClock>,
}

/// What [`SignerOptions::build`] hands the [`Signer`]: every option checked, every default set.
pub(crate) struct Checked {
    /// Said when a tunnel's port is signed (see `signed_port_note`).
    pub(crate) signed_port_note: Option<Message>,
    /// True when `sign_host` was given with a port (`host:port`).
    pub(crate) sign_host_names_port: bool,
    pub(crate) connect: Endpoint,
    pub(crate) login_user: Option<String>,
    pub(crate) spec: TokenSpec,
    /// The kind was given (`kind`), not inferred from the endpoint and user.
    pub(crate) kind_given: bool,
    pub(crate) source: CredentialSource,
    pub(crate) role: Option<AssumeRole>,
    pub(crate) policy: ReusePolicy,
    pub(crate) refresh_ahead: Duration,
    pub(crate) timeouts: FetchTimeouts,
    pub(crate) clock: Option<SharedClock>,
}

impl SignerOptions {
    /// The options a binding reads from its users, in the order Node's options objects list
    /// them (`credential_refresh_ahead` and the Rust-only `credential_provider` and `clock` are
    /// not offered there).
    pub const BINDING_PARAMS: &'static [Param] = &[
        Param::Host,
        Param::ClusterId,
        Param::Port,
        Param::User,
        Param::Region,
        Param::SignHost,
        Param::Profile,
        Param::Credentials,
        Param::RoleArn,
        Param::RoleSessionName,
        Param::ExternalId,
        Param::Kind,
        Param::ExpiresIn,
        Param::ReuseFor,
        Param::RefreshMargin,
        Param::FetchTimeout,
        Param::ImdsTimeout,
        Param::WebIdentityAttempts,
    ];

    /// Options for `host` (`host`, `host:port` or `https://host[:port]`), everything else
    /// default.
    pub fn new(host: impl Into<String>) -> Self {
        SignerOptions {
            host: host.into(),
            ..SignerOptions::default()
        }
    }

    /// Checks every option and returns the signer. Does no I/O.
    pub fn build(self) -> Result<Signer> {
        self.check().map(Signer::from_checked)
    }

    /// The checks run in the order users met them before the options model: option
    /// combinations, then the endpoint and what the token names, then the role, timeouts and
    /// durations (a bad host is reported as such whatever else is wrong).
    fn check(self) -> Result<Checked> {
        let source = self.source()?;
        self.role_fields_need_a_role()?;
        let cluster = match &self.cluster_id {
            Some(id) => Some(dsql::cluster_host(
                id,
                self.region.as_deref(),
                self.sign_host.is_some(),
            )?),
            None => None,
        };
        let host = match &cluster {
            Some(h) if self.host.is_empty() => h,
            _ => &self.host,
        };
        if cluster.is_some() && self.kind.is_some_and(|k| !k.is_dsql()) {
            return Err(Error::argument(
                Param::ClusterId,
                Message::name(Param::ClusterId)
                    .then(" names an Aurora DSQL cluster; leave ")
                    .then_name(Param::Kind)
                    .then(" out or pass a DSQL kind"),
            ));
        }
        // Only RDS and DSQL kinds are inferred, and both default to port 5432.
        let default_port = self
            .kind
            .map_or(TokenKind::Rds.default_port(), TokenKind::default_port);
        let connect = Endpoint::parse_or(host, self.port, default_port)?;
        let signed = match (&self.sign_host, &cluster) {
            (Some(h), _) => Endpoint::parse_with_default(h, connect.port())?,
            (None, Some(h)) => Endpoint::new(h, connect.port())?,
            (None, None) => connect.clone(),
        };
        let kind = dsql::token_kind(self.kind, &signed, self.user.as_deref())?;
        let signed_port_note = match &self.sign_host {
            Some(h) if kind == TokenKind::Rds => signed_port_note(h, &connect, &signed),
            _ => None,
        };
        check_login_user(self.user.as_deref())?;
        let mut spec = TokenSpec::new(kind, signed, self.user.as_deref(), self.region.as_deref())?;
        if let Some(e) = self.expires_in {
            spec = spec.with_expires_in(e)?;
        }
        let role = self.role()?;
        let timeouts = self.timeouts()?;
        for (param, d) in [
            (Param::ReuseFor, self.reuse_for),
            (Param::RefreshMargin, self.refresh_margin),
            (Param::CredentialRefreshAhead, self.credential_refresh_ahead),
        ] {
            check_at_most_a_year(param, d)?;
        }
        let login_user = match (kind, self.user) {
            (TokenKind::DsqlAdmin, None) => Some(DSQL_ADMIN_USER.to_owned()),
            (_, user) => user,
        };
        let defaults = ReusePolicy::default();
        Ok(Checked {
            signed_port_note,
            sign_host_names_port: self
                .sign_host
                .as_deref()
                .is_some_and(crate::endpoint::names_port),
            connect,
            login_user,
            spec,
            kind_given: self.kind.is_some(),
            source,
            role,
            policy: ReusePolicy {
                reuse_for: self.reuse_for,
                refresh_margin: self.refresh_margin.unwrap_or(defaults.refresh_margin),
            },
            refresh_ahead: self
                .credential_refresh_ahead
                .unwrap_or(DEFAULT_REFRESH_AHEAD),
            timeouts,
            clock: self.clock,
        })
    }

    /// `profile`, `credentials` or a provider of one's own; with none, the default chain.
    fn source(&self) -> Result<CredentialSource> {
        match &self.credential_provider {
            Some(_) if self.profile.is_some() || self.credentials.is_some() => {
                Err(Error::argument(
                    Param::Credentials,
                    Message::text("pass one credential source: a provider, ")
                        .then_name(Param::Profile)
                        .then(" or ")
                        .then_name(Param::Credentials),
                ))
            }
            Some(p) => Ok(CredentialSource::Custom(p.clone())),
            None => CredentialSource::from_options(self.profile.clone(), self.credentials.clone()),
        }
    }

    /// A role session name and an external id mean nothing without a role to assume.
    fn role_fields_need_a_role(&self) -> Result<()> {
        if self.role_arn.is_none()
            && (self.role_session_name.is_some() || self.external_id.is_some())
        {
            return Err(Error::argument(
                Param::RoleArn,
                Message::name(Param::RoleSessionName)
                    .then(" and ")
                    .then_name(Param::ExternalId)
                    .then(" apply to an assumed role; pass ")
                    .then_name(Param::RoleArn)
                    .then(" too"),
            ));
        }
        Ok(())
    }

    /// The role to assume, checked.
    fn role(&self) -> Result<Option<AssumeRole>> {
        let Some(role_arn) = &self.role_arn else {
            return Ok(None);
        };
        let role = AssumeRole {
            role_arn: role_arn.clone(),
            session_name: self.role_session_name.clone(),
            external_id: self.external_id.clone(),
        };
        role.validate()?;
        Ok(Some(role))
    }

    /// The fetch and IMDS timeouts: above zero, at most a year.
    fn timeouts(&self) -> Result<FetchTimeouts> {
        let defaults = FetchTimeouts::default();
        let fetch = self.fetch_timeout.unwrap_or(defaults.fetch);
        let imds = self.imds_timeout.unwrap_or(defaults.imds);
        for (param, d) in [(Param::FetchTimeout, fetch), (Param::ImdsTimeout, imds)] {
            if d.is_zero() {
                return Err(Error::argument(param, "a timeout must be longer than zero"));
            }
            check_at_most_a_year(param, Some(d))?;
        }
        let web_identity_attempts = self
            .web_identity_attempts
            .unwrap_or(defaults.web_identity_attempts);
        if !(1..=MAX_WEB_IDENTITY_ATTEMPTS).contains(&web_identity_attempts) {
            return Err(Error::argument(
                Param::WebIdentityAttempts,
                format!("use 1 (no retry) to {MAX_WEB_IDENTITY_ATTEMPTS} attempts"),
            ));
        }
        Ok(FetchTimeouts {
            fetch,
            imds,
            web_identity_attempts,
        })
    }
}

/// More attempts than this cannot fit a sensible fetch timeout (the waits double).
const MAX_WEB_IDENTITY_ATTEMPTS: u32 = 20;

/// Ports the engines listen on by default; a tunnel's local port rarely is one of them.
const ENGINE_PORTS: [u16; 2] = [5432, 3306];

/// A sign host without a port signs the port dialled. Through a tunnel (a loopback or IP
/// address on a port that is no engine's default) that is rarely the database's port: say
/// which port is signed and how to pass another.
fn signed_port_note(sign_host: &str, connect: &Endpoint, signed: &Endpoint) -> Option<Message> {
    if crate::endpoint::names_port(sign_host)
        || !crate::endpoint::is_tunnel_address(connect.host())
        || ENGINE_PORTS.contains(&connect.port())
    {
        return None;
    }
    let (host, port) = (signed.host(), signed.port());
    Some(
        Message::text(format!(
            "the token is signed for {host}:{port}, the port dialled on {}; if the database listens on another port, name it in ",
            connect.host()
        ))
        .then_name(Param::SignHost)
        .then(format!(" (`{host}:5432`, `{host}:3306`)")),
    )
}

/// The login user goes to drivers and into URLs even when the token names none (DSQL).
fn check_login_user(user: Option<&str>) -> Result<()> {
    match user {
        Some("") => Err(Error::argument(
            Param::User,
            "the user name is empty; pass the database user to log in as",
        )),
        Some(u) if u.chars().any(char::is_control) => Err(Error::argument(
            Param::User,
            "the user name contains control characters (CR, LF, NUL, …); remove them",
        )),
        _ => Ok(()),
    }
}

fn check_at_most_a_year(param: Param, d: Option<Duration>) -> Result<()> {
    if d.is_some_and(|d| d > MAX_DURATION) {
        return Err(Error::argument(
            param,
            "use at most one year (31536000 seconds)",
        ));
    }
    Ok(())
}

impl std::fmt::Debug for SignerOptions {
    /// Names the options given; credentials show their access key id only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerOptions")
            .field("host", &self.host)
            .field("cluster_id", &self.cluster_id)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("region", &self.region)
            .field("sign_host", &self.sign_host)
            .field("kind", &self.kind)
            .field("profile", &self.profile)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|c| c.access_key_id()),
            )
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Surface;

    fn options() -> SignerOptions {
        let mut o = SignerOptions::new("db.abc123.us-east-1.rds.amazonaws.com");
        o.user = Some("app".into());
        o.credentials = Some(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ));
        o
    }

    fn invalid_param(o: SignerOptions) -> Param {
        match o.build() {
            Err(Error::InvalidArgument {
                argument: crate::options::Argument::Param(p),
                ..
            }) => p,
            other => panic!("expected InvalidArgument about a param, got {other:?}"),
        }
    }

    #[test]
    fn role_fields_need_a_role_arn_in_every_spelling() {
        let mut o = options();
        o.external_id = Some("x".into());
        let e = o.clone().build().unwrap_err();
        assert!(e.render(Surface::Node).contains(
            "`roleSessionName` and `externalId` apply to an assumed role; pass `roleArn`"
        ));
        assert_eq!(invalid_param(o), Param::RoleArn);
    }

    #[test]
    fn a_bad_session_name_names_role_session_name() {
        let mut o = options();
        o.role_arn = Some("arn:aws:iam::123456789012:role/r".into());
        o.role_session_name = Some("x".into());
        assert_eq!(invalid_param(o), Param::RoleSessionName);
    }

    #[test]
    fn timeouts_are_above_zero_and_durations_at_most_a_year() {
        let mut o = options();
        o.imds_timeout = Some(Duration::ZERO);
        assert_eq!(invalid_param(o), Param::ImdsTimeout);
        for attempts in [0, 21] {
            let mut o = options();
            o.web_identity_attempts = Some(attempts);
            assert_eq!(invalid_param(o), Param::WebIdentityAttempts, "{attempts}");
        }
        let mut o = options();
        o.credential_refresh_ahead = Some(MAX_DURATION + Duration::from_secs(1));
        assert_eq!(invalid_param(o), Param::CredentialRefreshAhead);
    }

    #[test]
    fn one_credential_source_at_most() {
        let mut o = options();
        o.profile = Some("p".into());
        assert_eq!(invalid_param(o), Param::Credentials);
    }

    #[test]
    fn dsql_keeps_the_login_user_apart_from_the_signed_one() {
        let mut o = options();
        o.host = "abc.dsql.us-east-1.on.aws".into();
        o.kind = Some(TokenKind::DsqlConnect);
        let s = o.clone().build().unwrap();
        assert_eq!((s.user(), s.spec().user()), (Some("app"), ""));
        o.kind = Some(TokenKind::DsqlAdmin);
        o.user = None;
        assert_eq!(o.build().unwrap().user(), Some("admin"));
    }

    #[test]
    fn a_cluster_id_names_the_endpoint_and_admin_signs_db_connect_admin() {
        let mut o = options();
        o.host = String::new();
        o.cluster_id = Some("abcdefghijklmnopqrstuvwxyz".into());
        o.region = Some("us-east-1".into());
        o.user = Some("admin".into());
        let s = o.clone().build().unwrap();
        let dsql_host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";
        assert_eq!(
            (s.host(), s.spec().endpoint().host()),
            (dsql_host, dsql_host)
        );
        assert_eq!(s.spec().kind(), TokenKind::DsqlAdmin);
        // Through a tunnel: dial 127.0.0.1, sign for the cluster; another role is DbConnect.
        o.host = "127.0.0.1:15432".into();
        o.user = Some("app".into());
        let s = o.clone().build().unwrap();
        assert_eq!((s.host(), s.port()), ("127.0.0.1", 15432));
        assert_eq!(
            s.spec().endpoint().to_string(),
            format!("{dsql_host}:15432")
        );
        assert_eq!(s.spec().kind(), TokenKind::DsqlConnect);
        o.sign_host = Some(dsql_host.into());
        assert_eq!(invalid_param(o), Param::ClusterId);
    }

    /// Issue 32, defect 6: the proxy makes one signer per user from its first user's.
    #[test]
    fn for_user_on_dsql_signs_the_users_kind_unless_the_kind_was_given() {
        let kind = |s: &Signer, user: &str| {
            let s = s.for_user(user).unwrap();
            assert_eq!(s.user(), Some(user));
            s.spec().kind()
        };
        let mut o = options();
        o.host = "abc.dsql.us-east-1.on.aws".into();
        o.user = Some("app".into());
        let app = o.clone().build().unwrap();
        assert_eq!(kind(&app, "admin"), TokenKind::DsqlAdmin);
        assert_eq!(kind(&app, "other"), TokenKind::DsqlConnect);
        let admin = app.for_user("admin").unwrap();
        assert_eq!(kind(&admin, "app"), TokenKind::DsqlConnect);
        o.user = Some("admin".into());
        assert_eq!(
            kind(&o.clone().build().unwrap(), "app"),
            TokenKind::DsqlConnect
        );
        o.kind = Some(TokenKind::DsqlConnect);
        assert_eq!(
            kind(&o.clone().build().unwrap(), "admin"),
            TokenKind::DsqlConnect
        );
        o.kind = Some(TokenKind::DsqlAdmin);
        assert_eq!(kind(&o.build().unwrap(), "app"), TokenKind::DsqlAdmin);
    }

    #[test]
    fn a_dsql_host_without_a_kind_is_dsql_and_needs_a_user() {
        let mut o = options();
        o.host = "abc.dsql.eu-west-1.on.aws".into();
        o.user = Some("admin".into());
        assert_eq!(
            o.clone().build().unwrap().spec().kind(),
            TokenKind::DsqlAdmin
        );
        o.user = None;
        assert_eq!(invalid_param(o.clone()), Param::User);
        o.kind = Some(TokenKind::DsqlAdmin);
        assert_eq!(o.build().unwrap().user(), Some("admin"));
    }
}
