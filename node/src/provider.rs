//! `credentials` given an AWS SDK v3 identity provider: an async function resolving to
//! `{ accessKeyId, secretAccessKey, sessionToken?, expiration? }` (`fromNodeProviderChain()`,
//! `fromTemporaryCredentials()`, `fromSSO()`, or one's own). It becomes one more core credential
//! source (`CredentialSource::Custom`), so the core's cache decides when it is called: only when
//! the cached credentials are missing or near expiry, once for concurrent callers, and a token
//! never outlives the `expiration` it returned.
//!
//! The core's runtime thread asks through a threadsafe function (weak: it never keeps the
//! process alive); the function runs on the JavaScript thread and its Promise settles a
//! runtime-agnostic channel (napi-rs's `Promise` future), so the addon starts no runtime.

use std::time::SystemTime;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{JsDate, ValueType};

use crate::options::time_from_ms;

/// The identity an AWS SDK v3 provider resolves to (other keys, e.g. `accountId`, ignored).
pub(crate) struct Identity {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    /// Milliseconds since the epoch (`expiration.getTime()`); `None` without an expiry.
    expiration_ms: Option<f64>,
}

impl TypeName for Identity {
    fn type_name() -> &'static str {
        "AwsCredentialIdentity"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Identity {}

impl FromNapiValue for Identity {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        // SAFETY: the caller's contract (a live env and a value of its scope).
        let obj = unsafe { Object::from_napi_value(env, value)? };
        let text = |key: &str| -> Result<Option<String>> {
            match obj.get::<Unknown>(key)? {
                Some(v) if v.get_type()? == ValueType::String => {
                    // SAFETY: checked to be a string.
                    Ok(Some(unsafe { v.cast::<String>()? }))
                }
                _ => Ok(None),
            }
        };
        let expiration_ms = match obj.get::<Unknown>("expiration")? {
            Some(v) if v.get_type()? == ValueType::Object && v.is_date()? => {
                // SAFETY: checked to be a Date.
                let date = unsafe { v.cast::<JsDate>()? };
                Some(date.value_of()?)
            }
            _ => None,
        };
        Ok(Identity {
            access_key_id: text("accessKeyId")?,
            secret_access_key: text("secretAccessKey")?,
            session_token: text("sessionToken")?,
            expiration_ms,
        })
    }
}

/// The provider function as the core's thread calls it.
type ProviderFn = ThreadsafeFunction<(), Promise<Identity>, (), Status, false, true>;

/// An AWS SDK v3 identity provider, as a core credential source.
struct JsProvider {
    f: ProviderFn,
    /// How errors name it: `credentials provider <function name>`.
    name: String,
}

impl std::fmt::Debug for JsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// The provider for a `credentials` function.
pub(crate) fn provider(
    f: Function<'_, (), Promise<Identity>>,
) -> Result<SharedCredentialsProvider> {
    let name = match f.name() {
        Ok(n) if !n.is_empty() => format!("credentials provider {n}"),
        _ => "credentials provider (anonymous function)".to_owned(),
    };
    let f = f
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    Ok(SharedCredentialsProvider::new(JsProvider { f, name }))
}

impl ProvideCredentials for JsProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let failed =
                |what: String| CredentialsError::provider_error(format!("{}: {what}", self.name));
            let promise = self
                .f
                .call_async_catch(())
                .await
                .map_err(|e| failed(format!("the call failed ({})", e.reason)))?;
            let identity = promise
                .await
                .map_err(|e| failed(format!("its Promise rejected ({})", e.reason)))?;
            credentials(identity).map_err(failed)
        })
    }
}

/// The identity as core credentials, checked.
fn credentials(i: Identity) -> std::result::Result<Credentials, String> {
    let (Some(id), Some(secret)) = (i.access_key_id, i.secret_access_key) else {
        return Err("it resolved to no `accessKeyId` / `secretAccessKey` strings".into());
    };
    if id.is_empty() || secret.is_empty() {
        return Err("it resolved to an empty `accessKeyId` or `secretAccessKey`".into());
    }
    let expiry: Option<SystemTime> = match i.expiration_ms {
        Some(ms) => Some(time_from_ms(ms).ok_or("its `expiration` is an invalid Date")?),
        None => None,
    };
    Ok(Credentials::new(
        id,
        secret,
        i.session_token.filter(|t| !t.is_empty()),
        expiry,
        "rds-iam-node",
    ))
}
