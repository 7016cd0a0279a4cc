//! The frame: listeners, the connection limit, the credential warm-up that readiness waits
//! for, the drain on shutdown, and [`ProxyHandle`], the running proxy.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::config::{Engine, InstanceConfig, Listen, LocalProxyOptions, ProxyConfig};
use super::http;
use super::instance::{Instance, SharedInstance};
use super::limits;
use super::listen::{bind, ListenAddress, Listener};
use super::log::{line, Level, LogSink};
use super::protocol::Protocol;
use super::session::Session;
use super::shared::{OpenSession, Phase, Shared};
use crate::{Error, Result, Signer};

async fn accept_loop(
    listener: Listener,
    instance: SharedInstance,
    protocol: Arc<dyn Protocol>,
    shared: Arc<Shared>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    // EMFILE and friends: say so and breathe, rather than spin.
                    line(shared.log, Level::Error, None, &instance.name, &format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shared.draining() => break,
        };
        let m = &instance.metrics;
        if shared.open.load(Ordering::Acquire) >= shared.hard_cap {
            // Unread and unlogged: a flood must cost neither descriptors nor log lines.
            m.closed_at_cap.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        }
        let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
        let open = shared.open.fetch_add(1, Ordering::AcqRel) + 1;
        m.open.fetch_add(1, Ordering::Relaxed);
        m.total.fetch_add(1, Ordering::Relaxed);
        let guard = OpenSession {
            shared: shared.clone(),
            instance: instance.clone(),
        };
        let over_limit = (shared.max_connections > 0 && open > shared.max_connections)
            .then_some(shared.max_connections);
        let session = Session {
            conn,
            instance: instance.clone(),
            shared: shared.clone(),
            over_limit,
        };
        let protocol = protocol.clone();
        tokio::spawn(async move {
            let _open = guard;
            protocol.serve(session, stream).await;
        });
    }
    // Dropping the listener closes the port and removes a unix socket.
}

/// Fetches credentials once per instance at start, so that readiness tells whether logins can
/// work before the first client comes; retries every 5 s until it succeeds or the proxy stops.
async fn warm_up(shared: Arc<Shared>) {
    for instance in shared.instances.clone() {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                match instance.base().credentials().await {
                    Ok(_) => {
                        shared.note_credentials_ok();
                        return;
                    }
                    Err(e) => line(
                        shared.log,
                        Level::Error,
                        None,
                        &instance.name,
                        &format!(
                            "no credentials yet (not ready): error[{}]: {}",
                            e.code(),
                            e.render(crate::Surface::Cli)
                        ),
                    ),
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                    () = shared.draining() => return,
                }
            }
        });
    }
}

/// The running proxy: its own tokio runtime, its listeners and sessions.
pub struct ProxyHandle {
    runtime: Option<tokio::runtime::Runtime>,
    /// The user and database [`Self::url`] names (the in-process form).
    url_parts: Option<(String, Option<String>)>,
    shared: Arc<Shared>,
    /// Each instance's engine, in the order of [`ProxyConfig::instances`].
    protocols: Vec<Arc<dyn Protocol>>,
    addresses: Vec<ListenAddress>,
    http_address: Option<SocketAddr>,
    drain_delay: Duration,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle")
            .field("addresses", &self.addresses)
            .field("http_address", &self.http_address)
            .finish()
    }
}

