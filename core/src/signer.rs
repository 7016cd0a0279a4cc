//! `Signer`: a token source for one database endpoint and user, backed by the process-wide caches.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use crate::answer::Answer;
use crate::cache::credentials::{CredentialCache, CredentialKey, SourceKey};
use crate::cache::epoch;
use crate::cache::tokens::{IssuedToken, ReusePolicy, SlotKey, TokenSlot};
use crate::clock::{clock_id, SharedClock, SystemClock};
use crate::credentials::{AssumeRole, CredentialSource, FetchTimeouts};
use crate::error::{Error, Result};
use crate::fork::generation;
use crate::options::{Checked, SignerOptions};
use crate::options::{Message, Surface};
use crate::runtime::runtime;
use crate::sign::{TokenKind, TokenSpec};

static SIGNATURES: AtomicU64 = AtomicU64::new(0);

/// A token with what a caller may want to know about it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token: pass it as the database password.
    pub token: String,
    /// When the token stops working: its own expiry or the signing credentials', if sooner.
    pub expires_at: SystemTime,
    /// When it was signed.
    pub signed_at: SystemTime,
    /// True if an earlier call signed it and this one reused it.
    pub from_cache: bool,
    /// The access key id that signed it (not secret; tells which identity is in use).
    pub access_key_id: String,
}

impl std::fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInfo")
            .field("token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .field("signed_at", &self.signed_at)
            .field("from_cache", &self.from_cache)
            .field("access_key_id", &self.access_key_id)
            .finish()
    }
}

/// Process-wide counters, for tests and benchmarks that check reuse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tokens signed (cache misses) since the process started.
    pub signatures: u64,
    /// Credential fetches and refreshes that returned credentials, since the process started.
    pub credential_fetches: u64,
}

/// The process-wide counters.
pub fn stats() -> Stats {
    Stats {
        signatures: SIGNATURES.load(Ordering::Relaxed),
        credential_fetches: crate::cache::credentials::FETCHES.load(Ordering::Relaxed),
    }
}

/// Produces tokens for one endpoint and user, reusing them while they are good.
///
/// Cheap to create: caches are process-wide and keyed by everything that changes the token, so
/// a `Signer` per connection still signs once per reuse window.
#[derive(Clone)]
pub struct Signer {
    connect_host: String,
    connect_port: u16,
    /// The user the client logs in as, as given: the signed user for RDS; DSQL tokens sign
    /// none, yet the driver still logs in as one.
    login_user: Option<String>,
    spec: TokenSpec,
    /// The kind was given, not inferred: [`Signer::for_user`] keeps it.
    kind_given: bool,
    /// Through a tunnel, which port the token signs (a warning: see [`Signer::signed_port_note`]).
    signed_port_note: Option<Message>,
    /// True when `sign_host` was given as `host:port` (see [`Signer::sign_host`]).
    sign_host_names_port: bool,
    source: CredentialSource,
    credential_key: CredentialKey,
    clock: SharedClock,
    policy: ReusePolicy,
    /// The caches looked up when the signer was made: the fast path while they are current.
    caches: SharedCaches,
    /// The caches looked up again after a `fork()` or a [`crate::clear_caches`], kept so that
    /// later calls in that generation and epoch skip the registry (issue 19, item 9).
    later: Arc<Mutex<Option<SharedCaches>>>,
}

/// The process-wide caches this signer draws from, for the fork generation and cache epoch
/// they were looked up in.
#[derive(Clone)]
struct SharedCaches {
    generation: u64,
    epoch: u64,
    credentials: Arc<CredentialCache>,
    slot: Arc<TokenSlot>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("host", &self.connect_host)
            .field("sign_host", &self.spec.endpoint().host())
            .field("port", &self.spec.endpoint().port())
            .field("user", &self.login_user)
            .field("region", &self.spec.region())
            .field("kind", &self.spec.kind())
            .field("credentials", &self.caches.credentials.name())
            .finish()
    }
}

impl Signer {
    /// Starts building a signer for `host` (`host`, `host:port` or `https://host[:port]`).
    pub fn builder(host: impl Into<String>) -> SignerBuilder {
        SignerBuilder::from(SignerOptions::new(host))
    }

