//! `rds_iam._native`: the Python binding of the `rds-iam` core.
//!
//! A translation layer only: it converts Python values to core types and back, releases the GIL
//! around every core call that takes a lock or may wait for a credential fetch, and maps core
//! errors to the exception classes of `rds_iam.errors`. Caching, parsing and retrying live in
//! the core.
//!
//! Every core call that can take a core lock runs detached from the interpreter: the core's
//! runtime thread may log (through `log_bridge`, which needs the GIL) while it holds such a lock.
//!
//! - `convert`: Python arguments → core types
//! - `errors`: core errors → `rds_iam.errors` exceptions
//! - `signer`: the `Signer` and `TokenInfo` classes
//! - `awaitable`: the asyncio futures of `token_async()`, `token_info_async()`, `dsn_async()`
//! - `provider`: `credentials=` given a boto3 Session, botocore credentials or a callable
//! - `sign`: `sign(...)`, the pure signer
//! - `caches`: `clear_caches()`, `stats()`
//! - `proxy`: the `Proxy` class (the core's in-process IAM auth proxy)
//! - here: `ERROR_CODES`, `SIGNER_OPTIONS` (the `Signer` keyword names), `__version__`
//! - `cli`: `cli_main(args)`
//! - `tls`: `CA_BUNDLE_PEM`, `PUBLIC_ROOTS_PEM`, `trust_file` (the core's TLS trust)
//! - `log_bridge`: core log records → Python `logging`, imported lazily
//! - `exit`: the `atexit` hook after which no library thread attaches to Python (and which waits
//!   for the ones already attaching)

mod awaitable;
mod caches;
mod cli;
mod convert;
mod errors;
mod exit;
mod log_bridge;
mod provider;
mod proxy;
mod sign;
mod signer;
mod tls;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use rds_iam::{ErrorCode, SignerOptions, Surface};

/// Module initialisation: registers classes and functions, installs the log bridge and the
/// `atexit` hook, and registers the core's fork handler (so a `fork()` before the first token is
/// seen too); imports only the built-in `atexit` and builds no runtime (the core does that on
/// first use).
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    rds_iam::init();
    log_bridge::install();
    exit::register(m)?;
    m.add_class::<signer::PySigner>()?;
    m.add_class::<signer::PyTokenInfo>()?;
    m.add_class::<proxy::PyProxy>()?;
    m.add_function(wrap_pyfunction!(sign::sign, m)?)?;
    m.add_function(wrap_pyfunction!(caches::clear_caches, m)?)?;
    m.add_function(wrap_pyfunction!(caches::stats, m)?)?;
    m.add_function(wrap_pyfunction!(cli::cli_main, m)?)?;
    tls::register(m)?;
    m.add("__version__", rds_iam::VERSION)?;
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    m.add("ERROR_CODES", PyTuple::new(m.py(), codes)?)?;
    // The `Signer` keyword names, from the core's option table: framework settings (Django's
    // OPTIONS) are split into the signer's and the driver's with it, so the two cannot drift.
    let keys: Vec<&str> = SignerOptions::BINDING_PARAMS
        .iter()
        .map(|p| p.spelling(Surface::Python))
        .collect();
    m.add("SIGNER_OPTIONS", PyTuple::new(m.py(), keys)?)?;
    Ok(())
}
