//! `rds-iam proxy`: a local IAM auth proxy. Clients that cannot run a password hook (psql,
//! pg_dump, GUIs, Grafana, pgbouncer, other languages) connect to a local port or unix socket
//! with no password; the proxy logs in upstream with a token from the shared cache over
//! verify-full TLS, then splices the two connections.
//!
//! The frame knows no engine: configuration (`config`), listeners (`listen`), limits, health
//! and metrics (`http`), logs, shutdown (`server`, `shared`), the upstream and client TLS legs
//! (`tls`), and the splice. Each engine (PostgreSQL in `pg`, MySQL in `mysql`) implements
//! `protocol::Protocol` and sees the frame through `session::Session`; `engines` is the one
//! place that lists them. Imports run one way: engines → frame
//! (private modules: plain names, so docs.rs shows no broken links).

use std::time::Duration;

mod config;
mod engines;
mod http;
mod instance;
mod keepalive;
mod limits;
mod listen;
mod log;
mod metrics;
mod protocol;
mod server;
mod session;
mod shared;
mod splice;
mod stop_signal;
mod tls;

// The engines: each a folder implementing `protocol::Protocol`, listed in `engines.rs`.
pub(crate) mod mysql;
pub(crate) mod pg;

pub use config::{Engine, InstanceConfig, Listen, LocalProxyOptions, ProxyConfig};
pub use listen::ListenAddress;
pub use log::LogSink;
pub(crate) use log::{line as log_line_for, Level};
pub use server::{connection_test, ProxyHandle};
pub use tls::ClientTls;

/// A log line about the proxy or one of its databases (`instance`, may be empty).
pub(crate) fn log_line(sink: LogSink, level: Level, instance: &str, msg: &str) {
    log_line_for(sink, level, None, instance, msg);
}

/// Waits (up to 2 s) for the log lines queued so far to be written: before the command exits.
pub(crate) fn flush_logs() {
    log::flush(Duration::from_secs(2));
}
