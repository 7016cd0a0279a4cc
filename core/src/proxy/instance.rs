//! One instance's state while the proxy runs: its signers per user, its TLS legs, its counters,
//! and the reasons a client can be refused, in words every engine turns into its own error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::config::InstanceConfig;
use super::keepalive::keepalive;
use super::log::shown;
use super::metrics::InstanceMetrics;
use super::tls;
use crate::sync::lock;
use crate::{Error, Signer, Surface};

/// Why a client is not logged in: each engine maps these to its own codes (PostgreSQL
/// SQLSTATEs, MySQL error numbers) and sends the message; the log carries the message and the
/// details no unauthenticated client is told ([`Refusal::detail`]).
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The client named no user.
    NoUser,
    /// `--users` does not list the name.
    UserNotAllowed { user: String, allowed: Vec<String> },
    /// No token: the credential chain or the signer failed (the core's error).
    Token(Error),
    /// The database could not be reached.
    Unreachable(String),
    /// The database's certificate failed verification: nothing was sent to it.
    UpstreamTls(String),
    /// The database refused the login (its own message).
    UpstreamRefused(String),
    /// `--max-connections` sessions are open.
    TooManyConnections(usize),
    /// The peer broke the protocol.
    Protocol(String),
    /// The client did not turn TLS on, and `--client-tls-required` says it must.
    TlsRequired,
}

impl Refusal {
    /// The message the client sees and the log carries (never a token or a secret). Who may
    /// log in and why the credentials failed (role ARNs, profiles, environment hints) are not
    /// for a client that has not logged in: [`Refusal::detail`] says them, in the log only.
    pub(crate) fn message(&self, instance: &str) -> String {
        match self {
            Refusal::NoUser => "rds-iam proxy: the client named no user; pass one (psql -U NAME)".into(),
            Refusal::UserNotAllowed { user, .. } => format!(
                "rds-iam proxy: user \"{}\" may not log in through this proxy",
                shown(user)
            ),
            Refusal::Token(e) => format!(
                "rds-iam proxy: no IAM token for {instance}: error[{}]; the proxy's log says why",
                e.code(),
            ),
            Refusal::Unreachable(why) => {
                format!("rds-iam proxy: cannot reach the database {instance}: {why}")
            }
            Refusal::UpstreamTls(why) => format!(
                "rds-iam proxy: the database {instance} failed TLS verification (nothing was sent): {why}"
            ),
            Refusal::UpstreamRefused(why) => {
                format!("rds-iam proxy: the database {instance} refused the IAM token: {why}")
            }
            Refusal::TooManyConnections(n) => format!(
                "rds-iam proxy: too many connections ({n} open, the --max-connections limit)"
            ),
            Refusal::Protocol(why) => format!("rds-iam proxy: protocol error: {why}"),
            Refusal::TlsRequired => {
                "rds-iam proxy: this proxy requires TLS from its clients (--client-tls-required)"
                    .into()
            }
        }
    }

    /// What only the log says: the `--users` list, the credential chain's account of itself.
    pub(crate) fn detail(&self) -> Option<String> {
        match self {
            Refusal::UserNotAllowed { allowed, .. } => {
                Some(format!("allowed: {}", allowed.join(", ")))
            }
            Refusal::Token(e) => Some(e.render(Surface::Cli)),
            _ => None,
        }
    }

    /// What to do next, where there is something to say.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Refusal::UpstreamRefused(why) => crate::cli::explain::matches(why)
                .first()
                .map(|e| e.fix.to_owned()),
            Refusal::UpstreamTls(_) => Some(
                "the certificate is checked against the signed host (--sign-host) with the system roots and the RDS bundle, or --ca".into(),
            ),
            Refusal::Token(_) => Some("run `rds-iam proxy --doctor` with the proxy's flags".into()),
            Refusal::TlsRequired => Some(
                "turn TLS on in the client: sslmode=require (libpq, psql), --ssl (mysql), ssl=true (JDBC)".into(),
            ),
            _ => None,
        }
    }
}

