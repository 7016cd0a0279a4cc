//! Promises of tokens: settled before they are returned when credentials are cached (the common
//! case: no thread hop, no extra allocation on the JavaScript side), otherwise settled from the
//! core's `token_info_with` callback through a Node-API deferred (a threadsafe function), so
//! no async runtime of napi-rs's is started to wait for the core's fetch.

use std::sync::{Arc, Mutex, PoisonError};

use napi::bindgen_prelude::*;
use napi::{Env, JsDeferred};

use crate::errors::js_error;
use crate::napi_raw::Raw;

/// How the Promise of a call turned out when the core returned.
pub(crate) enum Promised<T> {
    /// The core answered at once (credentials cached): settle now.
    Now(rds_iam::Result<T>),
    /// A credential fetch is under way: this Promise (a handle of the current callback scope)
    /// is settled when it ends.
    Later(Raw),
}

type Resolver<T> = Box<dyn FnOnce(Env) -> napi::Result<T> + Send>;

/// Where the core's answer goes: kept for the caller while it has not looked yet, or into the
/// deferred once the caller made one.
enum Slot<T: ToNapiValue + Send + 'static> {
    Waiting,
    Answered(rds_iam::Result<T>),
    Deferred(JsDeferred<T, Resolver<T>>),
}

/// The core's callback side: answers exactly once, and with "no answer" if it is dropped
/// uncalled (so a Promise never stays pending for good).
struct Reply<T: ToNapiValue + Send + 'static>(Option<Arc<Mutex<Slot<T>>>>);

impl<T: ToNapiValue + Send + 'static> Reply<T> {
    fn send(mut self, r: rds_iam::Result<T>) {
        if let Some(slot) = self.0.take() {
            deliver(&slot, r);
        }
    }
}

impl<T: ToNapiValue + Send + 'static> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            deliver(&slot, Err(no_answer()));
        }
    }
}

fn deliver<T: ToNapiValue + Send + 'static>(slot: &Mutex<Slot<T>>, r: rds_iam::Result<T>) {
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    match std::mem::replace(&mut *slot, Slot::Waiting) {
        Slot::Deferred(d) => d.resolve(Box::new(move |env| r.map_err(|e| js_error(&env, &e)))),
        // Not looked at yet (the core answered on the caller's stack): the caller takes it.
        Slot::Waiting | Slot::Answered(_) => *slot = Slot::Answered(r),
    }
}

/// The answer of a credential fetch that never reported back (the runtime went away).
fn no_answer() -> rds_iam::Error {
    rds_iam::Error::ProviderError {
        provider: "rds-iam".into(),
        detail: "the credential fetch ended without an answer".into(),
    }
}

/// Asks the core for `map(token info)`: [`Promised::Now`] when it answered at once, else a
/// Promise settled when the fetch ends.
pub(crate) fn promise<T, F>(
    env: &Env,
    signer: &rds_iam::Signer,
    map: F,
) -> napi::Result<Promised<T>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce(rds_iam::TokenInfo) -> T + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot::Waiting));
    let reply = Reply(Some(slot.clone()));
    signer.token_info_with(move |r| reply.send(r.map(map)));
    // Held while the deferred is made, so the core's answer lands either before (taken here)
    // or after (settles the deferred), never in between.
    let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Slot::Answered(r) = std::mem::replace(&mut *held, Slot::Waiting) {
        return Ok(Promised::Now(r));
    }
    let (deferred, promise) = env.create_deferred::<T, Resolver<T>>()?;
    *held = Slot::Deferred(deferred);
    Ok(Promised::Later(promise.raw()))
}

/// `map(token info)` as a napi-rs Promise (for the generated methods, e.g. `tokenInfo()`).
pub(crate) fn info_promise<'env, T, F>(
    env: &'env Env,
    signer: &rds_iam::Signer,
    map: F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce(rds_iam::TokenInfo) -> T + Send + 'static,
{
    match promise(env, signer, map)? {
        Promised::Now(Ok(v)) => PromiseRaw::resolve(env, v),
        Promised::Now(Err(e)) => PromiseRaw::reject(env, crate::errors::js_error_value(env, &e)),
        Promised::Later(p) => Ok(PromiseRaw::new(env.raw(), p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(slot: &Mutex<Slot<String>>) -> Option<rds_iam::Result<String>> {
        match std::mem::replace(&mut *slot.lock().unwrap(), Slot::Waiting) {
            Slot::Answered(r) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn an_answer_before_the_caller_looks_is_kept_for_it() {
        let slot = Arc::new(Mutex::new(Slot::Waiting));
        Reply(Some(slot.clone())).send(Ok("token".to_owned()));
        assert_eq!(taken(&slot).unwrap().unwrap(), "token");
    }

    #[test]
    fn a_reply_dropped_unanswered_answers_with_an_error() {
        let slot = Arc::new(Mutex::new(Slot::Waiting));
        drop(Reply(Some(slot.clone())));
        let e = taken(&slot).unwrap().unwrap_err();
        assert_eq!(e.code().as_str(), "ProviderError");
    }
}
