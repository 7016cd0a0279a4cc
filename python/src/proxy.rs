//! `Proxy`: the core's in-process IAM auth proxy ([`rds_iam::proxy::ProxyHandle::start_local`]).
//!
//! Only conversions here: the keyword arguments → [`LocalProxyOptions`], the handle's address →
//! `url` / `host` / `port`, and core errors → `rds_iam.errors`. Starting and closing run with
//! the GIL released: the proxy's threads log through `log_bridge`, which attaches to Python.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use rds_iam::proxy::{ClientTls, Engine, ListenAddress, LocalProxyOptions, ProxyHandle};
use rds_iam::sync::lock;

use crate::convert::type_name;
use crate::errors::{invalid_argument, to_py};
use crate::signer::PySigner;

/// A local proxy for the signer's database (PostgreSQL, or MySQL / MariaDB): clients connect
/// to ``url`` with no password and the proxy logs in upstream with an IAM token (verify-full
/// TLS against the signer's ``sign_host``), then relays the session.
#[pyclass(frozen, name = "Proxy", module = "rds_iam")]
pub(crate) struct PyProxy {
    /// `None` once closed.
    handle: Mutex<Option<ProxyHandle>>,
    /// Held for the whole of a `close()`, so that a second one returns when the first is done.
    closing: Mutex<()>,
    url: String,
    host: String,
    port: u16,
    /// `host:port` of the database, for the repr.
    upstream: String,
}

#[pymethods]
impl PyProxy {
    #[new]
    #[pyo3(signature = (
        signer, *, database=None, users=None, listen=None, ca=None, client_tls=None,
        client_tls_required=false, max_connections=0, engine=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        signer: PyRef<'_, PySigner>,
        database: Option<String>,
        users: Option<&Bound<'_, PyAny>>,
        listen: Option<&Bound<'_, PyAny>>,
        ca: Option<PathBuf>,
        client_tls: Option<&Bound<'_, PyAny>>,
        client_tls_required: bool,
        max_connections: i64,
        engine: Option<String>,
    ) -> PyResult<Self> {
        let options = LocalProxyOptions {
            listen: listen_address(listen)?,
            users: user_list(users)?,
            database,
            ca,
            client_tls: client_tls_files(client_tls)?,
            client_tls_required,
            max_connections: usize::try_from(max_connections).map_err(|_| {
                invalid_argument(
                    "max_connections",
                    format!("{max_connections} is not a count of sessions (0: no limit)"),
                )
            })?,
            engine: engine.as_deref().map(engine_name).transpose()?,
        };
        let core = signer.core();
        let upstream = format!("{}:{}", core.host(), core.port());
        // Detached: binding and the TLS files are I/O, and the proxy's threads may log.
        let handle = py
            .detach(|| ProxyHandle::start_local(core, options))
            .map_err(to_py)?;
        let (host, port) = match handle.addresses().first() {
            Some(ListenAddress::Tcp(a)) => (a.ip().to_string(), a.port()),
            Some(ListenAddress::Unix(p)) => (p.display().to_string(), 0),
            None => (String::new(), 0),
        };
        Ok(PyProxy {
            url: handle.url(),
            handle: Mutex::new(Some(handle)),
            closing: Mutex::new(()),
            host,
            port,
            upstream,
        })
    }

    /// ``postgresql://<user>@127.0.0.1:<port>/<database>?sslmode=disable`` (``mysql://…`` for
    /// MySQL): connect here with no password.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The address the proxy listens on (``"127.0.0.1"`` unless ``listen`` said otherwise).
    #[getter]
    fn host(&self) -> &str {
        &self.host
    }

    /// The port the proxy listens on.
    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// Client sessions open now (0 once ``close()`` has begun).
    #[getter]
    fn open_sessions(&self) -> usize {
        lock(&self.handle)
            .as_ref()
            .map_or(0, ProxyHandle::open_sessions)
    }

    /// True once ``close()`` has begun.
    #[getter]
    fn closed(&self) -> bool {
        lock(&self.handle).is_none()
    }

    /// Stops accepting clients, lets open sessions finish for up to 5 s, then closes the rest.
    /// Returns when the port is closed; the GIL is released meanwhile. Closing again does
    /// nothing.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let _closing = lock(&self.closing);
            let handle = lock(&self.handle).take();
            if let Some(h) = handle {
                h.close();
            }
        });
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the proxy (exceptions go on).
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        exc_value: &Bound<'_, PyAny>,
        traceback: &Bound<'_, PyAny>,
    ) {
        let _ = (exc_type, exc_value, traceback);
        self.close(py);
    }

    /// An awaitable `close()`: the drain (up to 5 s) runs on a worker thread
    /// (`asyncio.to_thread`), so the event loop keeps running meanwhile.
    fn aclose<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        py.import("asyncio")?
            .getattr("to_thread")?
            .call1((slf.getattr("close")?,))
    }

    /// `async with rds_iam.Proxy(signer) as p:` (the proxy is already listening).
    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let future = py
            .import("asyncio")?
            .call_method0("get_running_loop")?
            .call_method0("create_future")?;
        future.call_method1("set_result", (slf,))?;
        Ok(future)
    }

    /// Closes the proxy without blocking the event loop (see `aclose()`); exceptions go on.
    fn __aexit__<'py>(
        slf: &Bound<'py, Self>,
        exc_type: &Bound<'py, PyAny>,
        exc_value: &Bound<'py, PyAny>,
        traceback: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = (exc_type, exc_value, traceback);
        Self::aclose(slf)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let q = |s: &str| -> PyResult<String> { Ok(PyString::new(py, s).repr()?.to_string()) };
        let state = if self.closed() {
            "closed".to_owned()
        } else {
            format!("open_sessions={}", self.open_sessions())
        };
        Ok(format!(
            "Proxy(url={}, upstream={}, {state})",
            q(&self.url)?,
            q(&self.upstream)?
        ))
    }
}

