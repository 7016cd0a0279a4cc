//! Locking shared by the core and the bindings.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering it if a thread panicked while holding it.
///
/// For data that a panic cannot leave half-updated (maps of shared caches, a handoff slot):
/// there a poisoned lock carries no information, and failing every later caller (or panicking
/// across an FFI boundary) would be worse than going on.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
