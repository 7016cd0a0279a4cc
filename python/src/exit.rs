//! Interpreter exit: once `atexit` runs, the library's threads never attach to Python again.
//!
//! abi3 builds do not compile PyO3's `Py_IsFinalizing` guard, so a credential fetch or a log
//! record that ends during interpreter shutdown would attach from the library's runtime thread;
//! that can panic or park the thread for good, and a later blocking call (in a `__del__`) then
//! hangs the exit (issue 19, item 5). An `atexit` hook, registered at module init, closes the
//! door instead: `atexit` handlers run after non-daemon threads are joined and before
//! finalization.
//!
//! Closing the door is not enough for a thread already waiting for the GIL when `atexit` runs:
//! once finalization starts, CPython (before 3.14) ends such a thread with `pthread_exit`, whose
//! forced unwind through the Rust frames crashed the process (about one run in fifteen of
//! `test_interpreter_exits_while_token_async_waits_on_a_slow_credential_server`). So every
//! attach from a library thread is counted ([`may_attach`]), and the hook releases the GIL and
//! waits for the counted ones to finish before finalization can begin.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

use rds_iam::sync::lock;

struct Door {
    /// `atexit` has run: no new attach.
    closed: bool,
    /// Library threads between [`may_attach`] and the end of their attach.
    attaching: usize,
}

static DOOR: Mutex<Door> = Mutex::new(Door {
    closed: false,
    attaching: 0,
});
static LEFT: Condvar = Condvar::new();

/// How long the hook waits for attached library threads. Their work is short (forward a log
/// record, schedule a future's result); the bound only keeps a stuck Python handler from
/// hanging the exit.
const DRAIN: Duration = Duration::from_secs(5);

/// A library thread's permission to attach to Python, held for the whole attach.
pub(crate) struct Attaching(());

impl Drop for Attaching {
    fn drop(&mut self) {
        lock(&DOOR).attaching -= 1;
        LEFT.notify_all();
    }
}

/// Permission for a library thread to attach to Python: `None` once the interpreter has
/// started to exit. Hold the permission until the attach is over.
pub(crate) fn may_attach() -> Option<Attaching> {
    let mut door = lock(&DOOR);
    if door.closed {
        return None;
    }
    door.attaching += 1;
    Some(Attaching(()))
}

/// The `atexit` hook: closes the door, then lets the threads already counted finish.
#[pyfunction]
fn _rds_iam_at_exit(py: Python<'_>) {
    lock(&DOOR).closed = true;
    py.detach(|| {
        let door = lock(&DOOR);
        let _ = LEFT.wait_timeout_while(door, DRAIN, |d| d.attaching > 0);
    });
}

/// Registers the `atexit` hook (`atexit` is a built-in module: importing it is cheap).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_rds_iam_at_exit, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (hook,))
        .map(drop)
}
