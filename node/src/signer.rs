//! The `Signer` class: options → core `Signer`; tokens as Promises or synchronously.
//!
//! `token()` and `tokenSync()` are declared here (their types and reference behaviour), but
//! the module's init ([`install_lean_methods`]) replaces their generated glue on
//! `Signer.prototype` with the lean callbacks of [`crate::lean_methods`], which do the same with
//! fewer steps.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use rds_iam::{ConnectionUrl, Param, SignerOptions, UrlOptions};

use crate::errors::invalid;
use crate::errors::OrThrow;
use crate::lean_methods::{self, HoldsSigner};
use crate::napi_raw;
use crate::options::{Options, URL_CA, URL_CA_FILE, URL_DATABASE, URL_DRIVER, URL_KEYS};
use crate::token_promise::info_promise;
use crate::types::TokenInfo;

/// Produces IAM auth tokens for one database endpoint and user, reusing them while they are
/// good. Cheap to create: the caches are process-wide (shared by every `Signer` and worker
/// thread), so a `Signer` per connection still signs once per reuse window.
#[napi]
pub struct Signer {
    pub(crate) inner: Arc<rds_iam::Signer>,
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
        let o = Options::new(
            env,
            "new Signer()",
            Some(options),
            SignerOptions::BINDING_PARAMS,
        )?;
        let cluster_id = o.string(Param::ClusterId)?;
        // `host` may be left out only when `clusterId` names the endpoint.
        let host = match (o.string(Param::Host)?, &cluster_id) {
            (Some(host), _) => host,
            (None, Some(_)) => String::new(),
            (None, None) => o.required_string(Param::Host)?,
        };
        let mut so = SignerOptions::new(host);
        so.cluster_id = cluster_id;
        so.port = o.port()?;
        so.user = o.string(Param::User)?;
        so.region = o.string(Param::Region)?;
        so.sign_host = o.string(Param::SignHost)?;
        so.profile = o.string(Param::Profile)?;
        // An AWS SDK v3 identity provider (a function), or explicit credentials.
        match o.credential_provider()? {
            Some(p) => so.credential_provider = Some(p),
            None => so.credentials = o.credentials()?,
        }
        so.role_arn = o.string(Param::RoleArn)?;
        so.role_session_name = o.string(Param::RoleSessionName)?;
        so.external_id = o.string(Param::ExternalId)?;
        so.kind = o.kind()?;
        so.expires_in = o.seconds(Param::ExpiresIn)?;
        so.reuse_for = o.seconds(Param::ReuseFor)?;
        so.refresh_margin = o.seconds(Param::RefreshMargin)?;
        so.fetch_timeout = o.seconds(Param::FetchTimeout)?;
        so.imds_timeout = o.seconds(Param::ImdsTimeout)?;
        so.web_identity_attempts = o.count(Param::WebIdentityAttempts)?;
        let inner = so.build().or_throw(env)?;
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

    /// Like `tokenSync()`, with the token's expiry, signing time, cache hit and access key id.
    /// **Blocks the event loop** while credentials are fetched, as `tokenSync()` does.
    #[napi(ts_return_type = "TokenInfo")]
    pub fn token_info_sync(&self, env: &Env) -> napi::Result<TokenInfo> {
        self.inner
            .token_info_blocking()
            .map(TokenInfo::from)
            .or_throw(env)
    }

    /// A token, synchronously. **Blocks the event loop** while credentials are fetched (the
    /// first call, and when cached credentials have run out); cached calls are fast. Prefer
    /// `await signer.token()` in servers.
    #[napi]
    pub fn token_sync(&self, env: &Env) -> napi::Result<String> {
        self.inner.token_blocking().or_throw(env)
    }

    /// `signer.token` bound to this signer: pass it as a driver's password callback, e.g.
    /// `new pg.Pool({ ..., password: signer.password })`. Arguments are ignored.
    #[napi(getter, ts_return_type = "(...ignored: unknown[]) => Promise<string>")]
    pub fn password<'env>(&self, env: &'env Env, this: This<'env>) -> napi::Result<Unknown<'env>> {
        let f = lean_methods::password_function(env, self.inner.clone())?;
        // The same function on every read: it becomes an own, read-only, non-enumerable
        // property of this signer. A frozen or sealed signer refuses it; it then gets a new
        // function on each read, which works the same.
        // SAFETY: a getter is a Node-API callback on this thread; `this` and `f` are handles
        // of it.
        unsafe { napi_raw::define_own_value(env.raw(), this.object.raw(), c"password", f)? };
        // SAFETY: `f` is a live function handle of this callback.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), f) })
    }

