//! The interface every engine implements: what the frame needs from a wire protocol. One value
//! per instance ([`super::engines`] makes it), so the engine keeps its per-instance state in it
//! (PostgreSQL's cancel map, MySQL's last greeting and connection ids).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::instance::{Instance, Refusal};
use super::session::{ClientIo, Session};

/// A session being served, to its end.
pub(crate) type Serving<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
/// A connection test under way: `Ok` once a login worked.
pub(crate) type Testing<'a> = Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + 'a>>;

/// One engine's wire protocol, with the state one instance of it keeps across sessions.
pub(crate) trait Protocol: Send + Sync {
    /// The names `--engine` takes for it (lower case; the first is its own).
    fn names(&self) -> &'static [&'static str];

    /// The port its servers listen on by default.
    fn default_port(&self) -> u16;

    /// The ALPN protocols client TLS offers (PostgreSQL 17's direct SSL needs `postgresql`).
    fn alpn(&self) -> &'static [&'static [u8]];

    /// The unix socket's file name its clients look for in a directory, for `port`.
    fn socket_name(&self, port: u16) -> String;

    /// The in-process proxy's URL ([`super::ProxyHandle::url`]); `user` and `database` come
    /// percent-encoded, `database` may be empty.
    fn local_url(&self, user: &str, host: &str, database: &str) -> String;

    /// Serves one client connection to its end: the engine's startup and refusals, the
    /// upstream login through [`Session`], then [`Session::splice`].
    fn serve<'a>(&'a self, session: Session, client: ClientIo) -> Serving<'a>;

    /// Logs in once as `user` within `within` (`--run-connection-test`).
    fn login_test<'a>(
        &'a self,
        instance: &'a Instance,
        user: &'a str,
        within: Duration,
    ) -> Testing<'a>;
}