/// One instance, running.
pub(crate) struct Instance {
    /// `host:port` of the database, as dialled: the label of its metrics and log lines.
    pub name: String,
    base: Signer,
    users: Option<Vec<String>>,
    signers: Mutex<HashMap<String, Signer>>,
    connector: TlsConnector,
    server_name: ServerName<'static>,
    pub acceptor: Option<TlsAcceptor>,
    /// `--client-tls-required`: a client that does not turn TLS on is refused.
    pub tls_required: bool,
    pub metrics: InstanceMetrics,
}

impl Instance {
    /// Checks what can be checked before listening: the TLS legs load. Client TLS offers the
    /// engine's `alpn`.
    pub(crate) fn new(c: &InstanceConfig, alpn: &[&[u8]]) -> Result<Instance, Error> {
        let upstream = tls::upstream_config(c.ca.as_deref(), &[])
            .map_err(|e| Error::invalid_argument("ca", e))?;
        let acceptor = match &c.client_tls {
            Some(t) => Some(TlsAcceptor::from(
                tls::client_config(t, alpn)
                    .map_err(|e| Error::invalid_argument("client_tls", e))?,
            )),
            None => None,
        };
        if c.client_tls_required && acceptor.is_none() {
            return Err(Error::invalid_argument(
                "client_tls_required",
                "requiring client TLS needs client_tls (auto, or a certificate and key) to offer it",
            ));
        }
        let signed = c.signer.spec().endpoint().host().to_owned();
        let server_name = tls::server_name(&signed)
            .map_err(|e| Error::invalid_argument(crate::Param::SignHost, e))?;
        Ok(Instance {
            name: format!("{}:{}", c.signer.host(), c.signer.port()),
            base: c.signer.clone(),
            users: c.users.clone(),
            signers: Mutex::default(),
            connector: TlsConnector::from(upstream),
            server_name,
            acceptor,
            tls_required: c.client_tls_required,
            metrics: InstanceMetrics::default(),
        })
    }

    /// The signer the instance was given (for its credentials and endpoint).
    pub(crate) fn base(&self) -> &Signer {
        &self.base
    }

    /// A token for `user`, if the user may log in.
    pub(crate) async fn token_for(&self, user: &str) -> Result<String, Refusal> {
        if user.is_empty() {
            return Err(Refusal::NoUser);
        }
        if let Some(allowed) = &self.users {
            if !allowed.iter().any(|u| u == user) {
                return Err(Refusal::UserNotAllowed {
                    user: user.to_owned(),
                    allowed: allowed.clone(),
                });
            }
        }
        let signer = {
            let mut signers = lock(&self.signers);
            match signers.get(user) {
                Some(s) => s.clone(),
                None => {
                    let s = self.base.for_user(user).map_err(Refusal::Token)?;
                    // Names come from clients: without --users, keep the map from growing
                    // without bound (the caches behind the signers are shared anyway).
                    if signers.len() >= 1024 {
                        signers.clear();
                    }
                    signers.insert(user.to_owned(), s.clone());
                    s
                }
            }
        };
        signer.token().await.map_err(Refusal::Token)
    }

    /// A TCP connection to the database.
    pub(crate) async fn dial(&self, within: Duration) -> Result<TcpStream, Refusal> {
        let target = (self.base.host(), self.base.port());
        let tcp = match tokio::time::timeout(within, TcpStream::connect(target)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Err(Refusal::Unreachable(e.to_string())),
            Err(_) => {
                return Err(Refusal::Unreachable(format!(
                    "no connection within {} s",
                    within.as_secs()
                )))
            }
        };
        let _ = tcp.set_nodelay(true);
        keepalive(&tcp);
        Ok(tcp)
    }

    /// The TLS handshake with the database, verified against the signed host.
    pub(crate) async fn upstream_tls(
        &self,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, Refusal> {
        self.connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| Refusal::UpstreamTls(e.to_string()))
    }
}

/// The instance state shared by the sessions.
pub(crate) type SharedInstance = Arc<Instance>;
