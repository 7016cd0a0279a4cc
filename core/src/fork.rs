//! Fork generations, and a holder that keeps one value per generation.
//!
//! A forked child inherits the parent's memory but none of its threads: a tokio runtime's
//! workers are gone and any lock a parent thread held stays locked forever. A `pthread_atfork`
//! child handler bumps the process's fork generation; a [`ForkLocal`] sees the new generation
//! and builds a fresh value for the child. The parent's value is leaked in the child (dropping
//! it would try to join threads that do not exist there).
//!
//! What the leak keeps open in every child: the parent runtime's epoll and wake-up descriptors,
//! and any connection the parent's credential providers pooled (IMDS, ECS, STS, SSO clients
//! keep idle HTTP connections for a few seconds). They cannot be closed safely from the child:
//! the objects owning them may be mid-operation on a parent thread that no longer exists, and
//! their descriptor numbers are not known outside them. The child never reads from or writes
//! to them (it builds its own runtime and clients); they close when the child exits, and
//! closing them in the child would not affect the parent's copies either way.
//!
//! Windows has no `fork()`: a new process starts empty, so the generation stays 0 there and
//! [`ForkLocal`] holds one value for the life of the process.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
#[cfg(unix)]
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
#[cfg(unix)]
static ATFORK: Once = Once::new();

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    // Only an atomic add: async-signal-safe, as a child-side atfork handler must be.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Registers the fork handler now rather than on first use.
///
/// Bindings call it when their module loads: a `fork()` between loading the library and its
/// first token is then seen as well. Calling it again does nothing.
pub fn init() {
    register_atfork();
}

/// The fork generation the process is in now (0 until the first `fork()` after [`init`] or
/// first use).
pub(crate) fn generation() -> u64 {
    register_atfork();
    GENERATION.load(Ordering::Acquire)
}

#[cfg(unix)]
fn register_atfork() {
    ATFORK.call_once(|| {
        // SAFETY: registers a plain extern "C" fn; failure only means fork safety is off.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// No `fork()` to watch for (Windows): nothing to register.
#[cfg(not(unix))]
fn register_atfork() {}

/// One value of `T` per fork generation, built on first use in each generation and never freed.
pub(crate) struct ForkLocal<T: 'static> {
    current: AtomicPtr<Generational<T>>,
}

struct Generational<T> {
    generation: u64,
    value: T,
}

impl<T: Send + Sync + 'static> ForkLocal<T> {
    /// An empty holder, for a `static`.
    pub(crate) const fn new() -> Self {
        ForkLocal {
            current: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The value of the current generation, built by `init` if this generation has none yet.
    /// Two threads may both build one; only the first installed is kept and handed out.
    pub(crate) fn get_or_init(&'static self, init: impl Fn() -> T) -> &'static T {
        loop {
            let generation = generation();
            let current = self.current.load(Ordering::Acquire);
            // SAFETY: installed values are leaked, never freed, so a non-null pointer stays valid.
            if let Some(held) = unsafe { current.as_ref() } {
                if held.generation == generation {
                    return &held.value;
                }
            }
            let fresh = Box::into_raw(Box::new(Generational {
                generation,
                value: init(),
            }));
            if self
                .current
                .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                // Another thread installed one first; ours was never shared.
                // SAFETY: `fresh` came from Box::into_raw above and nobody else saw it.
                drop(unsafe { Box::from_raw(fresh) });
            }
        }
    }
}
