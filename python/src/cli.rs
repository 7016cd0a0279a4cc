//! `cli_main(args)`: the `rds-iam` command line for `python -m rds_iam`.

use pyo3::prelude::*;

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
