//! `Signer.token_async()`, `token_info_async()` and `dsn_async()`: asyncio futures completed by
//! the core's callback.
//!
//! The core calls back on the calling thread when a token is at hand (the future is then done
//! before it is returned), or later on its runtime thread after a credential fetch (the result
//! then goes through `loop.call_soon_threadsafe`).
//!
//! The Python handles (loop, future) are dropped with the GIL held: on the calling thread
//! after `detach`, or inside `Python::attach` on the runtime thread — never where dropping
//! them would queue a reference count change for later. Once the interpreter exits (see
//! `exit`), a late result is dropped without attaching and the handles are leaked.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use rds_iam::sync::lock;
use rds_iam::TokenInfo;

use crate::errors::to_py;

/// A value the future completes with, made from the token info off the GIL.
pub(crate) trait Outcome: Send + 'static {
    /// The Python object.
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>>;
}

impl Outcome for String {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.into_pyobject(py)?.into_any().unbind())
    }
}

/// A future of the running event loop that the core's callback completes with
/// `map(token info)`.
pub(crate) fn info_future<'py, T, F>(
    py: Python<'py>,
    signer: &rds_iam::Signer,
    map: F,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Outcome,
    F: FnOnce(TokenInfo) -> T + Send + 'static,
{
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let event_loop = GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()?;
    let future = event_loop.call_method0("create_future")?;
    let handoff = Arc::new(Mutex::new(Handoff::<T> {
        returned: false,
        early: None,
    }));
    // One copy stays here until the GIL is held again: the callback's copy is then never the
    // last one when it is dropped inside `detach`.
    let target = Arc::new(Target {
        event_loop: event_loop.clone().unbind(),
        future: future.clone().unbind(),
    });
    let done = {
        let handoff = handoff.clone();
        let target = target.clone();
        move |result: rds_iam::Result<TokenInfo>| {
            let result = result.map(map);
            {
                let mut h = lock(&handoff);
                if !h.returned {
                    h.early = Some(result);
                    return;
                }
            }
            let Some(_attaching) = crate::exit::may_attach() else {
                // Nobody will await it; attaching now could hang the exit.
                std::mem::forget(target);
                return;
            };
            Python::attach(move |py| {
                let (ok, value) = outcome(py, result);
                if let Ok(resolve) = wrap_pyfunction!(resolve_future, py) {
                    // Fails only when the loop is closed: nobody is waiting any more.
                    let _ = target.event_loop.call_method1(
                        py,
                        "call_soon_threadsafe",
                        (resolve, target.future.clone_ref(py), ok, value),
                    );
                }
                drop(target);
            });
        }
    };
    py.detach(|| signer.token_info_with(done));
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

/// Where a late result goes.
struct Target {
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
}

struct Handoff<T> {
    /// Set once `token_info_with` has returned: results after that go through the event loop.
    returned: bool,
    /// A result delivered before then, on the calling thread.
    early: Option<rds_iam::Result<T>>,
}

/// The value, or the exception to raise.
fn outcome<T: Outcome>(py: Python<'_>, result: rds_iam::Result<T>) -> (bool, Py<PyAny>) {
    match result.map(|v| v.into_py(py)) {
        Ok(Ok(value)) => (true, value),
        Ok(Err(e)) => (false, e.into_value(py).into_any()),
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