    /// A connection URL (a Promise) with a token as its password, percent-encoded, and
    /// verifying TLS: `postgresql://…?sslmode=verify-full&sslrootcert=<file>` or
    /// `mysql://…?ssl-mode=VERIFY_IDENTITY&ssl-ca=<file>`. **The URL freezes the token: for
    /// one-off connections only** (a migration runner, `psql`); pools use the driver helpers.
    #[napi(
        ts_args_type = "options?: UrlOptions",
        ts_return_type = "Promise<string>"
    )]
    pub fn url<'env>(
        &self,
        env: &'env Env,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let mut uo = UrlOptions::default();
        let given = match options {
            Some(v) if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) => Some(v),
            _ => None,
        };
        if let Some(v) = given {
            let o = Options::new(env, "url()", Some(v), URL_KEYS)?;
            uo.database = o.string(URL_DATABASE)?;
            if let Some(driver) = o.string(URL_DRIVER)? {
                uo.driver = driver.parse().or_throw(env)?;
            }
            uo.ca_file = match (o.string(URL_CA)?, o.string(URL_CA_FILE)?) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        env,
                        "caFile",
                        "`caFile` is the old name of `ca` (the CA file's path); pass only `ca`",
                    ))
                }
                (ca, old) => ca.or(old).map(PathBuf::from),
            };
        }
        // Checked before any token: a bad option fails without a credential fetch.
        let url = ConnectionUrl::new(&self.inner, &uo).or_throw(env)?;
        info_promise(env, &self.inner, move |t| url.with_token(&t.token))
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

    /// The user to log in as, as given (`'admin'` for a `dsql_admin` signer without one). DSQL
    /// tokens name no user, but the driver still logs in as this one; `undefined` when a
    /// `dsql_connect` signer was given none.
    #[napi(getter, ts_return_type = "string | undefined")]
    pub fn user(&self) -> Either<String, ()> {
        // `()` is `undefined`; an `Option`'s `None` would be `null`.
        match self.inner.user() {
            Some(user) => Either::A(user.to_owned()),
            None => Either::B(()),
        }
    }

    /// The signing region.
    #[napi(getter)]
    pub fn region(&self) -> String {
        self.inner.spec().region().to_owned()
    }

    /// What tokens are signed for, as the `signHost` option takes it: `host:port` when
    /// `signHost` named a port or the signed port differs from `port`, else the host alone.
    /// Passing it back as `signHost` signs the same endpoint.
    #[napi(getter)]
    pub fn sign_host(&self) -> String {
        self.inner.sign_host()
    }

    /// The port tokens are signed for.
    #[napi(getter)]
    pub fn sign_port(&self) -> u16 {
        self.inner.spec().endpoint().port()
    }

    /// The token kind.
    #[napi(
        getter,
        ts_return_type = "'rds' | 'dsql_connect' | 'dsql_admin' | 'elasticache' | 'elasticache-serverless' | 'memorydb'"
    )]
    pub fn kind(&self) -> &'static str {
        self.inner.spec().kind().as_str()
    }

    /// What `JSON.stringify` shows: where tokens are for, never a secret.
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ host: string; port: number; user?: string; region: string; signHost: string; kind: string }"
    )]
    pub fn to_json(&self, env: &Env) -> napi::Result<Object<'_>> {
        let mut o = Object::new(env)?;
        o.set("host", self.host())?;
        o.set("port", self.port())?;
        if let Some(user) = self.inner.user() {
            o.set("user", user)?;
        }
        o.set("region", self.region())?;
        o.set("signHost", self.sign_host())?;
        o.set("kind", self.kind())?;
        Ok(o)
    }
}

impl HoldsSigner for Signer {
    fn core(&self) -> &rds_iam::Signer {
        &self.inner
    }
}

/// Module init, after the generated classes are defined: puts the lean `token` / `tokenSync`
/// callbacks on `Signer.prototype` in place of napi-rs's generated glue.
pub(crate) fn install_lean_methods(env: &Env, exports: &Object) -> napi::Result<()> {
    // SAFETY: module init is a Node-API callback on this thread; `exports` is its handle, and
    // each property read returns a handle of the same scope.
    let prototype = unsafe {
        let class = napi_raw::named_property(env.raw(), exports.raw(), c"Signer")?;
        napi_raw::named_property(env.raw(), class, c"prototype")?
    };
    lean_methods::install::<Signer>(env, prototype)
}
