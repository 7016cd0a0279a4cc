//! One credential cache per credential source: refresh ahead of expiry, single-flight fetches,
//! and serving what is still valid while a refresh fails.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

use super::registry;
use crate::clock::SharedClock;
use crate::credentials::{
    build_provider, map_provider_error, AssumeRole, CredentialSource, FetchTimeouts,
};
use crate::error::{Error, Result};
use crate::runtime::runtime;
use crate::sync::lock;

/// Credentials are treated as gone this long before they expire, so a token signed with them
/// still works when the database checks it a moment later.
const EXPIRY_BUFFER: Duration = Duration::from_secs(10);
/// Credential fetches that returned credentials, process-wide (`crate::stats`).
pub(crate) static FETCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// After a failed fetch, the provider is not called again for a back-off window: waiting callers
/// get the last error and no background refresh starts. The window doubles with each failure in
/// a row from this first one, up to [`MAX_BACKOFF`], and is jittered down to half (see
/// [`backoff`]).
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest back-off window (the AWS SDKs' standard retry caps its back-off at 20 s).
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Most credential caches kept, as many as token slots: past this, caches no signer holds any
/// more are dropped first.
pub(crate) const MAX_CACHES: usize = 4096;

/// A hashable, secret-free identity of a credential source, for the process-wide cache key.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) enum SourceKey {
    Default,
    Profile(String),
    /// Access key id plus a hash of everything, so rotated secrets get their own entry.
    Static(String, u64),
    Custom(usize),
}

impl SourceKey {
    pub(crate) fn of(source: &CredentialSource) -> Self {
        match source {
            CredentialSource::Default => SourceKey::Default,
            CredentialSource::Profile(p) => SourceKey::Profile(p.clone()),
            CredentialSource::Static(c) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (c.access_key_id(), c.secret_access_key(), c.session_token()).hash(&mut h);
                c.expiry().hash(&mut h);
                SourceKey::Static(c.access_key_id().to_owned(), h.finish())
            }
            CredentialSource::Custom(p) => SourceKey::Custom(provider_id(p)),
        }
    }
}

fn provider_id(p: &SharedCredentialsProvider) -> usize {
    // SharedCredentialsProvider is an Arc inside; its address identifies the provider.
    let inner: &dyn ProvideCredentials = p.as_ref();
    inner as *const dyn ProvideCredentials as *const () as usize
}

/// Everything that makes two credential caches different.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct CredentialKey {
    pub(crate) source: SourceKey,
    pub(crate) role: Option<AssumeRole>,
    pub(crate) region: String,
    pub(crate) timeouts: FetchTimeouts,
    pub(crate) refresh_ahead: Duration,
    pub(crate) clock: usize,
}

/// How the cached credentials stand at a given moment.
enum Lookup {
    /// Good for longer than the refresh-ahead window.
    Fresh(Credentials),
    /// Still usable, but a refresh is due.
    Stale(Credentials),
    /// Nothing usable.
    Missing,
}

struct State {
    current: Option<Credentials>,
    /// Failed fetches in a row (a provider handing back what it had counts as failed).
    failures: u32,
    /// Until then the provider is not called again. On the monotonic clock: a wall clock
    /// stepped back must not stretch the window (issue 19, item 8).
    retry_at: Option<Instant>,
    /// Fetches finished so far, and the error of the last one if it failed: callers that
    /// queued behind a failing fetch take its error instead of fetching again one by one.
    attempts: u64,
    last_error: Option<Error>,
}

/// A cached credential source, shared process-wide by every signer that uses the same source.
pub(crate) struct CredentialCache {
    key: CredentialKey,
    source: CredentialSource,
    name: String,
    clock: SharedClock,
    /// Built on first fetch: building the default chain reads files and is async.
    provider: tokio::sync::OnceCell<SharedCredentialsProvider>,
    /// For assume-role: the cache of the base credentials the role is assumed with.
    base: Option<Arc<CredentialCache>>,
    state: Mutex<State>,
    /// Held for the duration of a fetch: concurrent callers queue here and then find the result.
    fetch_lock: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
}

