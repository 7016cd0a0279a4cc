//! Process-wide state (runtime, caches) that survives `fork()`.
//!
//! A forked child inherits the parent's memory but none of its threads: the tokio runtime's
//! workers are gone and any lock a parent thread held stays locked forever. So every piece of
//! shared state lives in a [`Registry`] tagged with a fork generation; a `pthread_atfork` child
//! handler bumps the generation and the child lazily builds a fresh registry. The parent's
//! registry is leaked in the child (dropping it would try to join threads that do not exist).

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock};

use crate::cache::credentials::{CredentialCache, CredentialKey};
use crate::cache::tokens::{SlotKey, TokenSlot};
use crate::error::{Error, Result};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static CURRENT: AtomicPtr<Registry> = AtomicPtr::new(std::ptr::null_mut());
static ATFORK: Once = Once::new();

extern "C" fn after_fork_in_child() {
    // Only an atomic add: async-signal-safe, as a child-side atfork handler must be.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Everything shared process-wide, valid for one fork generation.
pub(crate) struct Registry {
    pub(crate) generation: u64,
    runtime: OnceLock<std::result::Result<tokio::runtime::Runtime, String>>,
    pub(crate) credentials: Mutex<HashMap<CredentialKey, Arc<CredentialCache>>>,
    pub(crate) tokens: Mutex<HashMap<SlotKey, Arc<TokenSlot>>>,
}

/// The fork generation the process is in now.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// The registry of the current fork generation, created on first use.
pub(crate) fn registry() -> &'static Registry {
    ATFORK.call_once(|| {
        // SAFETY: registers a plain extern "C" fn; failure only means fork safety is off.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
    loop {
        let generation = generation();
        let current = CURRENT.load(Ordering::Acquire);
        // SAFETY: registries are leaked, never freed, so any non-null pointer stays valid.
        if let Some(reg) = unsafe { current.as_ref() } {
            if reg.generation == generation {
                return reg;
            }
        }
        let fresh = Box::into_raw(Box::new(Registry {
            generation,
            runtime: OnceLock::new(),
            credentials: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }));
        if CURRENT
            .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Another thread installed one first; ours was never shared.
            // SAFETY: `fresh` came from Box::into_raw above and nobody else saw it.
            drop(unsafe { Box::from_raw(fresh) });
        }
    }
}

impl Registry {
    /// The runtime that runs credential fetches and background refreshes.
    pub(crate) fn runtime(&self) -> Result<&tokio::runtime::Runtime> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("rds-iam")
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::ProviderError {
                provider: "rds-iam runtime".into(),
                detail: format!("could not start the background runtime: {e}"),
            })
    }
}

/// Locks a mutex, recovering from poisoning: the guarded maps hold no invariants a panic breaks.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Empties every process-wide cache: cached tokens and cached credentials.
///
/// Use after rotating credentials, or between tests. Signers keep working; their next call
/// fetches credentials and signs again.
pub fn clear_caches() {
    let reg = registry();
    for slot in lock(&reg.tokens).drain().map(|(_, v)| v) {
        slot.clear();
    }
    for cache in lock(&reg.credentials).drain().map(|(_, v)| v) {
        cache.clear();
    }
}
