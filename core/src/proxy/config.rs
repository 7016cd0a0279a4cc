//! What the proxy runs with: the databases, where each listens, its engine, and the limits.
//! Plain data, imported by the frame and the engines alike; the engines' behaviour is in
//! [`super::engines`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::log::LogSink;
use super::tls::ClientTls;
use crate::Signer;

/// The wire protocol an instance speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL (RDS, Aurora PostgreSQL, RDS Proxy, Aurora DSQL).
    Postgres,
    /// MySQL and MariaDB (RDS, Aurora MySQL, RDS Proxy).
    Mysql,
}

/// Where an instance listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address; loopback unless [`InstanceConfig::allow_non_loopback`] is set.
    Tcp(SocketAddr),
    /// A directory for a unix socket named as the engine's clients expect
    /// (`.s.PGSQL.<port>` for PostgreSQL, so that `psql -h DIR` finds it); created `0700`.
    UnixDir(PathBuf),
}

/// One database the proxy logs in to.
#[derive(Clone, Debug)]
pub struct InstanceConfig {
    /// The signer for the database: its host and port are dialled, its sign host is signed
    /// and checked in the server's certificate; the user it was made for is only a default
    /// (each client session signs for the user the client names, [`Signer::for_user`]).
    pub signer: Signer,
    /// The wire protocol.
    pub engine: Engine,
    /// Where to listen.
    pub listen: Listen,
    /// The users that may log in; `None` lets any name through (the database decides).
    pub users: Option<Vec<String>>,
    /// A PEM file of roots for the upstream certificate instead of the default trust.
    pub ca: Option<PathBuf>,
    /// TLS towards clients; `None` answers `N` to a client's SSLRequest.
    pub client_tls: Option<ClientTls>,
    /// Refuse a client that does not turn TLS on (PostgreSQL: a plaintext StartupMessage gets
    /// 28000; MySQL: a HandshakeResponse without CLIENT_SSL gets 1045). Needs `client_tls`.
    /// Plaintext cancel requests still pass: libpq before 17 never encrypts them.
    pub client_tls_required: bool,
    /// Allow a listen address other than loopback (anyone who reaches it logs in as this
    /// process's IAM identity).
    pub allow_non_loopback: bool,
}

/// Everything the proxy runs with.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// The databases, each on its own listener.
    pub instances: Vec<InstanceConfig>,
    /// Client sessions open at once across all instances (`0`: no limit); past it a client
    /// gets the engine's "too many connections" error.
    pub max_connections: usize,
    /// How long open sessions may go on after SIGTERM (or [`ProxyHandle::close`](super::ProxyHandle::close)).
    pub max_sigterm_delay: Duration,
    /// The health and metrics HTTP address (`/startup`, `/liveness`, `/readiness`, `/metrics`);
    /// loopback unless [`ProxyConfig::allow_non_loopback_http`] is set (`/metrics` names the
    /// databases).
    pub http_address: Option<SocketAddr>,
    /// Allow an HTTP address other than loopback (`--allow-non-loopback`).
    pub allow_non_loopback_http: bool,
    /// Where log lines go.
    pub log: LogSink,
    /// A client must finish its startup within this; a stalled one is dropped.
    pub client_timeout: Duration,
    /// Dialling the database, the TLS handshake and the login must finish within this.
    pub upstream_timeout: Duration,
}

impl ProxyConfig {
    /// A configuration with the defaults: no limit, 30 s drain, no HTTP, text logs on stderr,
    /// 30 s for a client's startup and for the upstream login.
    pub fn new(instances: Vec<InstanceConfig>) -> Self {
        ProxyConfig {
            instances,
            max_connections: 0,
            max_sigterm_delay: Duration::from_secs(30),
            http_address: None,
            allow_non_loopback_http: false,
            log: LogSink::Text,
            client_timeout: Duration::from_secs(30),
            upstream_timeout: Duration::from_secs(30),
        }
    }
}

/// The in-process proxy's options (Python `rds_iam.Proxy`, Node `rdsIam.proxy`): one database,
/// the signer's, on a loopback port of its own.
#[derive(Clone, Debug, Default)]
pub struct LocalProxyOptions {
    /// The address to listen on [default: `127.0.0.1:0`, a free port].
    pub listen: Option<SocketAddr>,
    /// The users that may log in [default: the signer's user].
    pub users: Option<Vec<String>>,
    /// The database named in [`ProxyHandle::url`](super::ProxyHandle::url).
    pub database: Option<String>,
    /// Roots for the upstream certificate instead of the default trust.
    pub ca: Option<PathBuf>,
    /// TLS towards clients.
    pub client_tls: Option<ClientTls>,
    /// Refuse clients that do not turn TLS on (needs `client_tls`).
    pub client_tls_required: bool,
    /// Client sessions open at once (`0`: no limit).
    pub max_connections: usize,
    /// The wire protocol [default: MySQL for port 3306, else PostgreSQL].
    pub engine: Option<Engine>,
}