impl Drop for PyProxy {
    /// A proxy dropped unclosed is closed on a thread of its own: a drain may take seconds, and
    /// a drop must not hold the interpreter (or its exit) for them.
    fn drop(&mut self) {
        if let Some(h) = lock(&self.handle).take() {
            h.close_in_background();
        }
    }
}

/// `listen`: `"127.0.0.1:5433"`, `"[::1]:0"` (an IP address and a port; 0 picks a free one).
fn listen_address(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<SocketAddr>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if !obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "listen must be a str like \"127.0.0.1:5433\", not {}",
            type_name(obj)
        )));
    }
    let s: String = obj.extract()?;
    s.parse().map(Some).map_err(|_| {
        invalid_argument(
            "listen",
            format!("`{s}` is not an IP address and port (127.0.0.1:5433, [::1]:0)"),
        )
    })
}

/// `engine`: `"postgresql"` (`"postgres"`) or `"mysql"` (`"mariadb"`), named as the core reads them.
fn engine_name(name: &str) -> PyResult<Engine> {
    Engine::from_name(name).ok_or_else(|| {
        invalid_argument(
            "engine",
            format!("`{name}` is not an engine; use \"postgresql\" or \"mysql\""),
        )
    })
}

/// `users`: a list (or any sequence) of names, never one `str`.
fn user_list(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "users must be a list of user names, not a str (users=[\"app\"])",
        ));
    }
    obj.extract().map(Some).map_err(|_| {
        PyTypeError::new_err(format!(
            "users must be a list of str, not {}",
            type_name(obj)
        ))
    })
}

/// `client_tls`: `"auto"` or a `(cert_path, key_path)` tuple.
fn client_tls_files(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ClientTls>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyString>() {
        let s: String = obj.extract()?;
        return match s.as_str() {
            "auto" => Ok(Some(ClientTls::Auto)),
            _ => Err(invalid_argument(
                "client_tls",
                format!("`{s}` is not `auto`; pass \"auto\" or a (cert_path, key_path) tuple"),
            )),
        };
    }
    if let Ok(pair) = obj.cast::<PyTuple>() {
        if let Ok((cert, key)) = pair.extract::<(PathBuf, PathBuf)>() {
            return Ok(Some(ClientTls::Files { cert, key }));
        }
    }
    Err(PyTypeError::new_err(format!(
        "client_tls must be \"auto\" or a (cert_path, key_path) tuple, not {}",
        type_name(obj)
    )))
}