    /// The signer for options [`SignerOptions::build`] has checked.
    pub(crate) fn from_checked(o: Checked) -> Signer {
        let credential_key = CredentialKey {
            source: SourceKey::of(&o.source),
            role: o.role,
            region: o.spec.region().to_owned(),
            timeouts: o.timeouts,
            refresh_ahead: o.refresh_ahead,
            clock: clock_id(&o.clock),
        };
        let clock: SharedClock = o.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let caches = SharedCaches::look_up(&o.spec, &o.source, &credential_key, &clock);
        if let Some(note) = &o.signed_port_note {
            log::warn!("{}", note.render(Surface::Rust));
        }
        Signer {
            signed_port_note: o.signed_port_note,
            sign_host_names_port: o.sign_host_names_port,
            connect_host: o.connect.host().to_owned(),
            connect_port: o.connect.port(),
            login_user: o.login_user,
            spec: o.spec,
            kind_given: o.kind_given,
            source: o.source,
            credential_key,
            clock,
            policy: o.policy,
            caches,
            later: Arc::default(),
        }
    }

    /// The same signer for another login user: same endpoint, region, credentials and reuse
    /// policy, and the process-wide caches for that user (the proxy signs for whichever user a
    /// client names). A DSQL signer whose kind was inferred signs the new user's kind (`admin`
    /// `DbConnectAdmin`, any other role `DbConnect`); a kind given explicitly is kept.
    pub fn for_user(&self, user: &str) -> Result<Signer> {
        let mut spec = self.spec.clone().with_user(user)?;
        if spec.kind().is_dsql() && !self.kind_given {
            let kind = crate::options::token_kind(None, spec.endpoint(), Some(user))?;
            spec = spec.with_dsql_kind(kind);
        }
        let caches = SharedCaches::look_up(&spec, &self.source, &self.credential_key, &self.clock);
        Ok(Signer {
            login_user: Some(user.to_owned()),
            spec,
            caches,
            later: Arc::default(),
            ..self.clone()
        })
    }

    /// When `sign_host` names no port and the signer dials a tunnel (a loopback or IP address
    /// on a port that is no engine's default): which port the token signs and how to pass
    /// another, in `surface`'s spelling. `None` otherwise.
    pub fn signed_port_note(&self, surface: Surface) -> Option<String> {
        self.signed_port_note.as_ref().map(|m| m.render(surface))
    }

    /// What the tokens are signed for.
    pub fn spec(&self) -> &TokenSpec {
        &self.spec
    }

    /// What the tokens are signed for, in the form the `sign_host` option takes: `host:port`
    /// when `sign_host` named a port or the signed port differs from the one dialled, else the
    /// host alone (which signs the port dialled). A cache kind's token names the cache alone,
    /// so its `sign_host` is the cache's name. Passing it back as `sign_host` signs the same
    /// endpoint; the name alone (for TLS) is `spec().endpoint().host()`.
    pub fn sign_host(&self) -> String {
        let signed = self.spec.endpoint();
        let names_port = !self.spec.kind().is_cache()
            && (self.sign_host_names_port || signed.port() != self.connect_port);
        if names_port {
            signed.to_string()
        } else {
            signed.host().to_owned()
        }
    }

    /// The host the client connects to (may differ from the signed host, see `sign_host`).
    pub fn host(&self) -> &str {
        &self.connect_host
    }

    /// The port the client connects to (may differ from the signed port, see `sign_host`).
    pub fn port(&self) -> u16 {
        self.connect_port
    }

    /// The user the client logs in as, as given (`admin` for a DSQL admin token without one).
    /// For RDS it is the user the token names; DSQL tokens name none (`spec().user()` is
    /// empty), yet the driver still needs it.
    pub fn user(&self) -> Option<&str> {
        self.login_user.as_deref()
    }

    /// Where the credentials come from, as errors and logs name it (never secret): e.g.
    /// `profile "prod"`, or `assume-role <arn> (from the default credential chain)`.
    pub fn credential_source_name(&self) -> &str {
        self.caches.credentials.name()
    }

    /// A token, from the cache when one is still good.
    pub async fn token(&self) -> Result<String> {
        let caches = self.caches();
        let (creds, now) = self.credentials_and_now(&caches).await?;
        Ok(String::from(&*self.issue(&caches, &creds, now)?.token))
    }

    /// A token and its expiry, from the cache when one is still good.
    pub async fn token_info(&self) -> Result<TokenInfo> {
        let caches = self.caches();
        let (creds, now) = self.credentials_and_now(&caches).await?;
        self.token_info_at(&caches, &creds, now)
    }

    /// [`Self::token`] for code without an async runtime: blocks while credentials are fetched.
    pub fn token_blocking(&self) -> Result<String> {
        let caches = self.caches();
        let (creds, now) = self.credentials_and_now_blocking(&caches)?;
        Ok(String::from(&*self.issue(&caches, &creds, now)?.token))
    }

    /// [`Self::token_info`] for code without an async runtime.
    pub fn token_info_blocking(&self) -> Result<TokenInfo> {
        let caches = self.caches();
        let (creds, now) = self.credentials_and_now_blocking(&caches)?;
        self.token_info_at(&caches, &creds, now)
    }

