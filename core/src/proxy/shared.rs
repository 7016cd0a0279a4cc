//! What every session, listener and the health address share: the phase (serving, draining,
//! closing), the open-connection count and its limits, readiness, and the instances.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::config::ProxyConfig;
use super::instance::SharedInstance;
use super::log::{line, Level, LogSink};

/// The proxy's phases: serving, draining (no new clients, open sessions go on), closing (the
/// sessions left are cut).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Serving,
    Draining,
    Closing,
}

/// What every session and listener shares.
pub(crate) struct Shared {
    pub(crate) log: LogSink,
    pub(crate) client_timeout: Duration,
    pub(crate) upstream_timeout: Duration,
    pub(crate) max_connections: usize,
    /// Past this many open client connections, a new one is closed at once ([`super::limits`]).
    pub(crate) hard_cap: usize,
    pub(crate) open: AtomicUsize,
    pub(crate) all_closed: Notify,
    pub(crate) next_conn: AtomicU64,
    pub(crate) phase: watch::Sender<Phase>,
    pub(crate) started: AtomicBool,
    pub(crate) credentials_ok: AtomicBool,
    pub(crate) instances: Vec<SharedInstance>,
}

impl Shared {
    /// The state of a proxy about to serve `config`'s `instances`, none of them open yet.
    pub(crate) fn new(
        config: &ProxyConfig,
        hard_cap: usize,
        instances: Vec<SharedInstance>,
    ) -> Shared {
        let (phase, _) = watch::channel(Phase::Serving);
        Shared {
            log: config.log,
            client_timeout: config.client_timeout,
            upstream_timeout: config.upstream_timeout,
            max_connections: config.max_connections,
            hard_cap,
            open: AtomicUsize::new(0),
            all_closed: Notify::new(),
            next_conn: AtomicU64::new(0),
            phase,
            started: AtomicBool::new(false),
            credentials_ok: AtomicBool::new(false),
            instances,
        }
    }

    /// A login or the warm-up got credentials: readiness may say so.
    pub(crate) fn note_credentials_ok(&self) {
        self.credentials_ok.store(true, Ordering::Relaxed);
    }

    /// Resolves once the sessions left after a drain are to be cut.
    pub(crate) async fn closing(&self) {
        let mut phase = self.phase.subscribe();
        let _ = phase.wait_for(|p| *p == Phase::Closing).await;
    }

    /// Resolves once the proxy stops accepting (draining or closing).
    pub(crate) async fn draining(&self) {
        let mut phase = self.phase.subscribe();
        let _ = phase.wait_for(|p| *p != Phase::Serving).await;
    }

    /// `/startup`: the listeners are bound.
    pub(crate) fn started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// `/readiness`: started, credentials fetched once, not draining, below the limit.
    pub(crate) fn ready(&self) -> std::result::Result<(), &'static str> {
        if !self.started() {
            return Err("starting");
        }
        if !self.credentials_ok.load(Ordering::Relaxed) {
            return Err("no credentials fetched yet");
        }
        if *self.phase.borrow() != Phase::Serving {
            return Err("shutting down");
        }
        if self.max_connections > 0 && self.open.load(Ordering::Relaxed) >= self.max_connections {
            return Err("at --max-connections");
        }
        Ok(())
    }

    /// Logs a line about the proxy as a whole.
    pub(crate) fn say(&self, level: Level, msg: &str) {
        line(self.log, level, None, "", msg);
    }
}

/// Counts a session as open for as long as it lives.
pub(crate) struct OpenSession {
    pub(crate) shared: Arc<Shared>,
    pub(crate) instance: SharedInstance,
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        self.instance.metrics.open.fetch_sub(1, Ordering::Relaxed);
        if self.shared.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.all_closed.notify_waiters();
        }
    }
}
