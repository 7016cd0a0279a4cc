//! Node.js binding of `rds-iam` (npm package `rds-iam`), built with `@napi-rs/cli`.
//!
//! A translation layer only: it converts JavaScript values to the core's types and back, hands
//! out Promises, and turns every [`rds_iam::Error`] into a JavaScript `Error` whose `.code` is
//! the core's stable code. Caching, parsing and credential logic live in the core.
#![deny(clippy::all)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::{Env, JsDate, JsError, JsValue, Property, PropertyAttributes, ValueType};
use napi_derive::napi;
use rds_iam::{AssumeRole, CredentialSource, ErrorCode, FetchTimeouts, TokenKind};

// ---------------------------------------------------------------------------------------------
// Errors

/// The JavaScript `.code` of an error: the core's stable code, spelled the same.
fn js_code(code: ErrorCode) -> &'static str {
    // The one place where codes are mapped; `ErrorCode` is exhaustive, so a new code fails
    // this build until it is listed here.
    match code {
        ErrorCode::NoCredentials => "NoCredentials",
        ErrorCode::CredentialsExpired => "CredentialsExpired",
        ErrorCode::NoRegion => "NoRegion",
        ErrorCode::InvalidEndpoint => "InvalidEndpoint",
        ErrorCode::InvalidArgument => "InvalidArgument",
        ErrorCode::ProviderError => "ProviderError",
        ErrorCode::Timeout => "Timeout",
    }
}

struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// A JavaScript `Error` with `.code` and the core's message, as a napi error that rethrows it.
fn js_error(env: &Env, e: &rds_iam::Error) -> napi::Error {
    let err = napi::Error::new(Code(js_code(e.code())), e.to_string());
    napi::Error::from(JsError::from(err).into_unknown(*env))
}

fn invalid(env: &Env, name: &'static str, reason: impl Into<String>) -> napi::Error {
    js_error(
        env,
        &rds_iam::Error::InvalidArgument {
            name,
            reason: reason.into(),
        },
    )
}

fn bad_endpoint(env: &Env, reason: impl Into<String>) -> napi::Error {
    js_error(
        env,
        &rds_iam::Error::InvalidEndpoint {
            reason: reason.into(),
        },
    )
}

/// Core result → napi result, with the error as a coded JavaScript `Error`.
trait OrThrow<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for rds_iam::Result<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| js_error(env, &e))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading JavaScript values (every type is checked here: no conversion can panic or fail with
// a napi status code instead of one of ours).

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        _ => "an unknown value",
    }
}

/// An options object: `undefined`/`null` properties count as absent; unknown keys are refused
/// (a misspelt option would otherwise be ignored silently).
struct Options<'env> {
    env: &'env Env,
    what: &'static str,
    obj: Object<'env>,
}