    /// Credentials and the time to sign at. With credentials cached (nearly every call) one
    /// clock read serves both caches; after a fetch, which may take seconds, the clock is read
    /// again.
    async fn credentials_and_now(
        &self,
        caches: &SharedCaches,
    ) -> Result<(Credentials, SystemTime)> {
        let now = self.clock.now();
        if let Some(creds) = caches.credentials.cached(now) {
            return Ok((creds, now));
        }
        let creds = caches.credentials.get().await?;
        Ok((creds, self.clock.now()))
    }

    fn credentials_and_now_blocking(
        &self,
        caches: &SharedCaches,
    ) -> Result<(Credentials, SystemTime)> {
        let now = self.clock.now();
        if let Some(creds) = caches.credentials.cached(now) {
            return Ok((creds, now));
        }
        let creds = caches.credentials.get_blocking()?;
        Ok((creds, self.clock.now()))
    }

    /// Calls `done` with a token: at once on this thread when no credential fetch is needed,
    /// otherwise from the library's runtime thread when the fetch ends.
    ///
    /// For bindings whose event loop is not tokio (Python's asyncio): they complete their own
    /// future from `done`, and nothing depends on a runtime that a `fork()` would break.
    ///
    /// `done` is called exactly once: if the work it waits for panics or its task is dropped,
    /// it gets a `ProviderError` instead of never being called (a future left pending forever).
    pub fn token_info_with<F>(&self, done: F)
    where
        F: FnOnce(Result<TokenInfo>) + Send + 'static,
    {
        let answer = Answer::new(done);
        let caches = self.caches();
        let now = self.clock.now();
        if let Some(creds) = caches.credentials.cached(now) {
            return answer.send(self.token_info_at(&caches, &creds, now));
        }
        match runtime() {
            Ok(rt) => {
                let this = self.clone();
                rt.spawn(async move { answer.send(this.token_info().await) });
            }
            Err(e) => answer.send(Err(e)),
        }
    }

    /// [`Self::credentials`] for code without an async runtime.
    pub fn credentials_blocking(&self) -> Result<Credentials> {
        self.caches().credentials.get_blocking()
    }

    /// The credentials this signer would sign with now (fetched if needed).
    pub async fn credentials(&self) -> Result<Credentials> {
        self.caches().credentials.get().await
    }

    fn token_info_at(
        &self,
        caches: &SharedCaches,
        creds: &Credentials,
        now: SystemTime,
    ) -> Result<TokenInfo> {
        let t = self.issue(caches, creds, now)?;
        Ok(TokenInfo {
            token: String::from(&*t.token),
            expires_at: t.usable_until,
            signed_at: t.signed_at,
            from_cache: t.from_cache,
            access_key_id: creds.access_key_id().to_owned(),
        })
    }

    /// The slot's token for `creds` at `now` (signed if none is servable; it says which).
    fn issue(
        &self,
        caches: &SharedCaches,
        creds: &Credentials,
        now: SystemTime,
    ) -> Result<IssuedToken> {
        let t = caches
            .slot
            .token(creds, now, &self.policy)
            .map_err(|e| match e {
                Error::CredentialsExpired { detail, .. } => Error::CredentialsExpired {
                    provider: caches.credentials.name().to_owned(),
                    detail,
                },
                other => other,
            })?;
        if !t.from_cache {
            SIGNATURES.fetch_add(1, Ordering::Relaxed);
            log::debug!(
                "signed a new token for {} as {} with credentials from {}",
                self.spec.endpoint(),
                self.spec.user(),
                caches.credentials.name()
            );
        }
        Ok(t)
    }

    /// The shared caches; looked up again in a forked child (its registry is new) and after
    /// [`crate::clear_caches`] (the maps are new), then kept for that generation and epoch.
    fn caches(&self) -> Cow<'_, SharedCaches> {
        let (generation, epoch) = (generation(), epoch());
        if self.caches.is_current(generation, epoch) {
            return Cow::Borrowed(&self.caches);
        }
        // Never waits for this lock: a forked child may have inherited it locked by a parent
        // thread, and a caller that finds it busy just looks the caches up itself.
        let mut later = match self.later.try_lock() {
            Ok(later) => Some(later),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        if let Some(found) = later
            .as_deref()
            .and_then(Option::as_ref)
            .filter(|c| c.is_current(generation, epoch))
        {
            return Cow::Owned(found.clone());
        }
        let found =
            SharedCaches::look_up(&self.spec, &self.source, &self.credential_key, &self.clock);
        if let Some(later) = later.as_deref_mut() {
            *later = Some(found.clone());
        }
        Cow::Owned(found)
    }
}

