//! The process-wide caches: `clear_caches()` and `stats()`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Empties the process-wide token and credential caches.
///
/// Every Signer, including those made before the call, builds its credential provider again on
/// its next call (a rewritten `~/.aws/credentials` is read again) and shares the new caches.
#[pyfunction]
pub(crate) fn clear_caches(py: Python<'_>) {
    py.detach(rds_iam::clear_caches);
}

/// Process-wide counters: `{"signatures": tokens signed so far, "credential_fetches":
/// credential fetches that returned credentials}`.
#[pyfunction]
pub(crate) fn stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    let s = rds_iam::stats();
    d.set_item("signatures", s.signatures)?;
    d.set_item("credential_fetches", s.credential_fetches)?;
    Ok(d)
}