impl<'env> Options<'env> {
    fn new(
        env: &'env Env,
        what: &'static str,
        value: Option<Unknown<'env>>,
        known: &[&str],
    ) -> napi::Result<Self> {
        let Some(value) = value else {
            return Err(invalid(
                env,
                what,
                format!("pass an options object to {what}"),
            ));
        };
        let t = value.get_type()?;
        if t != ValueType::Object || value.is_array()? {
            let got = if t == ValueType::Object {
                "an array"
            } else {
                type_name(t)
            };
            return Err(invalid(
                env,
                what,
                format!("expected an options object, got {got}"),
            ));
        }
        // SAFETY: the value was checked to be an object.
        let obj: Object = unsafe { value.cast()? };
        for key in Object::keys(&obj)? {
            if !known.contains(&key.as_str()) {
                return Err(invalid(
                    env,
                    what,
                    format!(
                        "unknown option `{}`; the options are: {}",
                        key.escape_debug(),
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(Options { env, what, obj })
    }

    fn raw(&self, key: &str) -> napi::Result<Option<Unknown<'env>>> {
        let v: Unknown = self.obj.get_named_property(key)?;
        Ok(match v.get_type()? {
            ValueType::Undefined | ValueType::Null => None,
            _ => Some(v),
        })
    }

    fn string(&self, key: &'static str) -> napi::Result<Option<String>> {
        self.raw(key)?
            .map(|v| as_string(self.env, key, v))
            .transpose()
    }

    fn required_string(&self, key: &'static str) -> napi::Result<String> {
        self.string(key)?.ok_or_else(|| {
            invalid(
                self.env,
                key,
                format!("`{key}` is required in the options of {}", self.what),
            )
        })
    }

    fn number(&self, key: &'static str) -> napi::Result<Option<f64>> {
        let Some(v) = self.raw(key)? else {
            return Ok(None);
        };
        let t = v.get_type()?;
        if t != ValueType::Number {
            return Err(invalid(
                self.env,
                key,
                format!("expected a number, got {}", type_name(t)),
            ));
        }
        // SAFETY: checked to be a number.
        let n: f64 = unsafe { v.cast()? };
        if !n.is_finite() {
            return Err(invalid(
                self.env,
                key,
                format!("{n} is not a finite number"),
            ));
        }
        Ok(Some(n))
    }

    /// Seconds as a `Duration` (fractions allowed, never negative).
    fn seconds(&self, key: &'static str) -> napi::Result<Option<Duration>> {
        let Some(n) = self.number(key)? else {
            return Ok(None);
        };
        Duration::try_from_secs_f64(n).map(Some).map_err(|_| {
            invalid(
                self.env,
                key,
                format!("{n} is not a duration in seconds (use a number ≥ 0)"),
            )
        })
    }

    fn port(&self) -> napi::Result<Option<u16>> {
        let Some(v) = self.raw("port")? else {
            return Ok(None);
        };
        let n = match v.get_type()? {
            ValueType::Number => {
                // SAFETY: checked to be a number.
                unsafe { v.cast::<f64>()? }
            }
            // Ports often come from environment variables.
            ValueType::String => {
                // SAFETY: checked to be a string.
                let s: String = unsafe { v.cast()? };
                match s.trim().parse::<u32>() {
                    Ok(p) => f64::from(p),
                    Err(_) => {
                        return Err(bad_endpoint(
                            self.env,
                            format!("port `{}` is not a number", s.escape_debug()),
                        ))
                    }
                }
            }
            t => {
                return Err(invalid(
                    self.env,
                    "port",
                    format!("expected a number, got {}", type_name(t)),
                ))
            }
        };
        if n.fract() != 0.0 || !(0.0..=65535.0).contains(&n) {
            return Err(bad_endpoint(
                self.env,
                format!(
                    "port {n} is not a TCP port; pass the port your database listens on (1-65535)"
                ),
            ));
        }
        Ok(Some(n as u16))
    }

    fn date(&self, key: &'static str) -> napi::Result<Option<SystemTime>> {
        self.raw(key)?
            .map(|v| as_time(self.env, key, v))
            .transpose()
    }

    fn kind(&self) -> napi::Result<Option<TokenKind>> {
        let Some(kind) = self.string("kind")? else {
            return Ok(None);
        };
        match kind.as_str() {
            "rds" => Ok(Some(TokenKind::Rds)),
            "dsql_connect" => Ok(Some(TokenKind::DsqlConnect)),
            "dsql_admin" => Ok(Some(TokenKind::DsqlAdmin)),
            other => Err(invalid(
                self.env,
                "kind",
                format!(
                    "`{}` is not a token kind; use 'rds', 'dsql_connect' or 'dsql_admin'",
                    other.escape_debug()
                ),
            )),
        }
    }

    fn credentials(&self, key: &'static str) -> napi::Result<Option<Credentials>> {
        let Some(v) = self.raw(key)? else {
            return Ok(None);
        };
        let c = Options::new(
            self.env,
            "credentials",
            Some(v),
            &[
                "accessKeyId",
                "secretAccessKey",
                "sessionToken",
                "expiration",
            ],
        )?;
        let access_key_id = c.required_string("accessKeyId")?;
        let secret_access_key = c.required_string("secretAccessKey")?;
        for (name, value) in [
            ("accessKeyId", &access_key_id),
            ("secretAccessKey", &secret_access_key),
        ] {
            if value.is_empty() {
                return Err(invalid(
                    self.env,
                    name,
                    format!("`{name}` is empty; pass the AWS key"),
                ));
            }
        }
        let session_token = c.string("sessionToken")?.filter(|t| !t.is_empty());
        let expiration = c.date("expiration")?;
        Ok(Some(Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
            "rds-iam-node",
        )))
    }
}

use rds_iam::Credentials;

fn as_string(env: &Env, name: &'static str, v: Unknown) -> napi::Result<String> {
    let t = v.get_type()?;
    if t != ValueType::String {
        return Err(invalid(
            env,
            name,
            format!("expected a string, got {}", type_name(t)),
        ));
    }
    // SAFETY: checked to be a string.
    unsafe { v.cast() }
}

fn as_time(env: &Env, name: &'static str, v: Unknown) -> napi::Result<SystemTime> {
    if v.get_type()? != ValueType::Object || !v.is_date()? {
        return Err(invalid(env, name, "expected a Date"));
    }
    // SAFETY: checked to be a Date.
    let ms = unsafe { v.cast::<JsDate>()? }.value_of()?;
    time_from_ms(ms).ok_or_else(|| invalid(env, name, "the Date is invalid"))
}

fn time_from_ms(ms: f64) -> Option<SystemTime> {
    if !ms.is_finite() {
        return None;
    }
    let d = Duration::try_from_secs_f64(ms.abs() / 1000.0).ok()?;
    if ms >= 0.0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    }
}

/// A JavaScript `Date` on the way out.
pub struct Timestamp(SystemTime);

impl TypeName for Timestamp {
    fn type_name() -> &'static str {
        "Date"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Timestamp {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let ms = match val.0.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64() * 1000.0,
            Err(e) => -(e.duration().as_secs_f64() * 1000.0),
        };
        let env = Env::from_raw(env);
        let date = env.create_date(ms.trunc())?;
        Ok(date.raw())
    }
}

// ---------------------------------------------------------------------------------------------
// The API

/// Everything `new Signer(...)` accepts. Durations are in seconds.
#[napi(object, object_to_js = false)]
pub struct SignerOptions {
    /// The database endpoint the client connects to: `host`, `host:port` or `https://host[:port]`.
    pub host: String,
    /// The database port (default 5432, or the port given in `host`).
    pub port: Option<u16>,
    /// The database user to log in as (required for RDS tokens, ignored for DSQL).
    pub user: Option<String>,
    /// The signing region (default: inferred from an RDS / Aurora / RDS Proxy / DSQL hostname).
    pub region: Option<String>,
    /// Sign for this endpoint (`host[:port]`) instead of `host`: when you connect through a
    /// tunnel, a proxy or a custom DNS name, the token must name the real RDS endpoint.
    pub sign_host: Option<String>,
    /// A named profile from the shared AWS config files (instead of the default chain).
    pub profile: Option<String>,
    /// Fixed credentials (instead of the default chain).
    pub credentials: Option<CredentialsInput>,
    /// Assume this role (`arn:aws:iam::<account>:role/<name>`) on top of the credentials.
    pub role_arn: Option<String>,
    /// The role session name when assuming `roleArn` (default `rds-iam-<unix time>`).
    pub role_session_name: Option<String>,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// The token kind (default `'rds'`).
    #[napi(ts_type = "'rds' | 'dsql_connect' | 'dsql_admin'")]
    pub kind: Option<String>,
    /// Token lifetime in seconds: 900 for RDS (fixed), 1 to 604800 for DSQL (default 900).
    pub expires_in: Option<f64>,
    /// Reuse a token for at most this many seconds (0: sign for every call; default: while it
    /// has more than `refreshMargin` of life left).
    pub reuse_for: Option<f64>,
    /// Serve a cached token only while more than this many seconds of its life are left
    /// (default 300).
    pub refresh_margin: Option<f64>,
    /// Upper bound in seconds for one credential fetch (default 10).
    pub fetch_timeout: Option<f64>,
    /// EC2 instance metadata (IMDS) timeout in seconds (default 1).
    pub imds_timeout: Option<f64>,
}

/// AWS credentials given explicitly.
#[napi(object, object_to_js = false)]
pub struct CredentialsInput {
    /// The access key id (`AKIA…` long-term, `ASIA…` temporary).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// When temporary credentials expire: tokens signed with them stop working then.
    #[napi(ts_type = "Date")]
    pub expiration: Option<f64>,
}

/// What `sign(...)` takes: everything a token depends on, credentials and time included.
#[napi(object, object_to_js = false)]
pub struct SignOptions {
    /// The database endpoint: `host`, `host:port` or `https://host[:port]`.
    pub host: String,
    /// The database port (default 5432, or the port given in `host`).
    pub port: Option<u16>,
    /// The database user (required for RDS tokens, ignored for DSQL).
    pub user: Option<String>,
    /// The signing region (default: inferred from the hostname).
    pub region: Option<String>,
    /// The credentials to sign with.
    pub credentials: CredentialsInput,
    /// The signing time (default: now).
    #[napi(ts_type = "Date")]
    pub at: Option<f64>,
    /// The token kind (default `'rds'`).
    #[napi(ts_type = "'rds' | 'dsql_connect' | 'dsql_admin'")]
    pub kind: Option<String>,
    /// Token lifetime in seconds: 900 for RDS, 1 to 604800 for DSQL (default 900).
    pub expires_in: Option<f64>,
}

/// A token and what a caller may want to know about it.
#[napi(object, object_from_js = false)]
pub struct TokenInfo {
    /// The token: pass it as the database password.
    pub token: String,
    /// When the token stops working: its own expiry or the signing credentials', if sooner.
    #[napi(ts_type = "Date")]
    pub expires_at: Timestamp,
    /// When it was signed.
    #[napi(ts_type = "Date")]
    pub signed_at: Timestamp,
    /// True if an earlier call signed it and this one reused it.
    pub from_cache: bool,
    /// The access key id that signed it (not secret: tells which identity is in use).
    pub access_key_id: String,
}

impl From<rds_iam::TokenInfo> for TokenInfo {
    fn from(t: rds_iam::TokenInfo) -> Self {
        TokenInfo {
            token: t.token,
            expires_at: Timestamp(t.expires_at),
            signed_at: Timestamp(t.signed_at),
            from_cache: t.from_cache,
            access_key_id: t.access_key_id,
        }
    }
}

/// Process-wide counters.
#[napi(object, object_from_js = false)]
pub struct Stats {
    /// Tokens signed (cache misses) in this process since it started, all threads and workers.
    pub signatures: f64,
}

const SIGNER_OPTIONS: &[&str] = &[
    "host",
    "port",
    "user",
    "region",
    "signHost",
    "profile",
    "credentials",
    "roleArn",
    "roleSessionName",
    "externalId",
    "kind",
    "expiresIn",
    "reuseFor",
    "refreshMargin",
    "fetchTimeout",
    "imdsTimeout",
];

/// Produces IAM auth tokens for one database endpoint and user, reusing them while they are
/// good. Cheap to create: the caches are process-wide (shared by every `Signer` and worker
/// thread), so a `Signer` per connection still signs once per reuse window.
#[napi]
pub struct Signer {
    inner: Arc<rds_iam::Signer>,
}

#[napi]
impl Signer {
    /// Validates the options; does no I/O (credentials are fetched on the first token).
    /// Throws an `Error` with `.code` `InvalidArgument`, `InvalidEndpoint` or `NoRegion`.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "SignerOptions")] options: Unknown,
    ) -> napi::Result<Self> {
        let o = Options::new(env, "new Signer()", Some(options), SIGNER_OPTIONS)?;
        let mut b = rds_iam::Signer::builder(o.required_string("host")?);
        if let Some(p) = o.port()? {
            b = b.port(p);
        }
        if let Some(u) = o.string("user")? {
            b = b.user(u);
        }
        if let Some(r) = o.string("region")? {
            b = b.region(r);
        }
        if let Some(h) = o.string("signHost")? {
            b = b.sign_host(h);
        }
        let profile = o.string("profile")?;
        let credentials = o.credentials("credentials")?;
        match (profile, credentials) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    env,
                    "credentials",
                    "pass either `profile` or `credentials`, not both",
                ))
            }
            (Some(p), None) => b = b.credentials(CredentialSource::Profile(p)),
            (None, Some(c)) => b = b.credentials(CredentialSource::Static(c)),
            (None, None) => {}
        }
        let session_name = o.string("roleSessionName")?;
        let external_id = o.string("externalId")?;
        match o.string("roleArn")? {
            Some(arn) => {
                let mut role = AssumeRole::new(arn);
                role.session_name = session_name;
                role.external_id = external_id;
                b = b.assume_role(role);
            }
            None if session_name.is_some() || external_id.is_some() => {
                return Err(invalid(
                    env,
                    "roleArn",
                    "`roleSessionName` and `externalId` need `roleArn`",
                ))
            }
            None => {}
        }
        if let Some(k) = o.kind()? {
            b = b.kind(k);
        }
        if let Some(e) = o.seconds("expiresIn")? {
            b = b.expires_in(e);
        }
        if let Some(r) = o.seconds("reuseFor")? {
            b = b.reuse_for(r);
        }
        if let Some(m) = o.seconds("refreshMargin")? {
            b = b.refresh_margin(m);
        }
        let mut timeouts = FetchTimeouts::default();
        if let Some(t) = o.seconds("fetchTimeout")? {
            timeouts.fetch = t;
        }
        if let Some(t) = o.seconds("imdsTimeout")? {
            timeouts.imds = t;
        }
        b = b.timeouts(timeouts);
        let inner = b.build().or_throw(env)?;
        Ok(Signer {
            inner: Arc::new(inner),
        })
    }

    /// A token (a Promise): from the cache while one is good, else signed — after fetching
    /// credentials when none are cached (concurrent callers share one fetch).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn token<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        info_promise(env, &self.inner, |t| t.token)
    }

    /// Like `token()`, with the token's expiry, signing time, cache hit and access key id.
    #[napi(ts_return_type = "Promise<TokenInfo>")]
    pub fn token_info<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, TokenInfo>> {
        info_promise(env, &self.inner, TokenInfo::from)
    }

    /// A token, synchronously. **Blocks the event loop** while credentials are fetched (the
    /// first call, and when cached credentials have run out); cached calls are fast. Prefer
    /// `await signer.token()` in servers.
    #[napi]
    pub fn token_sync(&self, env: &Env) -> napi::Result<String> {
        Ok(self.inner.token_info_blocking().or_throw(env)?.token)
    }

    /// `signer.token` bound to this signer: pass it as a driver's password callback, e.g.
    /// `new pg.Pool({ ..., password: signer.password })`. Arguments are ignored.
    #[napi(getter, ts_return_type = "(...ignored: unknown[]) => Promise<string>")]
    pub fn password<'env>(
        &self,
        env: &'env Env,
        mut this: This<'env>,
    ) -> napi::Result<Function<'env, (), PromiseRaw<'env, String>>> {
        let signer = self.inner.clone();
        let f = env.create_function_from_closure::<(), _, _>("password", move |ctx| {
            let promise = info_promise(ctx.env, &signer, |t| t.token)?;
            Ok(RawValue(promise.raw()))
        })?;
        // The same function on every read: it becomes an own, read-only, non-enumerable
        // property of this signer.
        this.object.define_properties(&[Property::new()
            .with_utf8_name("password")?
            .with_value(&f)
            .with_property_attributes(PropertyAttributes::Default)])?;
        // SAFETY: same value, typed for the return type.
        Ok(unsafe { Function::from_napi_value(env.raw(), f.raw())? })
    }

    /// The host the client connects to.
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.inner.host().to_owned()
    }

    /// The port the client connects to.
    #[napi(getter)]
    pub fn port(&self) -> u16 {
        self.inner.port()
    }

    /// The database user tokens are signed for (empty for DSQL).
    #[napi(getter)]
    pub fn user(&self) -> String {
        self.inner.spec().user().to_owned()
    }

    /// The signing region.
    #[napi(getter)]
    pub fn region(&self) -> String {
        self.inner.spec().region().to_owned()
    }

    /// The host tokens are signed for (`signHost`, or `host`).
    #[napi(getter)]
    pub fn sign_host(&self) -> String {
        self.inner.spec().endpoint().host().to_owned()
    }

    /// What `JSON.stringify` shows: where tokens are for, never a secret.
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ host: string; port: number; user: string; region: string; signHost: string }"
    )]
    pub fn to_json(&self, env: &Env) -> napi::Result<Object<'_>> {
        let mut o = Object::new(env)?;
        o.set("host", self.host())?;
        o.set("port", self.port())?;
        o.set("user", self.user())?;
        o.set("region", self.region())?;
        o.set("signHost", self.sign_host())?;
        Ok(o)
    }
}

