//! `rds_iam._native`: the Python binding of the `rds-iam` core.
//!
//! A translation layer only: it converts Python values to core types and back, releases the GIL
//! around every core call that takes a lock or may wait for a credential fetch, and maps core
//! errors to the exception classes of `rds_iam.errors`. Caching, parsing and retrying live in
//! the core.
//!
//! Every core call that can take a core lock runs detached from the interpreter: the core's
//! runtime thread may log (through `pyo3-log`, which needs the GIL) while it holds such a lock.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDateTime, PyDelta, PyDict, PyFloat, PyInt, PyMapping, PyString, PyTuple,
};

use rds_iam::{
    AssumeRole, CredentialSource, Credentials, Endpoint, Error, ErrorCode, FetchTimeouts,
    TokenInfo, TokenKind, TokenSpec,
};

/// Longest duration any option accepts (ten years): far beyond any sensible value, and far
/// from where adding it to the current time could overflow.
const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

// ---- errors -------------------------------------------------------------------------------

/// The exception for a core error: the `rds_iam.errors` class named by its code.
fn to_py(err: Error) -> PyErr {
    Python::attach(|py| match exception(py, &err) {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    })
}

fn exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    // Exhaustive: a new core code fails this build until it has an exception class.
    let class = match err.code() {
        ErrorCode::NoCredentials => "NoCredentials",
        ErrorCode::CredentialsExpired => "CredentialsExpired",
        ErrorCode::NoRegion => "NoRegion",
        ErrorCode::InvalidEndpoint => "InvalidEndpoint",
        ErrorCode::InvalidArgument => "InvalidArgument",
        ErrorCode::ProviderError => "ProviderError",
        ErrorCode::Timeout => "Timeout",
    };
    let provider = match err {
        Error::CredentialsExpired { provider, .. }
        | Error::ProviderError { provider, .. }
        | Error::Timeout { provider, .. } => Some(provider.as_str()),
        _ => None,
    };
    let errors = ERRORS.get_or_try_init(py, || py.import("rds_iam.errors").map(Bound::unbind))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", err.code().as_str())?;
    kwargs.set_item("provider", provider)?;
    errors
        .bind(py)
        .getattr(class)?
        .call((err.to_string(),), Some(&kwargs))
}

fn invalid_argument(name: &'static str, reason: impl Into<String>) -> PyErr {
    to_py(Error::InvalidArgument {
        name,
        reason: reason.into(),
    })
}

fn invalid_endpoint(reason: impl Into<String>) -> PyErr {
    to_py(Error::InvalidEndpoint {
        reason: reason.into(),
    })
}

// ---- argument conversion ------------------------------------------------------------------

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// A port: an `int` (not `bool`) from 1 to 65535. Port 0 is left to the core to reject.
fn port_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u16>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "port must be an int, not {}",
            type_name(obj)
        )));
    }
    match obj.extract::<i64>() {
        Ok(p) if (0..=65535).contains(&p) => Ok(Some(p as u16)),
        _ => Err(invalid_endpoint(format!(
            "port {} is not a number from 1 to 65535",
            obj.str().map_or_else(|_| "?".to_owned(), |s| s.to_string())
        ))),
    }
}

/// A duration: seconds as `int`/`float`, or a `datetime.timedelta`; `None` when absent.
fn duration_arg(name: &'static str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let secs: f64 = if obj.is_instance_of::<PyDelta>() {
        obj.call_method0("total_seconds")?.extract()?
    } else if !obj.is_instance_of::<PyBool>()
        && (obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>())
    {
        obj.extract()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{name} must be seconds (int or float) or a datetime.timedelta, not {}",
            type_name(obj)
        )));
    };
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d <= MAX_DURATION => Ok(Some(d)),
        _ => Err(invalid_argument(
            name,
            format!(
                "{secs} s is not allowed; use a number of seconds from 0 to {}",
                MAX_DURATION.as_secs()
            ),
        )),
    }
}

/// An aware `datetime.datetime`, as the instant it names.
fn time_arg(name: &'static str, obj: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    if !obj.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a datetime.datetime, not {}",
            type_name(obj)
        )));
    }
    if obj.call_method0("utcoffset")?.is_none() {
        return Err(invalid_argument(
            name,
            "a naive datetime is ambiguous; pass an aware one, e.g. datetime.now(timezone.utc)",
        ));
    }
    obj.extract::<SystemTime>()
        .map_err(|_| invalid_argument(name, "the time must be after 1970-01-01T00:00:00Z"))
}

