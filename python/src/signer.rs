//! `Signer` and `TokenInfo`: thin wrappers of the core's `Signer` and `TokenInfo`.

use std::path::PathBuf;
use std::time::SystemTime;

use pyo3::prelude::*;
use pyo3::types::PyString;

use rds_iam::{ConnectionUrl, Param, SignerOptions, TokenInfo, UrlOptions};

use crate::convert;
use crate::errors::to_py;

/// Produces IAM auth tokens for one database endpoint and user, reusing them while they are good.
#[pyclass(frozen, name = "Signer", module = "rds_iam")]
pub(crate) struct PySigner {
    inner: rds_iam::Signer,
}

impl PySigner {
    /// The core signer (for the other classes of the module: `Proxy`).
    pub(crate) fn core(&self) -> &rds_iam::Signer {
        &self.inner
    }
}

#[pymethods]
impl PySigner {
    #[new]
    #[pyo3(signature = (
        host=None, port=None, user=None, region=None, *, cluster_id=None, sign_host=None,
        profile=None, credentials=None, role_arn=None, role_session_name=None, external_id=None,
        kind=None,
        expires_in=None, reuse_for=None, refresh_margin=None, fetch_timeout=None,
        imds_timeout=None, web_identity_attempts=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: Option<&str>,
        port: Option<&Bound<'_, PyAny>>,
        user: Option<String>,
        region: Option<String>,
        cluster_id: Option<String>,
        sign_host: Option<String>,
        profile: Option<String>,
        credentials: Option<&Bound<'_, PyAny>>,
        role_arn: Option<String>,
        role_session_name: Option<String>,
        external_id: Option<String>,
        kind: Option<&str>,
        expires_in: Option<&Bound<'_, PyAny>>,
        reuse_for: Option<&Bound<'_, PyAny>>,
        refresh_margin: Option<&Bound<'_, PyAny>>,
        fetch_timeout: Option<&Bound<'_, PyAny>>,
        imds_timeout: Option<&Bound<'_, PyAny>>,
        web_identity_attempts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut o = SignerOptions::new(host.unwrap_or_default());
        o.cluster_id = cluster_id;
        o.port = convert::port(port)?;
        o.user = user;
        o.region = region;
        o.sign_host = sign_host;
        o.kind = kind.map(convert::kind).transpose()?;
        o.expires_in = convert::duration(Param::ExpiresIn, expires_in)?;
        o.profile = profile;
        // A Session, botocore credentials or a callable: a credential source of the app's own.
        if let Some(c) = credentials.filter(|c| !c.is_none()) {
            match crate::provider::provider(c)? {
                Some(p) => o.credential_provider = Some(p),
                None => o.credentials = Some(convert::credentials(c)?),
            }
        }
        o.role_arn = role_arn;
        o.role_session_name = role_session_name;
        o.external_id = external_id;
        o.reuse_for = convert::duration(Param::ReuseFor, reuse_for)?;
        o.refresh_margin = convert::duration(Param::RefreshMargin, refresh_margin)?;
        o.fetch_timeout = convert::duration(Param::FetchTimeout, fetch_timeout)?;
        o.imds_timeout = convert::duration(Param::ImdsTimeout, imds_timeout)?;
        o.web_identity_attempts =
            convert::count(Param::WebIdentityAttempts, web_identity_attempts)?;
        // Detached: building looks the process-wide caches up under core locks.
        let inner = py.detach(|| o.build()).map_err(to_py)?;
        Ok(PySigner { inner })
    }

    /// A token (the database password), from the cache while one is good.
    fn token(&self, py: Python<'_>) -> PyResult<String> {
        let inner = &self.inner;
        py.detach(|| inner.token_blocking()).map_err(to_py)
    }

    /// The token with its expiry and whether it came from the cache.
    fn token_info(&self, py: Python<'_>) -> PyResult<PyTokenInfo> {
        let inner = &self.inner;
        py.detach(|| inner.token_info_blocking())
            .map(PyTokenInfo)
            .map_err(to_py)
    }

    /// An awaitable token: done at once when no credential fetch is needed; otherwise the fetch
    /// runs on the library's thread and the event loop keeps running.
    fn token_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::awaitable::info_future(py, &self.inner, |t| t.token)
    }

    /// An awaitable `token_info()`: as `token_async()`, with the expiry and cache hit.
    fn token_info_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::awaitable::info_future(py, &self.inner, PyTokenInfo)
    }

    /// An awaitable `dsn()`: the options are checked at once (a bad one raises before any
    /// credential fetch); the fetch, if one is needed, runs off the event loop.
    #[pyo3(signature = (database=None, driver="postgresql", *, ca=None))]
    fn dsn_async<'py>(
        &self,
        py: Python<'py>,
        database: Option<String>,
        driver: &str,
        ca: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let url =
            ConnectionUrl::new(&self.inner, &url_options(database, driver, ca)?).map_err(to_py)?;
        crate::awaitable::info_future(py, &self.inner, move |t| url.with_token(&t.token))
    }

    /// A connection URL with a token as its password (percent-encoded) and verifying TLS:
    /// `postgresql://…?sslmode=verify-full&sslrootcert=…` or
    /// `mysql://…?ssl-mode=VERIFY_IDENTITY&ssl-ca=…`. The URL freezes the token: for one-off
    /// connections only.
    #[pyo3(signature = (database=None, driver="postgresql", *, ca=None))]
    fn dsn(
        &self,
        py: Python<'_>,
        database: Option<String>,
        driver: &str,
        ca: Option<PathBuf>,
    ) -> PyResult<String> {
        let options = url_options(database, driver, ca)?;
        let inner = &self.inner;
        py.detach(|| inner.connection_url_blocking(&options))
            .map_err(to_py)
    }

    /// The host the client connects to.
    #[getter]
    fn host(&self) -> &str {
        self.inner.host()
    }

    /// The port the client connects to.
    #[getter]
    fn port(&self) -> u16 {
        self.inner.port()
    }

    /// The user to log in as (as given, `"admin"` for a DSQL admin signer without one; DSQL
    /// tokens carry none).
    #[getter]
    fn user(&self) -> Option<&str> {
        self.inner.user()
    }

    /// The signing region.
    #[getter]
    fn region(&self) -> &str {
        self.inner.spec().region()
    }

    /// What the tokens are signed for, as the `sign_host` option takes it: `host:port` when
    /// `sign_host` named a port or the signed port differs from `port`, else the host alone
    /// (differs from `host` behind a tunnel). Passing it back as `sign_host` signs the same.
    #[getter]
    fn sign_host(&self) -> String {
        self.inner.sign_host()
    }

    /// The port the tokens are signed for.
    #[getter]
    fn sign_port(&self) -> u16 {
        self.inner.spec().endpoint().port()
    }

    /// The token kind: `"rds"`, `"dsql_connect"`, `"dsql_admin"`, `"elasticache"`,
    /// `"elasticache-serverless"` or `"memorydb"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.spec().kind().as_str()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let q = |s: &str| -> PyResult<String> { Ok(PyString::new(py, s).repr()?.to_string()) };
        let spec = self.inner.spec();
        let (host, port) = (self.inner.host(), self.inner.port());
        let mut s = format!("Signer(host={}, port={port}", q(host)?);
        if let Some(u) = self.inner.user() {
            s.push_str(&format!(", user={}", q(u)?));
        }
        s.push_str(&format!(", region={}", q(spec.region())?));
        let signed = spec.endpoint();
        if signed.host() != host || signed.port() != port {
            s.push_str(&format!(", sign_host={}", q(&signed.to_string())?));
        }
        s.push_str(&format!(
            ", kind={}, credentials={})",
            q(spec.kind().as_str())?,
            q(self.inner.credential_source_name())?
        ));
        Ok(s)
    }
}

