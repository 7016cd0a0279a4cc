//! What an engine's handshake sees of the frame for one client session: its connection id,
//! its instance (tokens, upstream dial and TLS), the timeouts, logging and counting, and the
//! splice that ends the session.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::instance::{Refusal, SharedInstance};
use super::log::{line, shown, Level};
use super::shared::Shared;
use super::splice::splice;

/// A client stream: TCP, a unix socket, or either inside TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
/// A boxed client stream (its type changes when the client turns TLS on).
pub(crate) type ClientIo = Box<dyn Io>;

/// One client session.
pub(crate) struct Session {
    /// The connection id in every log line about this session.
    pub conn: u64,
    pub instance: SharedInstance,
    pub(crate) shared: Arc<Shared>,
    /// `Some(limit)` when the session came past `--max-connections`: the engine refuses it
    /// once the client has sent its startup (so the client can read the error).
    pub over_limit: Option<usize>,
}

impl Session {
    /// How long a client may take to finish its startup.
    pub(crate) fn client_timeout(&self) -> Duration {
        self.shared.client_timeout
    }

    /// How long the upstream dial, TLS handshake and login may take.
    pub(crate) fn upstream_timeout(&self) -> Duration {
        self.shared.upstream_timeout
    }

    /// Logs a line about this session.
    pub(crate) fn log(&self, level: Level, msg: &str) {
        line(
            self.shared.log,
            level,
            Some(self.conn),
            &self.instance.name,
            msg,
        );
    }

    /// Counts and logs a refusal sent to the client with `code`.
    pub(crate) fn refused(&self, code: &str, refusal: &Refusal) {
        self.instance.metrics.login_failed(code);
        let level = match refusal {
            Refusal::Protocol(_) | Refusal::TooManyConnections(_) => Level::Warn,
            _ => Level::Error,
        };
        let mut msg = format!(
            "login refused ({code}): {}",
            refusal.message(&self.instance.name)
        );
        if let Some(detail) = refusal.detail() {
            msg.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = refusal.hint() {
            msg.push_str(&format!(" (hint: {hint})"));
        }
        self.log(level, &msg);
    }

    /// Counts a login that reached the splice.
    pub(crate) fn logged_in(&self, user: &str, took: Duration) {
        let m = &self.instance.metrics;
        m.logins_ok.fetch_add(1, Ordering::Relaxed);
        m.observe_login(took);
        self.shared.note_credentials_ok();
        self.log(
            Level::Info,
            &format!(
                "logged in as {} ({} ms upstream)",
                shown(user),
                took.as_millis()
            ),
        );
    }

    /// Splices the logged-in client and upstream until both end, or until the proxy closes
    /// the sessions left after a drain.
    pub(crate) async fn splice<C, U>(&self, client: C, upstream: U)
    where
        C: AsyncRead + AsyncWrite + Unpin,
        U: AsyncRead + AsyncWrite + Unpin,
    {
        let m = &self.instance.metrics;
        let copied = splice(
            client,
            upstream,
            &m.bytes_from_client,
            &m.bytes_from_upstream,
        );
        tokio::select! {
            result = copied => match result {
                Ok(()) => self.log(Level::Info, "session ended"),
                Err(e) => self.log(Level::Info, &format!("session ended: {e}")),
            },
            () = self.shared.closing() => {
                self.log(Level::Warn, "session closed: the shutdown delay (--max-sigterm-delay) ran out");
            }
        }
    }
}
