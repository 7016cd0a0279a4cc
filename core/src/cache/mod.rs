//! The process-wide caches: credentials per credential source, tokens per endpoint and identity.
//!
//! Both maps live in one registry per fork generation (see `fork`): a forked child starts with
//! empty caches instead of locks a parent thread may have held.

pub(crate) mod credentials;
pub(crate) mod tokens;

use std::collections::HashMap;
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

/// The registry of the current fork generation, created on first use.
pub(crate) fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| Registry {
        credentials: Mutex::new(HashMap::new()),
        tokens: Mutex::new(HashMap::new()),
    })
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
