//! TLS trust from the core: the shipped RDS CA bundle and the default-trust file for libpq.

use pyo3::prelude::*;

use crate::errors::to_py;

/// The path of a file holding the system roots, the RDS CA bundle and the public roots RDS
/// Proxy / Aurora DSQL chain to (for libpq's ``sslrootcert``); written once per process into
/// a private cache directory.
#[pyfunction]
pub(crate) fn trust_file(py: Python<'_>) -> PyResult<String> {
    let path = py.detach(rds_iam::tls::trust_file).map_err(to_py)?;
    Ok(path.to_string_lossy().into_owned())
}

/// Adds the bundle constants and `trust_file` to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CA_BUNDLE_PEM", rds_iam::tls::CA_BUNDLE_PEM)?;
    m.add("PUBLIC_ROOTS_PEM", rds_iam::tls::PUBLIC_ROOTS_PEM)?;
    m.add_function(wrap_pyfunction!(trust_file, m)?)?;
    Ok(())
}
