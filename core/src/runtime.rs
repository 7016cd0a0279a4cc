//! The tokio runtime that runs credential fetches and background refreshes: one per fork
//! generation (see `fork`), started on first use.

use std::sync::{Mutex, OnceLock};

use crate::error::{Error, Result};
use crate::fork::ForkLocal;
use crate::sync::lock;

/// A runtime once one was built; a failed build (e.g. EMFILE) is not kept, so a later call
/// tries again.
struct RuntimeCell {
    built: OnceLock<tokio::runtime::Runtime>,
    /// Held while building, so that concurrent first callers start one runtime, not several.
    building: Mutex<()>,
}

static RUNTIME: ForkLocal<RuntimeCell> = ForkLocal::new();

/// The library's runtime, started on first use in this process (or fork child).
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    let cell = RUNTIME.get_or_init(|| RuntimeCell {
        built: OnceLock::new(),
        building: Mutex::new(()),
    });
    get_or_build(&cell.built, &cell.building, || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rds-iam")
            .enable_all()
            .build()
    })
    .map_err(|e| Error::ProviderError {
        provider: "rds-iam runtime".into(),
        detail: format!("could not start the background runtime: {e}"),
    })
}

/// The value in `built`, or a new one from `build` if it succeeds.
fn get_or_build<'a, T>(
    built: &'a OnceLock<T>,
    building: &Mutex<()>,
    build: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<&'a T> {
    if let Some(value) = built.get() {
        return Ok(value);
    }
    let _turn = lock(building);
    if let Some(value) = built.get() {
        return Ok(value);
    }
    let value = build()?;
    Ok(built.get_or_init(|| value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_build_is_not_kept() {
        let built = OnceLock::new();
        let building = Mutex::new(());
        let failed = get_or_build(&built, &building, || {
            Err(std::io::Error::from_raw_os_error(libc::EMFILE))
        });
        assert_eq!(failed.unwrap_err().raw_os_error(), Some(libc::EMFILE));
        assert_eq!(get_or_build(&built, &building, || Ok(7)).unwrap(), &7);
        // Once built, the value stays: a later builder is not called.
        assert_eq!(
            get_or_build(&built, &building, || -> std::io::Result<i32> {
                unreachable!("already built")
            })
            .unwrap(),
            &7
        );
    }

    #[test]
    fn the_runtime_runs_tasks() {
        let rt = runtime().unwrap();
        assert_eq!(rt.block_on(async { 2 + 2 }), 4);
        assert!(
            std::ptr::eq(rt, runtime().unwrap()),
            "one runtime per process"
        );
    }
}