impl SharedCaches {
    /// This fork generation's credential cache and token slot for a signer's keys.
    fn look_up(
        spec: &TokenSpec,
        source: &CredentialSource,
        key: &CredentialKey,
        clock: &SharedClock,
    ) -> SharedCaches {
        let (generation, epoch) = (generation(), epoch());
        let credentials = CredentialCache::shared(key.clone(), source, clock.clone());
        let slot = TokenSlot::shared(SlotKey {
            spec: spec.clone(),
            credentials: key.clone(),
        });
        SharedCaches {
            generation,
            epoch,
            credentials,
            slot,
        }
    }

    /// Looked up in this fork generation and cache epoch.
    fn is_current(&self, generation: u64, epoch: u64) -> bool {
        self.generation == generation && self.epoch == epoch
    }
}

/// The idiomatic Rust way to fill in [`SignerOptions`]; start with [`Signer::builder`].
/// [`Self::build`] is [`SignerOptions::build`]: the same checks as every binding's.
#[derive(Clone, Debug, Default)]
pub struct SignerBuilder {
    options: SignerOptions,
}

impl From<SignerOptions> for SignerBuilder {
    fn from(options: SignerOptions) -> Self {
        SignerBuilder { options }
    }
}

impl SignerBuilder {
    /// An Aurora DSQL cluster id: with [`Self::region`] it names the endpoint
    /// `<id>.dsql.<region>.on.aws` (the host too, when [`Signer::builder`] was given `""`).
    pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.options.cluster_id = Some(cluster_id.into());
        self
    }
    /// The database port (default 5432, or the port given in the host).
    pub fn port(mut self, port: u16) -> Self {
        self.options.port = Some(port);
        self
    }
    /// The database user to log in as (required for RDS tokens).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.options.user = Some(user.into());
        self
    }
    /// The signing region (default: inferred from an RDS/DSQL hostname).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.options.region = Some(region.into());
        self
    }
    /// Sign for this endpoint instead of `host`: when you connect through a tunnel, proxy or
    /// custom DNS name, the token must name the real RDS endpoint (`host[:port]`).
    pub fn sign_host(mut self, sign_host: impl Into<String>) -> Self {
        self.options.sign_host = Some(sign_host.into());
        self
    }
    /// The token kind (default [`TokenKind::Rds`]).
    pub fn kind(mut self, kind: TokenKind) -> Self {
        self.options.kind = Some(kind);
        self
    }
    /// Lifetime of DSQL tokens (default 900 s, at most 604 800 s).
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.options.expires_in = Some(expires_in);
        self
    }
    /// Where credentials come from (default: the standard AWS chain); replaces any source
    /// given before.
    pub fn credentials(mut self, source: CredentialSource) -> Self {
        let o = &mut self.options;
        (o.profile, o.credentials, o.credential_provider) = (None, None, None);
        match source {
            CredentialSource::Profile(p) => o.profile = Some(p),
            CredentialSource::Static(c) => o.credentials = Some(c),
            CredentialSource::Custom(p) => o.credential_provider = Some(p),
            _ => {}
        }
        self
    }
    /// Use a named profile from the shared AWS config files.
    pub fn profile(self, name: impl Into<String>) -> Self {
        self.credentials(CredentialSource::Profile(name.into()))
    }
    /// Assume a role on top of the credential source.
    pub fn assume_role(mut self, role: AssumeRole) -> Self {
        self.options.role_arn = Some(role.role_arn);
        self.options.role_session_name = role.session_name;
        self.options.external_id = role.external_id;
        self
    }
    /// Reuse a token for at most this long (`Duration::ZERO`: sign for every call).
    pub fn reuse_for(mut self, reuse_for: Duration) -> Self {
        self.options.reuse_for = Some(reuse_for);
        self
    }
    /// Serve a cached token only while more than this much of its life is left (default 5 min).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.options.refresh_margin = Some(margin);
        self
    }
    /// Refresh expiring credentials this long before they expire (default 5 min).
    pub fn credential_refresh_ahead(mut self, ahead: Duration) -> Self {
        self.options.credential_refresh_ahead = Some(ahead);
        self
    }
    /// Credential fetch and IMDS timeouts, and the web identity attempts.
    pub fn timeouts(mut self, timeouts: FetchTimeouts) -> Self {
        self.options.fetch_timeout = Some(timeouts.fetch);
        self.options.imds_timeout = Some(timeouts.imds);
        self.options.web_identity_attempts = Some(timeouts.web_identity_attempts);
        self
    }
    /// The time source (tests inject a [`crate::ManualClock`]).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.options.clock = Some(clock);
        self
    }

    /// Validates everything and returns the signer. Does no I/O.
    pub fn build(self) -> Result<Signer> {
        self.options.build()
    }
}
