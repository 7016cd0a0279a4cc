//! Lean Node-API callbacks for the per-call hot paths, `signer.token()` and
//! `signer.tokenSync()`, and the function `signer.password` returns.
//!
//! napi-rs's generated glue for a `&self` method costs ~0.3 µs per call (a callback-info
//! object, a native-borrow scope registered in a process-wide map, a barrier) — more than the
//! cached token itself. These callbacks do only what the call needs: check that `this` is a
//! `Signer` (the same type-tag check napi-rs makes; `Signer` has no `&mut self` method, so no
//! borrow can conflict), ask the core, and hand back a one-byte string (tokens are ASCII) or a
//! Promise settled at once. They replace the generated methods on `Signer.prototype` when the
//! module loads ([`install`]); the declarations in [`crate::signer`] stay the typed API and
//! behave the same.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{sys, Env, JsError};

use crate::errors::code_error;
use crate::signer::{pending_promise, Signer};

type Raw = sys::napi_value;
const OK: sys::napi_status = sys::Status::napi_ok;

/// Puts the fast callbacks on `Signer.prototype` (run once per module instance, after the
/// generated classes are defined).
pub(crate) fn install(env: &Env, exports: &Object) -> napi::Result<()> {
    let env = env.raw();
    // SAFETY: plain Node-API calls on live handles during module init.
    unsafe {
        let class = get(env, exports.raw(), c"Signer")?;
        let proto = get(env, class, c"prototype")?;
        define_method(env, proto, c"token", token)?;
        define_method(env, proto, c"tokenSync", token_sync)?;
    }
    Ok(())
}

/// The function `signer.password` returns: `token()` of this signer (the `Signer` travels as
/// the function's data and is dropped when the function is collected).
///
/// # Safety
/// `env` must be the live env of the current callback.
pub(crate) unsafe fn password_function(
    env: sys::napi_env,
    signer: Arc<rds_iam::Signer>,
) -> napi::Result<Raw> {
    unsafe extern "C" fn drop_signer(
        _env: sys::napi_env,
        data: *mut std::ffi::c_void,
        _hint: *mut std::ffi::c_void,
    ) {
        drop(unsafe { Box::from_raw(data.cast::<Arc<rds_iam::Signer>>()) });
    }
    let data = Box::into_raw(Box::new(signer));
    let mut f = ptr::null_mut();
    unsafe {
        let made = status(
            sys::napi_create_function(
                env,
                c"password".as_ptr(),
                8,
                Some(password),
                data.cast(),
                &mut f,
            ),
            "creating the password function",
        )
        .and_then(|()| {
            status(
                sys::napi_add_finalizer(
                    env,
                    f,
                    data.cast(),
                    Some(drop_signer),
                    ptr::null_mut(),
                    ptr::null_mut(),
                ),
                "creating the password function",
            )
        });
        if let Err(e) = made {
            drop(Box::from_raw(data));
            return Err(e);
        }
    }
    Ok(f)
}

fn status(s: sys::napi_status, what: &str) -> napi::Result<()> {
    if s == OK {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::from(s),
            format!("{what} failed"),
        ))
    }
}

unsafe fn get(env: sys::napi_env, obj: Raw, name: &CStr) -> napi::Result<Raw> {
    let mut v = ptr::null_mut();
    status(
        unsafe { sys::napi_get_named_property(env, obj, name.as_ptr(), &mut v) },
        "reading a property",
    )?;
    Ok(v)
}

unsafe fn define_method(
    env: sys::napi_env,
    proto: Raw,
    name: &'static CStr,
    cb: unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> Raw,
) -> napi::Result<()> {
    let desc = sys::napi_property_descriptor {
        utf8name: name.as_ptr(),
        name: ptr::null_mut(),
        method: Some(cb),
        getter: None,
        setter: None,
        value: ptr::null_mut(),
        // as napi_define_class makes methods: writable, configurable, not enumerable
        attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
        data: ptr::null_mut(),
    };
    status(
        unsafe { sys::napi_define_properties(env, proto, 1, &desc) },
        "defining a method",
    )
}

