//! `Signer(credentials=...)` given the application's own credentials: a boto3 `Session`, a
//! botocore `Credentials` / `RefreshableCredentials` (duck-typed: botocore is never imported),
//! or a callable (sync or async) returning a credentials mapping. Each becomes one more core
//! credential source (`CredentialSource::Custom`), so the core's cache decides when it is asked:
//! only when the cached credentials are missing or near expiry, once for concurrent callers,
//! and a token never outlives the expiry it returned.

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};

use crate::convert;

/// What kind of object the application handed over.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Has `get_credentials()`: a boto3 / botocore Session.
    Session,
    /// Has `get_frozen_credentials()`: botocore's Credentials or RefreshableCredentials.
    Botocore,
    /// A callable returning a credentials mapping (or an awaitable of one).
    Callable,
}

/// The application's credential source, asked from a blocking thread of the core's runtime.
#[derive(Debug)]
struct PyCredentials {
    source: Py<PyAny>,
    kind: Kind,
    /// How errors name it: `boto3 Session`, `botocore credentials`, `credentials callable f`.
    name: String,
}

/// A provider for `obj` when it is one of the kinds above; `None` for anything else (a mapping
/// is explicit credentials, read by `convert::credentials`).
pub(crate) fn provider(obj: &Bound<'_, PyAny>) -> PyResult<Option<SharedCredentialsProvider>> {
    if obj.cast::<PyDict>().is_ok() || obj.cast::<PyMapping>().is_ok() {
        return Ok(None);
    }
    let has = |name: &str| obj.hasattr(name).unwrap_or(false);
    let kind = if has("get_credentials") {
        Kind::Session
    } else if has("get_frozen_credentials") {
        Kind::Botocore
    } else if obj.is_callable() {
        Kind::Callable
    } else {
        return Ok(None);
    };
    let name = match kind {
        Kind::Session => "boto3 Session".to_owned(),
        Kind::Botocore => format!("botocore {}", convert::type_name(obj)),
        Kind::Callable => {
            let f = obj
                .getattr("__qualname__")
                .or_else(|_| obj.getattr("__name__"))
                .map_or_else(|_| convert::type_name(obj), |n| n.to_string());
            format!("credentials callable {f}")
        }
    };
    Ok(Some(SharedCredentialsProvider::new(PyCredentials {
        source: obj.clone().unbind(),
        kind,
        name,
    })))
}

impl ProvideCredentials for PyCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let (source, kind, name) = (
            Python::attach(|py| self.source.clone_ref(py)),
            self.kind,
            self.name.clone(),
        );
        future::ProvideCredentials::new(async move {
            // A Python call may do I/O (an STS call through botocore): off the runtime's worker.
            let fetched = tokio::task::spawn_blocking(move || fetch(&source, kind, &name)).await;
            fetched.unwrap_or_else(|e| {
                Err(CredentialsError::provider_error(format!(
                    "the credential call stopped: {e}"
                )))
            })
        })
    }
}

/// Asks the application's object, with the GIL held; every failure names it.
fn fetch(source: &Py<PyAny>, kind: Kind, name: &str) -> Result<Credentials, CredentialsError> {
    let Some(_attaching) = crate::exit::may_attach() else {
        return Err(CredentialsError::provider_error(format!(
            "{name}: the interpreter is exiting"
        )));
    };
    Python::attach(|py| {
        let obj = source.bind(py);
        let result = match kind {
            Kind::Session => obj.call_method0("get_credentials").and_then(|c| {
                if c.is_none() {
                    Err(pyo3::exceptions::PyLookupError::new_err(
                        "the Session found no credentials (get_credentials() returned None)",
                    ))
                } else {
                    botocore(&c)
                }
            }),
            Kind::Botocore => botocore(obj),
            Kind::Callable => called(obj),
        };
        result.map_err(|e| {
            let kind = e
                .get_type(py)
                .name()
                .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
            let text = e
                .value(py)
                .str()
                .map_or_else(|_| String::new(), |s| s.to_string());
            CredentialsError::provider_error(format!("{name} raised {kind}: {text}"))
        })
    })
}

/// botocore's credentials: the frozen triple (which refreshes them when botocore thinks they
/// are near expiry) and, for refreshable ones, their expiry.
fn botocore(creds: &Bound<'_, PyAny>) -> PyResult<Credentials> {
    let frozen = creds.call_method0("get_frozen_credentials")?;
    let text = |attr: &str| -> PyResult<Option<String>> {
        let v = frozen.getattr(attr)?;
        if v.is_none() {
            Ok(None)
        } else {
            v.extract().map(Some)
        }
    };
    let expiry = match creds.getattr("_expiry_time") {
        Ok(t) if !t.is_none() => Some(convert::time("expiry_time", &t)?),
        _ => None,
    };
    Ok(Credentials::new(
        text("access_key")?.unwrap_or_default(),
        text("secret_key")?.unwrap_or_default(),
        text("token")?,
        expiry,
        "rds-iam-python",
    ))
}

/// A callable's mapping; a coroutine (an `async def`'s result) runs to completion on a new
/// event loop of this thread (`asyncio.run`), never on the application's.
fn called(f: &Bound<'_, PyAny>) -> PyResult<Credentials> {
    let mut value = f.call0()?;
    if value.hasattr("__await__")? {
        value = f.py().import("asyncio")?.call_method1("run", (value,))?;
    }
    convert::credentials(&value)
}
