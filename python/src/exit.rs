//! Interpreter exit: once `atexit` runs, the library's threads never attach to Python again.
//!
//! abi3 builds do not compile PyO3's `Py_IsFinalizing` guard, so a credential fetch or a log
//! record that ends during interpreter shutdown would attach from the library's runtime thread;
//! that can panic or park the thread for good, and a later blocking call (in a `__del__`) then
//! hangs the exit (issue 19, item 5). An `atexit` hook, registered at module init, sets a flag
//! instead: `atexit` handlers run after non-daemon threads are joined and before finalization.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;

static EXITING: AtomicBool = AtomicBool::new(false);

/// True once the interpreter has started to exit: attach to Python no more.
pub(crate) fn exiting() -> bool {
    EXITING.load(Ordering::Acquire)
}

/// The `atexit` hook.
#[pyfunction]
fn _rds_iam_at_exit() {
    EXITING.store(true, Ordering::Release);
}

/// Registers the `atexit` hook (`atexit` is a built-in module: importing it is cheap).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_rds_iam_at_exit, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (hook,))
        .map(drop)
}