/// A raw `napi_value` handed back from a closure within the same callback scope.
struct RawValue(napi::sys::napi_value);

impl ToNapiValue for RawValue {
    unsafe fn to_napi_value(
        _env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        Ok(val.0)
    }
}

/// A Promise of `map(token info)`: settled at once when usable credentials are cached (the
/// common case: no thread hop), otherwise when the core's credential fetch completes, awaited
/// on napi's tokio runtime.
fn info_promise<'env, T, F>(
    env: &'env Env,
    signer: &rds_iam::Signer,
    map: F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + 'static,
    F: FnOnce(rds_iam::TokenInfo) -> T + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    signer.token_info_with(move |r| {
        let _ = tx.send(r);
    });
    match rx.try_recv() {
        Ok(Ok(info)) => PromiseRaw::resolve(env, map(info)),
        Ok(Err(e)) => PromiseRaw::reject(env, JsError::from(code_error(&e)).into_unknown(*env)),
        Err(_) => env.spawn_future_with_callback(
            async move {
                Ok(rx.await.unwrap_or_else(|_| {
                    Err(rds_iam::Error::ProviderError {
                        provider: "rds-iam".into(),
                        detail: "the credential fetch ended without an answer".into(),
                    })
                }))
            },
            move |env, r| match r {
                Ok(info) => Ok(map(info)),
                Err(e) => Err(js_error(env, &e)),
            },
        ),
    }
}