/// `dsn()`'s options, checked.
fn url_options(
    database: Option<String>,
    driver: &str,
    ca: Option<PathBuf>,
) -> PyResult<UrlOptions> {
    let mut options = UrlOptions::default();
    options.driver = driver.parse().map_err(to_py)?;
    options.database = database;
    options.ca_file = ca;
    Ok(options)
}

/// A token with its expiry; its repr leaves the token out.
#[pyclass(frozen, name = "TokenInfo", module = "rds_iam")]
pub(crate) struct PyTokenInfo(TokenInfo);

impl crate::awaitable::Outcome for PyTokenInfo {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(Py::new(py, self)?.into_any())
    }
}

#[pymethods]
impl PyTokenInfo {
    /// The token: pass it as the database password.
    #[getter]
    fn token(&self) -> &str {
        &self.0.token
    }
    /// When the token stops working (aware UTC datetime).
    #[getter]
    fn expires_at(&self) -> SystemTime {
        self.0.expires_at
    }
    /// When it was signed (aware UTC datetime).
    #[getter]
    fn signed_at(&self) -> SystemTime {
        self.0.signed_at
    }
    /// True if an earlier call signed it and this one reused it.
    #[getter(from_cache)]
    fn cached(&self) -> bool {
        self.0.from_cache
    }
    /// The access key id that signed it (not secret).
    #[getter]
    fn access_key_id(&self) -> &str {
        &self.0.access_key_id
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let time = |t: SystemTime| -> PyResult<String> {
            Ok(t.into_pyobject(py)?.call_method0("isoformat")?.to_string())
        };
        Ok(format!(
            "TokenInfo(expires_at={}, signed_at={}, from_cache={}, access_key_id={}, token=<{} chars>)",
            time(self.0.expires_at)?,
            time(self.0.signed_at)?,
            if self.0.from_cache { "True" } else { "False" },
            PyString::new(py, &self.0.access_key_id).repr()?,
            self.0.token.len()
        ))
    }
}