impl CredentialCache {
    /// The process-wide cache for `key`, created on first use.
    pub(crate) fn shared(
        key: CredentialKey,
        source: &CredentialSource,
        clock: SharedClock,
    ) -> Arc<Self> {
        let reg = registry();
        if let Some(found) = lock(&reg.credentials).get(&key) {
            return found.clone();
        }
        let base = key.role.as_ref().map(|_| {
            let base_key = CredentialKey {
                role: None,
                ..key.clone()
            };
            CredentialCache::shared(base_key, source, clock.clone())
        });
        let name = match &key.role {
            Some(r) => format!("assume-role {} (from {})", r.role_arn, source.describe()),
            None => source.describe(),
        };
        let fresh = Arc::new(CredentialCache {
            key: key.clone(),
            source: source.clone(),
            name,
            clock,
            provider: tokio::sync::OnceCell::new(),
            base,
            state: Mutex::new(State {
                current: None,
                failures: 0,
                retry_at: None,
                attempts: 0,
                last_error: None,
            }),
            fetch_lock: tokio::sync::Mutex::new(()),
            refreshing: AtomicBool::new(false),
        });
        let mut caches = lock(&reg.credentials);
        if caches.len() >= MAX_CACHES && !caches.contains_key(&key) {
            // Bounded memory, secrets included: forget caches no signer holds (an assume-role
            // cache holds its base, which goes on a later pass); if all are held, start over.
            caches.retain(|_, cache| Arc::strong_count(cache) > 1);
            if caches.len() >= MAX_CACHES {
                caches.clear();
            }
        }
        caches.entry(key).or_insert(fresh).clone()
    }

    fn is_default_chain(&self) -> bool {
        self.key.role.is_none() && matches!(self.source, CredentialSource::Default)
    }

    /// The provider's human-readable name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Drops the cached credentials (the next call fetches).
    pub(crate) fn clear(&self) {
        lock(&self.state).current = None;
    }

    fn lookup(&self, now: SystemTime) -> Lookup {
        let state = lock(&self.state);
        let Some(creds) = &state.current else {
            return Lookup::Missing;
        };
        // A refresh-ahead shorter than the expiry buffer would serve credentials with seconds
        // left as fresh (issue 19, item 7): the larger of the two applies.
        let ahead = self.key.refresh_ahead.max(EXPIRY_BUFFER);
        match creds.expiry() {
            None => Lookup::Fresh(creds.clone()),
            Some(exp) if Some(exp) > now.checked_add(ahead) => Lookup::Fresh(creds.clone()),
            Some(exp) if exp > now + EXPIRY_BUFFER => Lookup::Stale(creds.clone()),
            Some(_) => Lookup::Missing,
        }
    }

    /// Credentials without waiting, if usable ones are cached at `now` (a due refresh starts in
    /// the background); `None` when the caller must wait for a fetch.
    pub(crate) fn cached(self: &Arc<Self>, now: SystemTime) -> Option<Credentials> {
        match self.lookup(now) {
            Lookup::Fresh(c) => Some(c),
            Lookup::Stale(c) => {
                self.refresh_in_background();
                Some(c)
            }
            Lookup::Missing => None,
        }
    }

    /// Usable credentials, fetching (once, for all concurrent callers) when none are cached.
    pub(crate) async fn get(self: &Arc<Self>) -> Result<Credentials> {
        if let Some(c) = self.cached(self.clock.now()) {
            return Ok(c);
        }
        let this = self.clone();
        let task = runtime()?.spawn(async move { this.fetch_if_needed().await });
        task.await.unwrap_or_else(|e| {
            Err(Error::ProviderError {
                provider: self.name.clone(),
                detail: format!("the credential fetch task failed: {e}"),
            })
        })
    }