fn code_error(e: &rds_iam::Error) -> napi::Error<Code> {
    napi::Error::new(Code(js_code(e.code())), e.to_string())
}

const SIGN_OPTIONS: &[&str] = &[
    "host",
    "port",
    "user",
    "region",
    "credentials",
    "at",
    "kind",
    "expiresIn",
];

/// Signs one token with explicit credentials and time: no cache, no I/O. The result is
/// byte-for-byte what botocore's `generate_db_auth_token` (or the DSQL equivalents) returns.
#[napi]
pub fn sign(
    env: &Env,
    #[napi(ts_arg_type = "SignOptions")] options: Unknown,
) -> napi::Result<String> {
    let o = Options::new(env, "sign()", Some(options), SIGN_OPTIONS)?;
    let host = o.required_string("host")?;
    let endpoint = rds_iam::Endpoint::parse(&host, o.port()?).or_throw(env)?;
    let user = o.string("user")?;
    let region = o.string("region")?;
    let credentials = o
        .credentials("credentials")?
        .ok_or_else(|| invalid(env, "credentials", "`credentials` is required by sign()"))?;
    let at = o.date("at")?.unwrap_or_else(SystemTime::now);
    let kind = o.kind()?.unwrap_or(TokenKind::Rds);
    let mut spec = rds_iam::TokenSpec::new(kind, endpoint, user.as_deref(), region.as_deref())
        .or_throw(env)?;
    if let Some(e) = o.seconds("expiresIn")? {
        spec = spec.with_expires_in(e).or_throw(env)?;
    }
    rds_iam::sign(&spec, &credentials, at).or_throw(env)
}