fn kind_arg(kind: &str) -> PyResult<TokenKind> {
    match kind {
        "rds" => Ok(TokenKind::Rds),
        "dsql_connect" => Ok(TokenKind::DsqlConnect),
        "dsql_admin" => Ok(TokenKind::DsqlAdmin),
        other => Err(invalid_argument(
            "kind",
            format!(
                "`{}` is not a token kind; use \"rds\", \"dsql_connect\" or \"dsql_admin\"",
                other.escape_debug()
            ),
        )),
    }
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Rds => "rds",
        TokenKind::DsqlConnect => "dsql_connect",
        TokenKind::DsqlAdmin => "dsql_admin",
        _ => "unknown",
    }
}

const CREDENTIAL_KEYS: [&str; 4] = [
    "access_key_id",
    "secret_access_key",
    "session_token",
    "expires_at",
];

/// Explicit credentials from a mapping `{access_key_id, secret_access_key, session_token?,
/// expires_at?}`. Error messages name keys and types, never values.
fn credentials_arg(obj: &Bound<'_, PyAny>) -> PyResult<Credentials> {
    let map = obj.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "credentials must be a mapping with access_key_id and secret_access_key, not {}",
            type_name(obj)
        ))
    })?;
    for key in map.keys()?.iter() {
        let known = key
            .extract::<String>()
            .ok()
            .filter(|k| CREDENTIAL_KEYS.contains(&k.as_str()));
        if known.is_none() {
            let shown = key.str().map_or_else(|_| "?".to_owned(), |s| s.to_string());
            return Err(invalid_argument(
                "credentials",
                format!(
                    "unknown key `{}`; the keys are {}",
                    shown.escape_debug(),
                    CREDENTIAL_KEYS.join(", ")
                ),
            ));
        }
    }
    let text = |key: &'static str, required: bool| -> PyResult<Option<String>> {
        let value = if map.contains(key)? {
            Some(map.get_item(key)?)
        } else {
            None
        };
        match value.filter(|v| !v.is_none()) {
            Some(v) => v.extract::<String>().map(Some).map_err(|_| {
                PyTypeError::new_err(format!(
                    "credentials[\"{key}\"] must be a str, not {}",
                    type_name(&v)
                ))
            }),
            None if required => Err(invalid_argument(
                "credentials",
                format!("`{key}` is required"),
            )),
            None => Ok(None),
        }
    };
    let access_key_id = text("access_key_id", true)?.unwrap_or_default();
    let secret_access_key = text("secret_access_key", true)?.unwrap_or_default();
    let session_token = text("session_token", false)?;
    let expires_at = if map.contains("expires_at")? {
        let v = map.get_item("expires_at")?;
        if v.is_none() {
            None
        } else {
            Some(time_arg("credentials[\"expires_at\"]", &v)?)
        }
    } else {
        None
    };
    Ok(Credentials::new(
        access_key_id,
        secret_access_key,
        session_token,
        expires_at,
        "rds-iam-python",
    ))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- Signer -------------------------------------------------------------------------------

/// Produces IAM auth tokens for one database endpoint and user, reusing them while they are good.
#[pyclass(frozen, name = "Signer", module = "rds_iam")]
struct PySigner {
    inner: rds_iam::Signer,
    /// The port the client connects to (the signed port may differ, see `sign_host`).
    port: u16,
    /// The user as given (DSQL tokens name no user, but the driver still logs in as one).
    user: Option<String>,
    credentials: String,
}