    /// [`Self::get`] for callers without an async runtime: blocks the calling thread.
    pub(crate) fn get_blocking(self: &Arc<Self>) -> Result<Credentials> {
        if let Some(c) = self.cached(self.clock.now()) {
            return Ok(c);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let this = self.clone();
        runtime()?.spawn(async move {
            let _ = tx.send(this.fetch_if_needed().await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(Error::ProviderError {
                provider: self.name.clone(),
                detail: "the credential fetch task stopped without an answer".into(),
            })
        })
    }

    /// Runs on the library's runtime. Waits its turn; whoever comes after a fetch finds its
    /// result — fresh credentials, or the error it ended with — instead of fetching again, and
    /// so does whoever comes within the back-off window after a failure (issue 19, item 4).
    async fn fetch_if_needed(self: Arc<Self>) -> Result<Credentials> {
        let seen = lock(&self.state).attempts;
        let _turn = self.fetch_lock.lock().await;
        if let Lookup::Fresh(c) | Lookup::Stale(c) = self.lookup(self.clock.now()) {
            return Ok(c);
        }
        let (shared, had_credentials) = {
            let state = lock(&self.state);
            let backing_off = state.retry_at.is_some_and(|at| Instant::now() < at);
            let shared = (state.attempts != seen || backing_off)
                .then(|| state.last_error.clone())
                .flatten();
            (shared, state.current.is_some())
        };
        let fetched = shared.is_none();
        let outcome = match shared {
            Some(e) => Err(e),
            None => self.fetch().await,
        };
        let result = match outcome {
            // A provider may hand back what it already had (aws-config's IMDS provider does
            // during an outage): credentials about to expire are no answer.
            Ok(c)
                if c.expiry()
                    .is_some_and(|e| e <= self.clock.now() + EXPIRY_BUFFER) =>
            {
                Err(Error::CredentialsExpired {
                    provider: self.name.clone(),
                    detail: "the provider returned credentials that expire within seconds".into(),
                })
            }
            Ok(c) => return Ok(c),
            Err(e @ Error::CredentialsExpired { .. }) => Err(e),
            Err(e) if had_credentials => Err(Error::CredentialsExpired {
                provider: self.name.clone(),
                detail: e.to_string(),
            }),
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            let mut state = lock(&self.state);
            state.last_error = Some(e.clone());
            if fetched && state.retry_at.is_none() {
                // The provider answered, but with credentials that are no use.
                state.note_failure();
            }
        }
        result
    }

    fn refresh_in_background(self: &Arc<Self>) {
        let recently_failed = lock(&self.state)
            .retry_at
            .is_some_and(|at| Instant::now() < at);
        if recently_failed || self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(rt) = runtime() else {
            self.refreshing.store(false, Ordering::Release);
            return;
        };
        let this = self.clone();
        rt.spawn(async move {
            if let Ok(_turn) = this.fetch_lock.try_lock() {
                if let Err(e) = this.fetch().await {
                    log::warn!("background credential refresh from {} failed: {e}; still serving the current credentials", this.name);
                }
            }
            this.refreshing.store(false, Ordering::Release);
        });
    }

    /// One call to the provider (bounded by the fetch timeout); stores the result.
    async fn fetch(&self) -> Result<Credentials> {
        let provider = self
            .provider
            .get_or_init(|| async {
                let base = self
                    .base
                    .clone()
                    .map(|b| SharedCredentialsProvider::new(CachedProvider(b)));
                let region = &self.key.region;
                build_provider(
                    &self.source,
                    self.key.role.as_ref(),
                    region,
                    self.key.timeouts,
                    base,
                )
                .await
            })
            .await;
        let limit = self.key.timeouts.fetch;
        log::debug!("fetching AWS credentials from {}", self.name);
        let result = match tokio::time::timeout(limit, provider.provide_credentials()).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(map_provider_error(&self.name, self.is_default_chain(), e)),
            Err(_) => Err(Error::Timeout {
                provider: self.name.clone(),
                after: limit,
            }),
        };
        let unchanged = {
            let mut state = lock(&self.state);
            state.attempts += 1;
            match &result {
                Ok(c) => {
                    FETCHES.fetch_add(1, Ordering::Relaxed);
                    // The same credentials again (aws-config's IMDS provider answers an outage
                    // with what it had): not a refresh, so back off as after a failure.
                    let unchanged = state
                        .current
                        .as_ref()
                        .is_some_and(|old| same_credentials(old, c));
                    if unchanged {
                        state.note_failure();
                    } else {
                        (state.failures, state.retry_at) = (0, None);
                    }
                    state.last_error = None;
                    state.current = Some(c.clone());
                    unchanged
                }
                Err(e) => {
                    state.note_failure();
                    state.last_error = Some(e.clone());
                    false
                }
            }
        };
        // Logged after the state lock is released: a log bridge (the Python binding's) may need the GIL.
        match &result {
            Ok(c) if unchanged => {
                log::warn!(
                    "{} returned the same credentials ({}) again; retrying later",
                    self.name,
                    c.access_key_id()
                )
            }
            Ok(c) => {
                log::info!(
                    "fetched AWS credentials {} from {}",
                    c.access_key_id(),
                    self.name
                )
            }
            Err(e) => {
                log::warn!("credential fetch failed: {} [{}]: {e}", self.name, e.code())
            }
        }
        result
    }
}

impl State {
    /// One more failure in a row: the provider rests for the next back-off window.
    fn note_failure(&mut self) {
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(Instant::now() + backoff(self.failures));
    }
}

/// The back-off window after `failures` failures in a row: [`FIRST_BACKOFF`] doubled per
/// failure up to [`MAX_BACKOFF`], then a random point in its upper half, so that processes
/// that failed together (a fleet after an STS throttle) do not all retry together.
fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    crate::clock::jittered(
        FIRST_BACKOFF
            .saturating_mul(1 << doublings)
            .min(MAX_BACKOFF),
    )
}