impl ProxyHandle {
    /// Binds every listener (and the HTTP address) and starts serving on a runtime of its own
    /// (two worker threads). Fails with [`Error::InvalidArgument`] when a listener cannot be
    /// bound or a TLS file cannot be read; nothing is left listening then.
    pub fn start(config: ProxyConfig) -> Result<ProxyHandle> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rds-iam-proxy")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::invalid_argument("proxy", format!("cannot start the proxy's runtime: {e}"))
            })?;
        let Started {
            shared,
            protocols,
            addresses,
            http_address,
        } = runtime.block_on(start(&config))?;
        Ok(ProxyHandle {
            runtime: Some(runtime),
            url_parts: None,
            shared,
            protocols,
            addresses,
            http_address,
            drain_delay: config.max_sigterm_delay,
        })
    }

    /// The in-process proxy for `signer`'s database (Python `rds_iam.Proxy`, Node
    /// `rdsIam.proxy`): a loopback port of its own, the signer's user allowed, logs through
    /// the `log` crate, a 5 s drain on close.
    pub fn start_local(signer: &Signer, options: LocalProxyOptions) -> Result<ProxyHandle> {
        let user = signer.user().unwrap_or_default().to_owned();
        let engine = options
            .engine
            .unwrap_or_else(|| Engine::for_port(signer.port()));
        let users = options
            .users
            .or_else(|| (!user.is_empty()).then(|| vec![user.clone()]));
        let instance = InstanceConfig {
            signer: signer.clone(),
            engine,
            listen: Listen::Tcp(
                options
                    .listen
                    .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            ),
            users,
            ca: options.ca,
            client_tls: options.client_tls,
            client_tls_required: options.client_tls_required,
            allow_non_loopback: false,
        };
        let mut config = ProxyConfig::new(vec![instance]);
        config.max_connections = options.max_connections;
        config.log = LogSink::Library;
        config.max_sigterm_delay = Duration::from_secs(5);
        let mut handle = ProxyHandle::start(config)?;
        handle.url_parts = Some((user, options.database));
        Ok(handle)
    }

    /// The first instance's TCP port (`0` for a unix socket).
    pub fn port(&self) -> u16 {
        match self.addresses.first() {
            Some(ListenAddress::Tcp(a)) => a.port(),
            _ => 0,
        }
    }

    /// A URL for tools that take one: `postgresql://<user>@127.0.0.1:<port>/<database>`, no
    /// password (the proxy logs in) and `sslmode=disable` (the hop is loopback).
    pub fn url(&self) -> String {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        let host = match self.addresses.first() {
            Some(ListenAddress::Tcp(a)) => a.to_string(),
            _ => String::new(),
        };
        let (user, database) = self.url_parts.clone().unwrap_or_default();
        let user = utf8_percent_encode(&user, NON_ALPHANUMERIC);
        let database = database
            .map(|d| utf8_percent_encode(&d, NON_ALPHANUMERIC).to_string())
            .unwrap_or_default();
        // Never empty: a proxy starts with at least one instance.
        self.protocols.first().map_or_else(String::new, |p| {
            p.local_url(&user.to_string(), &host, &database)
        })
    }

    /// Where each instance listens, in the order of [`ProxyConfig::instances`].
    pub fn addresses(&self) -> &[ListenAddress] {
        &self.addresses
    }

    /// The health and metrics address, once bound.
    pub fn http_address(&self) -> Option<SocketAddr> {
        self.http_address
    }

    /// Client sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.shared.open.load(Ordering::Relaxed)
    }

    /// Stops accepting, lets open sessions finish for up to the drain delay
    /// ([`ProxyConfig::max_sigterm_delay`]), then closes the rest. Blocks until done.
    pub fn close(mut self) {
        self.drain_and_close();
    }

    /// [`Self::close`] on a thread of its own, returning at once: for a handle dropped unclosed
    /// by a binding (a drain may take seconds, and a finalizer must not hold the interpreter or
    /// Node's main thread for them). When no thread can be started, it closes in place.
    pub fn close_in_background(self) {
        // On a spawn failure the closure, and the handle in it, drop here: Drop closes it.
        let _ = std::thread::Builder::new()
            .name("rds-iam-proxy-close".into())
            .spawn(move || self.close());
    }

    fn drain_and_close(&mut self) {
        if let Some(rt) = self.runtime.take() {
            let shared = self.shared.clone();
            let delay = self.drain_delay;
            rt.block_on(drain(shared, delay, std::future::pending()));
            rt.shutdown_timeout(Duration::from_secs(1));
            super::log::flush(Duration::from_secs(2));
        }
    }

    /// For the command: serves until SIGTERM or SIGINT (on Windows: Ctrl-C, Ctrl-Break, the
    /// console closing or a shutdown), then drains; a second request cuts the drain short.
    /// Returns the exit status: 0.
    pub fn run_until_signalled(mut self) -> i32 {
        let Some(rt) = self.runtime.take() else {
            return 0;
        };
        let shared = self.shared.clone();
        let delay = self.drain_delay;
        rt.block_on(async move {
            let Ok(mut signals) = super::stop_signal::StopSignals::install() else {
                shared.say(Level::Error, "cannot install the signal handlers");
                return;
            };
            let which = signals.next().await;
            shared.say(Level::Info, &format!("{which}: not accepting new clients; {} open session(s) may go on for up to {} s (--max-sigterm-delay); a second signal exits at once", shared.open.load(Ordering::Relaxed), delay.as_secs()));
            let second = async move {
                signals.next().await;
            };
            drain(shared, delay, second).await;
        });
        rt.shutdown_timeout(Duration::from_secs(1));
        super::log::flush(Duration::from_secs(2));
        0
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        self.drain_and_close();
    }
}