#[pymethods]
impl PySigner {
    #[new]
    #[pyo3(signature = (
        host, port=None, user=None, region=None, *, sign_host=None, profile=None,
        credentials=None, role_arn=None, role_session_name=None, external_id=None, kind="rds",
        expires_in=None, reuse_for=None, refresh_margin=None, fetch_timeout=None,
        imds_timeout=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        host: &str,
        port: Option<&Bound<'_, PyAny>>,
        user: Option<String>,
        region: Option<String>,
        sign_host: Option<String>,
        profile: Option<String>,
        credentials: Option<&Bound<'_, PyAny>>,
        role_arn: Option<String>,
        role_session_name: Option<String>,
        external_id: Option<String>,
        kind: &str,
        expires_in: Option<&Bound<'_, PyAny>>,
        reuse_for: Option<&Bound<'_, PyAny>>,
        refresh_margin: Option<&Bound<'_, PyAny>>,
        fetch_timeout: Option<&Bound<'_, PyAny>>,
        imds_timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let port = port_arg(port)?;
        let kind = kind_arg(kind)?;
        let mut b = rds_iam::Signer::builder(host).kind(kind);
        if let Some(p) = port {
            b = b.port(p);
        }
        if let Some(u) = &user {
            b = b.user(u.clone());
        }
        if let Some(r) = region {
            b = b.region(r);
        }
        if let Some(h) = sign_host {
            b = b.sign_host(h);
        }
        let source = match (profile, credentials.filter(|c| !c.is_none())) {
            (Some(_), Some(_)) => {
                return Err(invalid_argument(
                    "credentials",
                    "pass either `profile` or `credentials`, not both",
                ))
            }
            (Some(p), None) => CredentialSource::Profile(p),
            (None, Some(c)) => CredentialSource::Static(credentials_arg(c)?),
            (None, None) => CredentialSource::Default,
        };
        let mut described = source.describe();
        b = b.credentials(source);
        match role_arn {
            Some(role_arn) => {
                described = format!("assume-role {role_arn} (from {described})");
                b = b.assume_role(AssumeRole {
                    role_arn,
                    session_name: role_session_name,
                    external_id,
                });
            }
            None if role_session_name.is_some() || external_id.is_some() => {
                return Err(invalid_argument(
                    "role_arn",
                    "role_session_name and external_id apply to an assumed role; pass role_arn too",
                ))
            }
            None => {}
        }
        if let Some(d) = duration_arg("expires_in", expires_in)? {
            b = b.expires_in(d);
        }
        if let Some(d) = duration_arg("reuse_for", reuse_for)? {
            b = b.reuse_for(d);
        }
        if let Some(d) = duration_arg("refresh_margin", refresh_margin)? {
            b = b.refresh_margin(d);
        }
        let defaults = FetchTimeouts::default();
        b = b.timeouts(FetchTimeouts {
            fetch: duration_arg("fetch_timeout", fetch_timeout)?.unwrap_or(defaults.fetch),
            imds: duration_arg("imds_timeout", imds_timeout)?.unwrap_or(defaults.imds),
        });
        let inner = b.build().map_err(to_py)?;
        // Validated by build(); parsed again only to learn the port the client connects to.
        let port = Endpoint::parse(host, port).map_err(to_py)?.port();
        Ok(PySigner {
            inner,
            port,
            user,
            credentials: described,
        })
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
        static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let event_loop = GET_RUNNING_LOOP
            .import(py, "asyncio", "get_running_loop")?
            .call0()?;
        let future = event_loop.call_method0("create_future")?;
        let handoff = Arc::new(Mutex::new(Handoff::default()));
        let done = {
            let handoff = handoff.clone();
            let event_loop = event_loop.clone().unbind();
            let future = future.clone().unbind();
            move |result: rds_iam::Result<TokenInfo>| {
                let result = result.map(|i| i.token);
                {
                    let mut h = lock(&handoff);
                    if !h.returned {
                        h.early = Some(result);
                        return;
                    }
                }
                Python::attach(move |py| {
                    let (ok, value) = outcome(py, result);
                    if let Ok(resolve) = wrap_pyfunction!(resolve_future, py) {
                        // Fails only when the loop is closed: nobody is waiting any more.
                        let _ = event_loop.call_method1(
                            py,
                            "call_soon_threadsafe",
                            (resolve, future, ok, value),
                        );
                    }
                });
            }
        };
        let inner = &self.inner;
        py.detach(|| inner.token_info_with(done));
        let early = {
            let mut h = lock(&handoff);
            h.returned = true;
            h.early.take()
        };
        if let Some(result) = early {
            let (ok, value) = outcome(py, result);
            resolve_future(&future, ok, value.bind(py))?;
        }
        Ok(future)
    }

    /// The host the client connects to.
    #[getter]
    fn host(&self) -> &str {
        self.inner.host()
    }

    /// The port the client connects to.
    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// The database user (as given; DSQL tokens carry none).
    #[getter]
    fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The signing region.
    #[getter]
    fn region(&self) -> &str {
        self.inner.spec().region()
    }

    /// The host the tokens are signed for (differs from `host` behind a tunnel).
    #[getter]
    fn sign_host(&self) -> &str {
        self.inner.spec().endpoint().host()
    }

    /// The port the tokens are signed for.
    #[getter]
    fn sign_port(&self) -> u16 {
        self.inner.spec().endpoint().port()
    }

    /// `"rds"`, `"dsql_connect"` or `"dsql_admin"`.
    #[getter]
    fn kind(&self) -> &'static str {
        kind_name(self.inner.spec().kind())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let q = |s: &str| -> PyResult<String> { Ok(PyString::new(py, s).repr()?.to_string()) };
        let spec = self.inner.spec();
        let mut s = format!("Signer(host={}, port={}", q(self.inner.host())?, self.port);
        if let Some(u) = &self.user {
            s.push_str(&format!(", user={}", q(u)?));
        }
        s.push_str(&format!(", region={}", q(spec.region())?));
        let signed = spec.endpoint();
        if signed.host() != self.inner.host() || signed.port() != self.port {
            s.push_str(&format!(", sign_host={}", q(&signed.to_string())?));
        }
        s.push_str(&format!(
            ", kind={}, credentials={})",
            q(kind_name(spec.kind()))?,
            q(&self.credentials)?
        ));
        Ok(s)
    }
}

