//! The module's functions: `sign`, `clear_caches`, `stats`, `cli_main`.

use std::time::SystemTime;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use rds_iam::{Endpoint, TokenSpec};

use crate::convert;
use crate::errors::to_py;

/// Signs one token with explicit credentials, at `at` (default: now). No cache, no I/O.
#[pyfunction]
#[pyo3(signature = (host, port=None, user=None, region=None, *, credentials, at=None, kind="rds", expires_in=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign(
    host: &str,
    port: Option<&Bound<'_, PyAny>>,
    user: Option<&str>,
    region: Option<&str>,
    credentials: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    kind: &str,
    expires_in: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let port = convert::port(port)?;
    let kind = convert::kind(kind)?;
    let endpoint = Endpoint::parse(host, port).map_err(to_py)?;
    let mut spec = TokenSpec::new(kind, endpoint, user, region).map_err(to_py)?;
    if let Some(d) = convert::duration("expires_in", expires_in)? {
        spec = spec.with_expires_in(d).map_err(to_py)?;
    }
    let credentials = convert::credentials(credentials)?;
    let at = match at.filter(|a| !a.is_none()) {
        Some(a) => convert::time("at", a)?,
        None => SystemTime::now(),
    };
    rds_iam::sign(&spec, &credentials, at).map_err(to_py)
}

/// Empties the process-wide token and credential caches.
#[pyfunction]
pub(crate) fn clear_caches(py: Python<'_>) {
    py.detach(rds_iam::clear_caches);
}

/// Process-wide counters: `{"signatures": tokens signed so far}`.
#[pyfunction]
pub(crate) fn stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("signatures", rds_iam::stats().signatures)?;
    Ok(d)
}

/// Runs the `rds-iam` command line with `args` (without the program name); returns the exit
/// status. Output goes to `sys.stdout` / `sys.stderr`.
#[pyfunction]
pub(crate) fn cli_main(py: Python<'_>, args: Vec<String>) -> PyResult<i32> {
    let (status, out, err) = py.detach(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let argv = std::iter::once("rds-iam".to_owned()).chain(args);
        let status = rds_iam::cli::run(argv, &mut out, &mut err);
        (status, out, err)
    });
    let sys = py.import("sys")?;
    for (stream, bytes) in [("stdout", out), ("stderr", err)] {
        if !bytes.is_empty() {
            let stream = sys.getattr(stream)?;
            stream.call_method1("write", (String::from_utf8_lossy(&bytes),))?;
            stream.call_method0("flush")?;
        }
    }
    Ok(status)
}
