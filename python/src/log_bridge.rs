//! Core log records → Python's `logging`, without importing `logging` when `rds_iam` is imported.
//!
//! The core logs through `log` (the AWS crates' `tracing` events never reach it: tracing's
//! `log` feature is off); this is the process's `log::Log`. A record reaches the `logging.Logger` named after its target
//! (`rds_iam::cache::credentials` → `rds_iam.cache.credentials`) when:
//! - its target passes the static filter: `rds_iam…` at every level, `aws_config…` from WARN up,
//!   nothing else (defence in depth: aws-sigv4's TRACE output has canonical requests with
//!   session tokens);
//! - `logging` is already imported (any application that configured logging has imported it),
//!   or the record is a WARNING or worse: then `logging` is imported here, so an application that
//!   never configured logging still sees it on stderr through logging's last-resort handler;
//! - the logger `isEnabledFor` its level (logging caches that answer per logger, and clears the
//!   cache whenever the configuration changes).
//!
//! Nothing is formatted and the GIL is not taken for records the static filter drops.

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};

/// Installs the bridge as the process's `log` logger (once; later calls do nothing).
pub(crate) fn install() {
    static BRIDGE: Bridge = Bridge;
    if log::set_logger(&BRIDGE).is_ok() {
        log::set_max_level(LevelFilter::Trace);
    }
}

struct Bridge;

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        passes(metadata.target(), metadata.level())
    }

    fn log(&self, record: &Record<'_>) {
        // Not once the interpreter exits (the runtime thread may still log then): see `exit`.
        if !self.enabled(record.metadata()) {
            return;
        }
        let Some(_attaching) = crate::exit::may_attach() else {
            return;
        };
        Python::try_attach(|py| {
            // A record may be logged while a Python exception is being raised: keep it.
            let pending = PyErr::take(py);
            // A failing handler is logging's own business (Handler.handleError); anything else
            // (logging half imported on another thread) only loses this record.
            let _ = forward(py, record);
            if let Some(e) = pending {
                e.restore(py);
            }
        });
    }

    fn flush(&self) {}
}

/// The static filter: which targets may reach Python at all, and from which level.
fn passes(target: &str, level: Level) -> bool {
    if under(target, "rds_iam") {
        true
    } else if under(target, "aws_config") {
        level <= Level::Warn
    } else {
        false
    }
}

/// `target` is `module` or one of its submodules.
fn under(target: &str, module: &str) -> bool {
    target
        .strip_prefix(module)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// The `logging` level number of a `log` level (TRACE is 5, below DEBUG).
fn py_level(level: Level) -> u8 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
        Level::Trace => 5,
    }
}

fn forward(py: Python<'_>, record: &Record<'_>) -> PyResult<()> {
    let logging = match imported(py, "logging")? {
        Some(logging) => logging,
        None if record.level() <= Level::Warn => py.import("logging")?.into_any(),
        None => return Ok(()),
    };
    let level = py_level(record.level());
    let logger = logger(py, &logging, record.target())?;
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let made = logger.call_method1(
        "makeRecord",
        (
            logger.getattr("name")?,
            level,
            record.file(),
            record.line().unwrap_or_default(),
            record.args().to_string(),
            PyTuple::empty(py),
            py.None(),
            py.None(),
        ),
    )?;
    logger.call_method1("handle", (made,)).map(drop)
}

/// `sys.modules[name]` if that module is imported, without importing it.
fn imported<'py>(py: Python<'py>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    static SYS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let sys = SYS.get_or_try_init(py, || py.import("sys").map(Bound::unbind))?;
    let modules = sys.bind(py).getattr("modules")?;
    match modules.cast::<PyDict>() {
        Ok(modules) => modules.get_item(name),
        Err(_) => Ok(None),
    }
}

/// The logger for a `log` target (`a::b` → `a.b`), looked up once per target.
fn logger<'py>(
    py: Python<'py>,
    logging: &Bound<'py, PyAny>,
    target: &str,
) -> PyResult<Bound<'py, PyAny>> {
    static LOGGERS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let loggers = LOGGERS
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py);
    if let Some(logger) = loggers.get_item(target)? {
        return Ok(logger);
    }
    let logger = logging.call_method1("getLogger", (target.replace("::", "."),))?;
    loggers.set_item(target, &logger)?;
    Ok(logger)
}