#[derive(Default)]
struct Handoff {
    /// Set once `token_info_with` has returned: results after that go through the event loop.
    returned: bool,
    /// A result delivered before then, on the calling thread.
    early: Option<rds_iam::Result<String>>,
}

fn outcome(py: Python<'_>, result: rds_iam::Result<String>) -> (bool, Py<PyAny>) {
    match result {
        Ok(token) => (
            true,
            token
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |t| t.into_any().unbind()),
        ),
        Err(e) => (false, to_py(e).into_value(py).into_any()),
    }
}

/// Completes an asyncio future unless it was cancelled meanwhile.
#[pyfunction]
fn resolve_future(future: &Bound<'_, PyAny>, ok: bool, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    let method = if ok { "set_result" } else { "set_exception" };
    future.call_method1(method, (value,)).map(drop)
}

// ---- TokenInfo ----------------------------------------------------------------------------

/// A token with its expiry; its repr leaves the token out.
#[pyclass(frozen, name = "TokenInfo", module = "rds_iam")]
struct PyTokenInfo(TokenInfo);

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

// ---- module functions ---------------------------------------------------------------------

/// Signs one token with explicit credentials, at `at` (default: now). No cache, no I/O.
#[pyfunction]
#[pyo3(signature = (host, port=None, user=None, region=None, *, credentials, at=None, kind="rds", expires_in=None))]
#[allow(clippy::too_many_arguments)]
fn sign(
    host: &str,
    port: Option<&Bound<'_, PyAny>>,
    user: Option<&str>,
    region: Option<&str>,
    credentials: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    kind: &str,
    expires_in: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let port = port_arg(port)?;
    let kind = kind_arg(kind)?;
    let endpoint = Endpoint::parse(host, port).map_err(to_py)?;
    let mut spec = TokenSpec::new(kind, endpoint, user, region).map_err(to_py)?;
    if let Some(d) = duration_arg("expires_in", expires_in)? {
        spec = spec.with_expires_in(d).map_err(to_py)?;
    }
    let credentials = credentials_arg(credentials)?;
    let at = match at.filter(|a| !a.is_none()) {
        Some(a) => time_arg("at", a)?,
        None => SystemTime::now(),
    };
    rds_iam::sign(&spec, &credentials, at).map_err(to_py)
}

/// Empties the process-wide token and credential caches.
#[pyfunction]
fn clear_caches(py: Python<'_>) {
    py.detach(rds_iam::clear_caches);
}

/// Process-wide counters: `{"signatures": tokens signed so far}`.
#[pyfunction]
fn stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("signatures", rds_iam::stats().signatures)?;
    Ok(d)
}

/// Runs the `rds-iam` command line with `args` (without the program name); returns the exit
/// status. Output goes to `sys.stdout` / `sys.stderr`.
#[pyfunction]
fn cli_main(py: Python<'_>, args: Vec<String>) -> PyResult<i32> {
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

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Core events go to Python's `logging` under `rds_iam.*`; other crates only from warnings
    // up, and never aws-sigv4 (its debug output has canonical requests with session tokens).
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(log::LevelFilter::Off)
        .filter_target("rds_iam".to_owned(), log::LevelFilter::Trace)
        .filter_target("aws_config".to_owned(), log::LevelFilter::Warn);
    // Fails only if this library's logger is already installed (module initialised twice).
    let _ = logger.install();

    m.add_class::<PySigner>()?;
    m.add_class::<PyTokenInfo>()?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(clear_caches, m)?)?;
    m.add_function(wrap_pyfunction!(stats, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add("__version__", rds_iam::VERSION)?;
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    m.add("ERROR_CODES", PyTuple::new(py, codes)?)?;
    Ok(())
}
