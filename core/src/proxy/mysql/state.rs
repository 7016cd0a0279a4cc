//! What a MySQL instance keeps across sessions: the server's greeting as last seen, and the
//! connection ids the proxy gave its clients mapped to the server threads behind them.
//!
//! The proxy greets a client before it dials the database, so that a port probe, a scanner or
//! a refused user never leaves an aborted handshake at the server (past `max_connect_errors`
//! the server blocks the proxy's address for everyone). The greeting repeats the server's
//! version, capabilities, charset and status from the last greeting the server sent; only
//! until the proxy has seen one (its first client) does it dial first. The connection id in it
//! is the proxy's own, from [`FIRST_ID`] up, above any thread id a server hands out; `KILL`
//! with it, sent through the proxy, is rewritten to the server's ([`super::kill`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::wire::Greeting;
use crate::sync::lock;

/// The first connection id the proxy gives a client (2^30); ids run up to 2^31 - 1 and wrap,
/// so that clients that read the id as a signed 32-bit number still see it positive.
pub(crate) const FIRST_ID: u32 = 1 << 30;

/// One MySQL instance's state.
#[derive(Default)]
pub(crate) struct State {
    greeting: Mutex<Option<Greeting>>,
    next_id: AtomicU32,
    threads: Threads,
}

/// The proxy's connection id → the server thread's, for the sessions logged in now.
#[derive(Clone, Default)]
pub(crate) struct Threads(Arc<Mutex<HashMap<u32, u32>>>);

impl Threads {
    /// The server thread behind the proxy's id `ours`, while that session is logged in.
    pub(crate) fn server_thread(&self, ours: u32) -> Option<u32> {
        lock(&self.0).get(&ours).copied()
    }

    /// Maps the proxy's id `ours` to the server's `thread` until the guard drops.
    pub(crate) fn register(&self, ours: u32, thread: u32) -> Registered {
        lock(&self.0).insert(ours, thread);
        Registered {
            threads: self.clone(),
            ours,
        }
    }
}

impl State {
    /// The server's greeting as last seen.
    pub(crate) fn greeting(&self) -> Option<Greeting> {
        lock(&self.greeting).clone()
    }

    /// Keeps `greeting` for the next clients (a server upgraded or failed over is seen at the
    /// next login).
    pub(crate) fn remember(&self, greeting: &Greeting) {
        *lock(&self.greeting) = Some(greeting.clone());
    }

    /// A connection id for a new client.
    pub(crate) fn next_id(&self) -> u32 {
        FIRST_ID + self.next_id.fetch_add(1, Ordering::Relaxed) % FIRST_ID
    }

    /// The live mappings of this instance's sessions.
    pub(crate) fn threads(&self) -> &Threads {
        &self.threads
    }
}

/// The mapping of one logged-in session, removed when the session ends.
pub(crate) struct Registered {
    threads: Threads,
    ours: u32,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.threads.0).remove(&self.ours);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_2_30_and_stay_below_2_31() {
        let s = State::default();
        assert_eq!(s.next_id(), FIRST_ID);
        assert_eq!(s.next_id(), FIRST_ID + 1);
        s.next_id.store(u32::MAX, Ordering::Relaxed);
        let wrapped = s.next_id();
        assert!((FIRST_ID..1 << 31).contains(&wrapped), "{wrapped}");
    }
}