/// Stops accepting, waits for the sessions up to `delay` (or until `cut_short`), then cuts
/// the rest.
async fn drain(
    shared: Arc<Shared>,
    delay: Duration,
    cut_short: impl std::future::Future<Output = ()>,
) {
    shared.phase.send_replace(Phase::Draining);
    let all_closed = async {
        loop {
            let notified = shared.all_closed.notified();
            if shared.open.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    };
    let left = tokio::select! {
        () = all_closed => 0,
        () = tokio::time::sleep(delay) => shared.open.load(Ordering::Acquire),
        () = cut_short => shared.open.load(Ordering::Acquire),
    };
    shared.phase.send_replace(Phase::Closing);
    if left > 0 {
        shared.say(
            Level::Warn,
            &format!("closing {left} session(s) still open"),
        );
        // Give the cut sessions a moment to log and close their sockets.
        let deadline = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(deadline);
        while shared.open.load(Ordering::Acquire) > 0 {
            tokio::select! {
                () = &mut deadline => break,
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
    }
    shared.say(Level::Info, "stopped");
}

/// What [`start`] leaves running.
struct Started {
    shared: Arc<Shared>,
    protocols: Vec<Arc<dyn Protocol>>,
    addresses: Vec<ListenAddress>,
    http_address: Option<SocketAddr>,
}

async fn start(config: &ProxyConfig) -> Result<Started> {
    if config.instances.is_empty() {
        return Err(Error::invalid_argument(
            "host",
            "give at least one database to proxy",
        ));
    }
    let open_files = limits::raise_open_files();
    let hard_cap = limits::hard_cap(config.max_connections, open_files);
    let mut instances = Vec::new();
    let mut protocols = Vec::new();
    let mut listeners = Vec::new();
    let mut addresses = Vec::new();
    for c in &config.instances {
        let protocol: Arc<dyn Protocol> = Arc::from(c.engine.protocol());
        instances.push(Arc::new(Instance::new(c, protocol.alpn())?));
        let (listener, address) = bind(c, &protocol.socket_name(c.signer.port())).await?;
        protocols.push(protocol);
        listeners.push(listener);
        addresses.push(address);
    }
    let shared = Arc::new(Shared::new(config, hard_cap, instances));
    let http_address = match config.http_address {
        Some(addr) => {
            Some(http::serve(addr, config.allow_non_loopback_http, shared.clone()).await?)
        }
        None => None,
    };
    let running = shared
        .instances
        .iter()
        .zip(&config.instances)
        .zip(&protocols);
    for (((instance, c), protocol), (listener, address)) in
        running.zip(listeners.into_iter().zip(&addresses))
    {
        shared.say(
            Level::Info,
            &format!(
                "listening on {address} for {} ({})",
                instance.name,
                describe(c)
            ),
        );
        let serving = accept_loop(listener, instance.clone(), protocol.clone(), shared.clone());
        tokio::spawn(serving);
    }
    warm_up(shared.clone()).await;
    shared.started.store(true, Ordering::Relaxed);
    Ok(Started {
        shared,
        protocols,
        addresses,
        http_address,
    })
}

fn describe(c: &InstanceConfig) -> String {
    let signed = c.signer.spec().endpoint();
    let users = c
        .users
        .as_ref()
        .map_or("any user".to_owned(), |u| format!("users {}", u.join(", ")));
    format!(
        "signed for {signed}, region {}, {users}, credentials from {}",
        c.signer.spec().region(),
        c.signer.credential_source_name()
    )
}

/// Logs in once as `user` (the `--run-connection-test` check); the cause when it fails, in
/// the words a client would be refused with.
pub fn connection_test(
    instance: &InstanceConfig,
    user: &str,
    within: Duration,
) -> std::result::Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let protocol = instance.engine.protocol();
    let i = Instance::new(instance, protocol.alpn()).map_err(|e| e.render(crate::Surface::Cli))?;
    runtime.block_on(async {
        let tested = protocol.login_test(&i, user, within).await;
        tested.map_err(|r| r.message(&i.name))
    })
}