/// Empties the process-wide token and credential caches (after rotating credentials, or
/// between tests). Signers keep working; their next call fetches and signs again.
#[napi]
pub fn clear_caches() {
    rds_iam::clear_caches();
}

/// Process-wide counters: `signatures` = tokens signed so far (cache misses).
#[napi]
pub fn stats() -> Stats {
    Stats {
        signatures: rds_iam::stats().signatures as f64,
    }
}

/// The library version (the Cargo workspace version; the npm package has the same).
#[napi]
pub const VERSION: &str = rds_iam::VERSION;

/// Runs the `rds-iam` command line (`argv` starts with the program name); returns the exit
/// status: 0 success, 1 a library error (printed as `error[Code]: …`), 2 a usage error.
#[napi]
pub fn cli_main(argv: Vec<String>) -> i32 {
    use std::io::Write;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let status = rds_iam::cli::run(argv, &mut out, &mut err);
    let _ = out.flush();
    let _ = err.flush();
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_is_mapped_to_its_stable_name() {
        for code in ErrorCode::ALL {
            assert_eq!(js_code(code), code.as_str());
        }
    }

    #[test]
    fn package_json_version_is_the_cargo_version() {
        let pkg = include_str!("../../package.json");
        let needle = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
        assert!(
            pkg.contains(&needle),
            "package.json must carry version {}",
            env!("CARGO_PKG_VERSION")
        );
    }

    #[test]
    fn dates_convert_both_ways() {
        assert_eq!(time_from_ms(0.0), Some(UNIX_EPOCH));
        assert_eq!(
            time_from_ms(1_500.0),
            Some(UNIX_EPOCH + Duration::from_millis(1500))
        );
        assert_eq!(time_from_ms(f64::NAN), None);
        assert_eq!(time_from_ms(f64::INFINITY), None);
    }
}
