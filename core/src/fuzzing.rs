//! Entry points for the coverage-guided fuzz targets in `fuzz/` (cargo-fuzz, `make fuzz`).
//!
//! Each function takes the fuzzer's bytes, feeds them to one of the crate's parsers of
//! untrusted input, and asserts what must hold for every input: no panic, the proxy's own
//! encoding of what it parsed reads back the same, no secret in an error or a `Debug`. The
//! logic lives here, next to the crate-private parsers, so that a fuzz target is one line and
//! the unit tests below replay the committed corpora on every `cargo test`.
//!
//! Not a stable API: built with the `fuzzing` feature (and in the crate's own tests).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

mod credentials;
mod endpoint;
#[cfg(feature = "cli")]
mod mysql;
#[cfg(feature = "cli")]
mod pg;

pub use credentials::{credential_process, profile_files};
pub use endpoint::{connection_url, endpoint};
#[cfg(feature = "cli")]
pub use mysql::{mysql_client_response, mysql_server_greeting};
#[cfg(feature = "cli")]
pub use pg::{pg_client_opening, pg_server_login};

/// Runs a future that never waits: the wire readers over an in-memory `&[u8]`, which is
/// always ready (or at its end). No runtime, so that an iteration costs the parse alone.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("a read from a byte slice never waits"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Every committed input of a target's corpus (fuzz/corpus/<target>/), run through `run`.
    fn replay(target: &str, run: fn(&[u8])) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            run(&std::fs::read(&path).unwrap());
            count += 1;
        }
        assert!(count > 0, "{} holds no seed", dir.display());
    }

    #[test]
    fn the_endpoint_corpus_replays() {
        replay("endpoint", super::endpoint);
    }

    #[test]
    fn the_connection_url_corpus_replays() {
        replay("connection_url", super::connection_url);
    }

    #[test]
    fn the_credential_process_corpus_replays() {
        replay("credential_process", super::credential_process);
    }

    #[test]
    fn the_profile_files_corpus_replays() {
        replay("profile_files", super::profile_files);
    }

    #[cfg(feature = "cli")]
    #[test]
    fn the_wire_corpora_replay() {
        replay("pg_client_opening", super::pg_client_opening);
        replay("pg_server_login", super::pg_server_login);
        replay("mysql_server_greeting", super::mysql_server_greeting);
        replay("mysql_client_response", super::mysql_client_response);
    }
}
