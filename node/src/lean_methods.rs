//! Lean Node-API callbacks for the per-call hot paths, `signer.token()` and
//! `signer.tokenSync()`, and the function `signer.password` returns.
//!
//! napi-rs's generated glue for a `&self` method costs ~0.3 µs per call (a callback-info
//! object, a native-borrow scope registered in a process-wide map, a barrier) — more than the
//! cached token itself. These callbacks do only what the call needs: check that `this` is the
//! class holding the signer (the same type-tag check napi-rs makes), ask the core, and hand back
//! a one-byte string (tokens are ASCII) or a Promise, settled at once when credentials are
//! cached. [`crate::signer`] installs them over the generated methods when the module loads;
//! its declarations stay the typed API and behave the same.
//!
//! This module knows the class only through [`HoldsSigner`], so it does not import the class.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use napi::bindgen_prelude::TypeTag;
use napi::Env;

use crate::errors::raw_error_value;
use crate::napi_raw::{self, Raw, RawEnv, RawInfo};
use crate::token_promise::{self, Promised};

/// A `#[napi]` class wrapping a core signer (`Signer`). It must have no `&mut self` method, so
/// a shared borrow taken in a lean callback cannot conflict with one of napi-rs's.
pub(crate) trait HoldsSigner: TypeTag + 'static {
    /// The core signer.
    fn core(&self) -> &rds_iam::Signer;
}

/// Puts `token` and `tokenSync` on `prototype` (the class's prototype, at module init).
pub(crate) fn install<S: HoldsSigner>(env: &Env, prototype: Raw) -> napi::Result<()> {
    // SAFETY: module init is a Node-API callback on this thread, `prototype` a handle of it.
    unsafe {
        napi_raw::define_method(env.raw(), prototype, c"token", token::<S>)?;
        napi_raw::define_method(env.raw(), prototype, c"tokenSync", token_sync::<S>)
    }
}

/// The function `signer.password` returns: `token()` of `signer`, which travels as the
/// function's data (dropped when the function is collected). Its `this` and arguments are
/// ignored, as drivers call it in their own ways.
pub(crate) fn password_function(env: &Env, signer: Arc<rds_iam::Signer>) -> napi::Result<Raw> {
    // SAFETY: called from a getter, a Node-API callback on this thread; `password` reads its
    // data as the `Arc<rds_iam::Signer>` given here.
    unsafe { napi_raw::function_owning(env.raw(), c"password", password, signer) }
}

/// The `S` behind the current call's `this`, or `None` when `this` is not one.
///
/// # Safety
/// `env` and `info` are the current callback's; the reference is used only during it.
unsafe fn this_signer<'a, S: HoldsSigner>(env: RawEnv, info: RawInfo) -> Option<&'a S> {
    // SAFETY: the caller's contract; `S` is a `#[napi]` class (the trait's contract).
    unsafe {
        let this = napi_raw::callback_this(env, info)?;
        napi_raw::unwrap_tagged::<S>(env, this)
    }
}

/// Runs a callback body; an `Err` is thrown, a panic becomes a thrown `Error` (never an abort).
///
/// # Safety
/// `env` is the current callback's.
unsafe fn guarded(env: RawEnv, body: impl FnOnce() -> napi::Result<Raw>) -> Raw {
    let e = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => return v,
        Ok(Err(e)) => e,
        Err(_) => napi::Error::from_reason("rds-iam: internal error (a panic in the native addon)"),
    };
    // SAFETY: the caller's contract.
    unsafe { napi_raw::throw(env, e) }
}

/// `signer.tokenSync()`.
unsafe extern "C" fn token_sync<S: HoldsSigner>(env: RawEnv, info: RawInfo) -> Raw {
    // SAFETY: Node-API calls this with the live env and info of this call.
    let Some(signer) = (unsafe { this_signer::<S>(env, info) }) else {
        // SAFETY: as above.
        return unsafe { napi_raw::throw_type_error(env, c"Illegal invocation") };
    };
    let body = || match signer.core().token_blocking() {
        // SAFETY: as above.
        Ok(t) => unsafe { napi_raw::string(env, &t) },
        // SAFETY: as above.
        Err(e) => Ok(unsafe { napi_raw::throw_value(env, raw_error_value(env, &e)) }),
    };
    // SAFETY: as above.
    unsafe { guarded(env, body) }
}

/// `signer.token()`.
unsafe extern "C" fn token<S: HoldsSigner>(env: RawEnv, info: RawInfo) -> Raw {
    // SAFETY: Node-API calls this with the live env and info of this call.
    let Some(signer) = (unsafe { this_signer::<S>(env, info) }) else {
        // SAFETY: as above.
        return unsafe { napi_raw::throw_type_error(env, c"Illegal invocation") };
    };
    // SAFETY: as above.
    unsafe { guarded(env, || token_promise(env, signer.core())) }
}

/// The function `signer.password` returns.
unsafe extern "C" fn password(env: RawEnv, info: RawInfo) -> Raw {
    // SAFETY: Node-API calls this with the live env and info of this call; the function was
    // made by `password_function` with an `Arc<rds_iam::Signer>`.
    let Some(signer) = (unsafe { napi_raw::function_data::<Arc<rds_iam::Signer>>(env, info) })
    else {
        // SAFETY: as above.
        return unsafe { napi_raw::throw_type_error(env, c"Illegal invocation") };
    };
    // SAFETY: as above.
    unsafe { guarded(env, || token_promise(env, signer)) }
}

/// A Promise of a token, as a raw handle.
///
/// # Safety
/// `env` is the current callback's.
unsafe fn token_promise(env: RawEnv, signer: &rds_iam::Signer) -> napi::Result<Raw> {
    let outcome = match token_promise::promise(&Env::from_raw(env), signer, |t| t.token)? {
        Promised::Later(p) => return Ok(p),
        // SAFETY: the caller's contract.
        Promised::Now(Ok(t)) => Ok(unsafe { napi_raw::string(env, &t)? }),
        // SAFETY: the caller's contract.
        Promised::Now(Err(e)) => Err(raw_error_value(env, &e)),
    };
    // SAFETY: the caller's contract.
    unsafe { napi_raw::settled_promise(env, outcome) }
}
