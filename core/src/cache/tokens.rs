//! Token reuse: one slot per (token spec, credential source), shared by every signer in the
//! process, holding the last token and the identity that signed it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::credentials::CredentialKey;
use super::registry;
use crate::sign::{sign, TokenSpec};
use crate::sync::lock;
use crate::Result;

/// Most token slots kept; past this, slots no signer holds any more are dropped first.
const MAX_SLOTS: usize = 4096;

/// How far ahead of a caller's `now` a cached token's signing time may be and still be served
/// (X-Amz-Date has one-second resolution; a real backward clock step is larger).
const SAME_MOMENT: Duration = Duration::from_secs(5);

/// When a cached token may be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReusePolicy {
    /// Serve a token only while more than this much of its life is left (default 5 min).
    pub refresh_margin: Duration,
    /// Never serve a token older than this (`None`: only the margin limits reuse;
    /// `Some(ZERO)`: sign for every call).
    pub reuse_for: Option<Duration>,
}

impl Default for ReusePolicy {
    fn default() -> Self {
        ReusePolicy {
            refresh_margin: Duration::from_secs(300),
            reuse_for: None,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SlotKey {
    pub(crate) spec: TokenSpec,
    pub(crate) credentials: CredentialKey,
}

/// A token as handed out: cheap to copy out of the slot (no credentials attached).
pub(crate) struct IssuedToken {
    pub(crate) token: Arc<str>,
    pub(crate) signed_at: SystemTime,
    pub(crate) usable_until: SystemTime,
    /// True when an earlier call signed it and this one reuses it.
    pub(crate) from_cache: bool,
}

/// A signed token and what it was signed with.
struct CachedToken {
    token: Arc<str>,
    signed_at: SystemTime,
    usable_until: SystemTime,
    signed_with: Credentials,
}

impl CachedToken {
    fn servable(&self, creds: &Credentials, now: SystemTime, policy: &ReusePolicy) -> bool {
        let same_identity = self.signed_with.access_key_id() == creds.access_key_id()
            && self.signed_with.session_token() == creds.session_token();
        let young_enough = policy.reuse_for.is_none_or(|limit| {
            self.signed_at
                .checked_add(limit)
                .is_none_or(|end| now < end)
        });
        let margin_left = now
            .checked_add(policy.refresh_margin)
            .is_some_and(|t| t < self.usable_until);
        // Signed "in the future" after the wall clock stepped back: the database would reject
        // its X-Amz-Date (issue 19, item 8). Within SAME_MOMENT it is a race, not a step:
        // callers read the clock before they wait for the slot, so one that read it just before
        // another caller signed sees that token a little ahead of its `now`.
        let not_from_the_future = now
            .checked_add(SAME_MOMENT)
            .is_none_or(|latest| self.signed_at <= latest);
        same_identity && young_enough && margin_left && not_from_the_future
    }

    fn issue(&self, from_cache: bool) -> IssuedToken {
        IssuedToken {
            token: self.token.clone(),
            signed_at: self.signed_at,
            usable_until: self.usable_until,
            from_cache,
        }
    }
}

/// The process-wide slot for one token spec and credential source.
pub(crate) struct TokenSlot {
    spec: TokenSpec,
    last: Mutex<Option<CachedToken>>,
}

impl TokenSlot {
    /// The shared slot for `key`, created on first use.
    pub(crate) fn shared(key: SlotKey) -> Arc<Self> {
        let reg = registry();
        let mut slots = lock(&reg.tokens);
        if let Some(found) = slots.get(&key) {
            return found.clone();
        }
        if slots.len() >= MAX_SLOTS {
            // Bounded memory: forget slots no signer holds; if all are held, start over.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
            if slots.len() >= MAX_SLOTS {
                slots.clear();
            }
        }
        let slot = Arc::new(TokenSlot {
            spec: key.spec.clone(),
            last: Mutex::new(None),
        });
        slots.insert(key, slot.clone());
        slot
    }

    /// A token for `creds` at `now`: the cached one if the policy allows, else a new signature.
    pub(crate) fn token(
        &self,
        creds: &Credentials,
        now: SystemTime,
        policy: &ReusePolicy,
    ) -> Result<IssuedToken> {
        // Signing happens under the lock so that concurrent callers produce one signature.
        let mut last = lock(&self.last);
        if let Some(t) = last.as_ref().filter(|t| t.servable(creds, now, policy)) {
            return Ok(t.issue(true));
        }
        let token: Arc<str> = sign(&self.spec, creds, now)?.into();
        let fresh = CachedToken {
            token,
            signed_at: now,
            usable_until: self.spec.usable_until(creds, now),
            signed_with: creds.clone(),
        };
        let issued = fresh.issue(false);
        *last = Some(fresh);
        Ok(issued)
    }

    pub(crate) fn clear(&self) {
        *lock(&self.last) = None;
    }
}
