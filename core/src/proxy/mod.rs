//! `rds-iam proxy`: a local IAM auth proxy. Clients that cannot run a password hook (psql,
//! pg_dump, GUIs, Grafana, pgbouncer, other languages) connect to a local port or unix socket
//! with no password; the proxy logs in upstream with a token from the shared cache over
//! verify-full TLS, then splices the two connections.
//!
//! The frame here knows no engine: listeners, limits, health and metrics, logs, shutdown
//! ([`server`]), the upstream and client TLS legs ([`tls`]), and the splice. Each engine's
//! handshake sits in its own module ([`pg`]) and sees the frame through [`session::Session`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::Signer;

mod http;
mod instance;
mod listen;
mod log;
mod metrics;
pub(crate) mod mysql;
pub(crate) mod pg;
mod server;
mod session;
mod splice;
mod stop_signal;
mod tls;

pub use listen::ListenAddress;
pub use log::LogSink;
pub(crate) use log::{line as log_line_for, Level};
pub use server::{connection_test, ProxyHandle};
pub use tls::ClientTls;

/// The wire protocol an instance speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL (RDS, Aurora PostgreSQL, RDS Proxy, Aurora DSQL).
    Postgres,
    /// MySQL and MariaDB (RDS, Aurora MySQL, RDS Proxy).
    Mysql,
}

impl Engine {
    /// The engine's default port.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
        }
    }

    /// The engine for `--engine` (`postgres`, `postgresql`, `mysql`, `mariadb`).
    pub fn from_name(name: &str) -> Option<Engine> {
        match name.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Some(Engine::Postgres),
            "mysql" | "mariadb" => Some(Engine::Mysql),
            _ => None,
        }
    }
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
    /// How long open sessions may go on after SIGTERM (or [`ProxyHandle::close`]).
    pub max_sigterm_delay: Duration,
    /// The health and metrics HTTP address (`/startup`, `/liveness`, `/readiness`, `/metrics`).
    pub http_address: Option<SocketAddr>,
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
    /// The database named in [`ProxyHandle::url`].
    pub database: Option<String>,
    /// Roots for the upstream certificate instead of the default trust.
    pub ca: Option<PathBuf>,
    /// TLS towards clients.
    pub client_tls: Option<ClientTls>,
    /// Client sessions open at once (`0`: no limit).
    pub max_connections: usize,
    /// The wire protocol [default: MySQL for port 3306, else PostgreSQL].
    pub engine: Option<Engine>,
}

/// A log line about the proxy or one of its databases (`instance`, may be empty).
pub(crate) fn log_line(sink: LogSink, level: Level, instance: &str, msg: &str) {
    log_line_for(sink, level, None, instance, msg);
}
