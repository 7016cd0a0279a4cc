//! The process-wide caches: credentials per credential source, tokens per endpoint and identity.
//!
//! Both maps live in one registry per fork generation (see `fork`): a forked child starts with
//! empty caches instead of locks a parent thread may have held.

pub(crate) mod credentials;
pub(crate) mod tokens;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::fork::ForkLocal;
use crate::sync::lock;
use credentials::{CredentialCache, CredentialKey};
use tokens::{SlotKey, TokenSlot};

/// Every cache shared process-wide, for one fork generation.
pub(crate) struct Registry {
    pub(crate) credentials: Mutex<HashMap<CredentialKey, Arc<CredentialCache>>>,
    pub(crate) tokens: Mutex<HashMap<SlotKey, Arc<TokenSlot>>>,
}

static REGISTRY: ForkLocal<Registry> = ForkLocal::new();

/// Bumped by every [`clear_caches`]: a signer whose handles are from an older epoch looks its
/// caches up again, so that it draws from the same (new) caches as signers made after the call.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// The cache epoch now. Read it *before* looking caches up: handles looked up under an epoch
/// are then never newer than it says, only (harmlessly) looked up once more.
pub(crate) fn epoch() -> u64 {
    EPOCH.load(Ordering::Acquire)
}

/// The registry of the current fork generation, created on first use.
pub(crate) fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| Registry {
        credentials: Mutex::new(HashMap::new()),
        tokens: Mutex::new(HashMap::new()),
    })
}

/// Empties every process-wide cache: cached tokens and cached credentials.
///
/// Use after rotating credentials, or between tests. Every signer, including those made
/// before the call, builds its credential provider again on its next call (so a rewritten
/// `~/.aws/credentials` is read again), fetches credentials and signs again; old and new
/// signers share the new caches.
pub fn clear_caches() {
    let reg = registry();
    let slots: Vec<_> = lock(&reg.tokens).drain().map(|(_, v)| v).collect();
    let caches: Vec<_> = lock(&reg.credentials).drain().map(|(_, v)| v).collect();
    // After the maps are empty: a signer that reads the new epoch finds only new caches.
    EPOCH.fetch_add(1, Ordering::AcqRel);
    // Signers still holding the old ones (until their next call) fetch and sign again too.
    for slot in slots {
        slot.clear();
    }
    for cache in caches {
        cache.clear();
    }
    // Dropped here, outside the map locks.
}