/// The same credentials by key id, session token and expiry (a provider handing back what it
/// had, rather than new ones).
fn same_credentials(a: &Credentials, b: &Credentials) -> bool {
    a.access_key_id() == b.access_key_id()
        && a.session_token() == b.session_token()
        && a.expiry() == b.expiry()
}

/// Exposes a credential cache as a provider, so assume-role draws its base credentials from it.
#[derive(Clone)]
struct CachedProvider(Arc<CredentialCache>);

impl std::fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CachedProvider({})", self.0.name)
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.0.get().await.map_err(|e| {
                aws_credential_types::provider::error::CredentialsError::provider_error(e)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        for (failures, window) in [(1, 1), (2, 2), (3, 4), (5, 16), (6, 20), (40, 20)] {
            let window = Duration::from_secs(window);
            for _ in 0..50 {
                let d = backoff(failures);
                assert!(d >= window / 2 && d <= window, "{failures}: {d:?}");
            }
        }
    }

    #[test]
    fn the_credential_cache_map_is_bounded_and_keeps_held_caches() {
        let source = |n: usize| {
            CredentialSource::Static(Credentials::new(
                format!("AKIDBOUND{n:08}"),
                format!("secret-{n}"),
                None,
                None,
                "test",
            ))
        };
        let key = |n: usize| CredentialKey {
            source: SourceKey::of(&source(n)),
            role: None,
            region: "us-east-1".into(),
            timeouts: FetchTimeouts::default(),
            refresh_ahead: Duration::from_secs(300),
            clock: 0,
        };
        let clock: SharedClock = Arc::new(crate::clock::SystemClock);
        let held = CredentialCache::shared(key(0), &source(0), clock.clone());
        for n in 1..=MAX_CACHES * 2 {
            drop(CredentialCache::shared(key(n), &source(n), clock.clone()));
        }
        let caches = lock(&registry().credentials);
        assert!(caches.len() <= MAX_CACHES, "{} caches", caches.len());
        assert!(
            caches.get(&key(0)).is_some_and(|c| Arc::ptr_eq(c, &held)),
            "a cache a signer holds is kept"
        );
    }
}