/// The `Signer` behind `this`, or `None` when `this` is not one.
unsafe fn this_signer<'a>(env: sys::napi_env, info: sys::napi_callback_info) -> Option<&'a Signer> {
    unsafe {
        let mut this = ptr::null_mut();
        let mut argc = 0usize;
        if sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            ptr::null_mut(),
            &mut this,
            ptr::null_mut(),
        ) != OK
        {
            return None;
        }
        let mut t = 0;
        if sys::napi_typeof(env, this, &mut t) != OK || t != sys::ValueType::napi_object {
            return None;
        }
        let tag = <Signer as TypeTag>::type_tag();
        let mut tagged = false;
        if sys::napi_check_object_type_tag(env, this, &tag, &mut tagged) != OK || !tagged {
            return None;
        }
        let mut p = ptr::null_mut();
        if sys::napi_unwrap(env, this, &mut p) != OK || p.is_null() {
            return None;
        }
        // SAFETY: tagged as a Signer, so napi-rs wrapped a `Signer` there; `this` (and so the
        // wrapped value) stays alive for the whole callback.
        Some(&*(p as *const Signer))
    }
}

unsafe fn throw_type_error(env: sys::napi_env, msg: &CStr) -> Raw {
    unsafe { sys::napi_throw_type_error(env, ptr::null(), msg.as_ptr()) };
    ptr::null_mut()
}

unsafe fn throw(env: sys::napi_env, e: napi::Error) -> Raw {
    unsafe { JsError::from(e).throw_into(env) };
    ptr::null_mut()
}

/// A JavaScript string: one-byte (a copy, no UTF-8 decoding) for ASCII, as tokens are.
unsafe fn js_string(env: sys::napi_env, s: &str) -> napi::Result<Raw> {
    let mut v = ptr::null_mut();
    let p: *const c_char = s.as_ptr().cast();
    let st = unsafe {
        if s.is_ascii() {
            sys::napi_create_string_latin1(env, p, s.len() as isize, &mut v)
        } else {
            sys::napi_create_string_utf8(env, p, s.len() as isize, &mut v)
        }
    };
    status(st, "creating a string")?;
    Ok(v)
}

/// Runs a callback body; a panic becomes a thrown `Error` instead of an abort.
unsafe fn guarded(env: sys::napi_env, body: impl FnOnce() -> napi::Result<Raw>) -> Raw {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => unsafe { throw(env, e) },
        Err(_) => unsafe {
            throw(
                env,
                napi::Error::from_reason("rds-iam: internal error (a panic in the native addon)"),
            )
        },
    }
}

/// `signer.tokenSync()`.
unsafe extern "C" fn token_sync(env: sys::napi_env, info: sys::napi_callback_info) -> Raw {
    unsafe {
        let Some(signer) = this_signer(env, info) else {
            return throw_type_error(env, c"Illegal invocation");
        };
        guarded(env, || match signer.inner.token_blocking() {
            Ok(t) => js_string(env, &t),
            Err(e) => {
                JsError::from(code_error(&e)).throw_into(env);
                Ok(ptr::null_mut())
            }
        })
    }
}

/// `signer.token()`.
unsafe extern "C" fn token(env: sys::napi_env, info: sys::napi_callback_info) -> Raw {
    unsafe {
        let Some(signer) = this_signer(env, info) else {
            return throw_type_error(env, c"Illegal invocation");
        };
        guarded(env, || token_promise(env, &signer.inner))
    }
}

/// `signer.password(...)`: arguments and `this` ignored.
unsafe extern "C" fn password(env: sys::napi_env, info: sys::napi_callback_info) -> Raw {
    unsafe {
        let mut data = ptr::null_mut();
        let mut argc = 0usize;
        let st = sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut data,
        );
        if st != OK || data.is_null() {
            return throw_type_error(env, c"Illegal invocation");
        }
        // SAFETY: the data of this function: a live `Arc<Signer>` until it is collected.
        let signer = &*(data as *const Arc<rds_iam::Signer>);
        guarded(env, || token_promise(env, signer))
    }
}

/// A Promise of a token: settled before it is returned when credentials are cached.
unsafe fn token_promise(env: sys::napi_env, signer: &rds_iam::Signer) -> napi::Result<Raw> {
    unsafe {
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        signer.token_info_with(move |r| {
            let _ = tx.send(r);
        });
        let settled = match rx.try_recv() {
            Ok(r) => r,
            Err(_) => {
                let env = Env::from_raw(env);
                return Ok(pending_promise(&env, rx, |t| t.token)?.raw());
            }
        };
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        status(
            sys::napi_create_promise(env, &mut deferred, &mut promise),
            "creating a Promise",
        )?;
        match settled {
            Ok(t) => {
                let s = js_string(env, &t.token)?;
                status(
                    sys::napi_resolve_deferred(env, deferred, s),
                    "resolving a Promise",
                )?;
            }
            Err(e) => {
                let err = JsError::from(code_error(&e)).into_value(env);
                status(
                    sys::napi_reject_deferred(env, deferred, err),
                    "rejecting a Promise",
                )?;
            }
        }
        Ok(promise)
    }
}
