//! The one mapping from core errors to the exception classes of `rds_iam.errors`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use rds_iam::{Argument, Error, Message, Surface};

/// The exception for a core error: the `rds_iam.errors` class named by its code, with `code`
/// and `provider` set.
pub(crate) fn to_py(err: Error) -> PyErr {
    Python::attach(|py| match exception(py, &err) {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    })
}

fn exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    // rds_iam.errors has one class per core code, named as `ErrorCode::as_str` spells it (a
    // test checks every code has its class).
    let class = err.code().as_str();
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
        .call((err.render(Surface::Python),), Some(&kwargs))
}

/// `InvalidArgument` naming the argument (an option's `Param`, or another argument's name).
pub(crate) fn invalid_argument(argument: impl Into<Argument>, reason: impl Into<Message>) -> PyErr {
    to_py(Error::invalid_argument(argument, reason))
}

/// `InvalidEndpoint`.
pub(crate) fn invalid_endpoint(reason: impl Into<String>) -> PyErr {
    to_py(Error::InvalidEndpoint {
        reason: reason.into(),
    })
}
