//! `sign(...)`: one token from explicit credentials and time, through the core's `SignOptions`.

use pyo3::prelude::*;

use rds_iam::{Param, SignOptions};

use crate::convert;
use crate::errors::to_py;

/// Signs one token with explicit credentials, at `at` (default: now). No cache, no I/O.
#[pyfunction]
#[pyo3(signature = (host, port=None, user=None, region=None, *, credentials, at=None, kind=None, expires_in=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign(
    host: &str,
    port: Option<&Bound<'_, PyAny>>,
    user: Option<String>,
    region: Option<String>,
    credentials: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    kind: Option<&str>,
    expires_in: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let mut o = SignOptions::new(host);
    o.port = convert::port(port)?;
    o.user = user;
    o.region = region;
    o.kind = kind.map(convert::kind).transpose()?;
    o.expires_in = convert::duration(Param::ExpiresIn, expires_in)?;
    o.credentials = Some(convert::credentials(credentials)?);
    o.at = at
        .filter(|a| !a.is_none())
        .map(|a| convert::time(Param::At, a))
        .transpose()?;
    o.sign().map_err(to_py)
}
