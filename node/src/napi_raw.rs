//! Every raw Node-API (`napi_*`) call of the addon, each behind a small wrapper, and the one
//! status check ([`check`]). The rest of the binding goes through napi-rs's safe types, or
//! through these.
//!
//! The wrappers are `unsafe fn`s for one shared reason, stated once here and referred to as
//! **the callback contract**: `env` must be the live env of the Node-API callback (or module
//! init) running on this thread, and every `Raw` handle passed in must be a handle of that
//! callback's scope. Node-API gives no way to check either; everything else (status codes,
//! null results, value types) is checked here.

use std::ffi::{c_char, c_void, CStr};
use std::ptr;

use napi::bindgen_prelude::TypeTag;
use napi::{sys, JsError};

/// A JavaScript value handle of the current callback scope.
pub(crate) type Raw = sys::napi_value;
/// The env of the current callback.
pub(crate) type RawEnv = sys::napi_env;
/// The call's `this`, arguments and function data, as Node-API hands them to a callback.
pub(crate) type RawInfo = sys::napi_callback_info;
/// A function body as Node-API calls it.
pub(crate) type Callback = unsafe extern "C" fn(RawEnv, RawInfo) -> Raw;

/// The one status check: `napi_ok`, or an error naming what failed.
pub(crate) fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::from(status),
            format!("{what} failed"),
        ))
    }
}

/// `obj[name]`.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn named_property(env: RawEnv, obj: Raw, name: &CStr) -> napi::Result<Raw> {
    let mut v = ptr::null_mut();
    // SAFETY: the caller's contract; `name` is NUL-terminated, `v` a valid out-pointer.
    let s = unsafe { sys::napi_get_named_property(env, obj, name.as_ptr(), &mut v) };
    check(s, "reading a property")?;
    Ok(v)
}

/// `obj[key]` for a key handle.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn property(env: RawEnv, obj: Raw, key: Raw) -> napi::Result<Raw> {
    let mut v = ptr::null_mut();
    // SAFETY: the caller's contract; `v` is a valid out-pointer.
    let s = unsafe { sys::napi_get_property(env, obj, key, &mut v) };
    check(s, "reading an option")?;
    Ok(v)
}

/// The `for…in` keys of `obj` (own and inherited enumerable string keys), as handles.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn property_names(env: RawEnv, obj: Raw) -> napi::Result<Vec<Raw>> {
    let mut keys = ptr::null_mut();
    // SAFETY: the caller's contract; `keys` is a valid out-pointer.
    let s = unsafe { sys::napi_get_property_names(env, obj, &mut keys) };
    check(s, "reading the option names")?;
    let mut len = 0u32;
    // SAFETY: `keys` is the array handle just made in this scope.
    let s = unsafe { sys::napi_get_array_length(env, keys, &mut len) };
    check(s, "reading the option names")?;
    (0..len)
        .map(|i| {
            let mut key = ptr::null_mut();
            // SAFETY: `keys` is a live array handle; `key` a valid out-pointer.
            let s = unsafe { sys::napi_get_element(env, keys, i, &mut key) };
            check(s, "reading an option name")?;
            Ok(key)
        })
        .collect()
}

/// The UTF-8 bytes of the string `s` that fit in `buf` (one byte is kept for a NUL), and their
/// count: `buf.len() - 1` bytes means the string may be longer.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn utf8_prefix(env: RawEnv, s: Raw, buf: &mut [u8]) -> napi::Result<usize> {
    let mut n = 0usize;
    // SAFETY: the caller's contract; `buf` is writable for `buf.len()` bytes, `n` an out-pointer.
    let st = unsafe {
        sys::napi_get_value_string_utf8(env, s, buf.as_mut_ptr().cast(), buf.len(), &mut n)
    };
    check(st, "reading an option name")?;
    Ok(n)
}

/// Defines the method `name` on `obj` as `napi_define_class` does: writable, configurable, not
/// enumerable.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn define_method(
    env: RawEnv,
    obj: Raw,
    name: &'static CStr,
    cb: Callback,
) -> napi::Result<()> {
    let desc = sys::napi_property_descriptor {
        utf8name: name.as_ptr(),
        name: ptr::null_mut(),
        method: Some(cb),
        getter: None,
        setter: None,
        value: ptr::null_mut(),
        attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
        data: ptr::null_mut(),
    };
    // SAFETY: the caller's contract; `desc` is one valid descriptor whose name is 'static.
    check(
        unsafe { sys::napi_define_properties(env, obj, 1, &desc) },
        "defining a method",
    )
}

/// Defines `obj[name] = value` as an own, read-only, non-enumerable property. `Ok(false)` when
/// the object refuses it without throwing (a frozen or sealed object): the caller goes on
/// without it.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn define_own_value(
    env: RawEnv,
    obj: Raw,
    name: &'static CStr,
    value: Raw,
) -> napi::Result<bool> {
    let desc = sys::napi_property_descriptor {
        utf8name: name.as_ptr(),
        name: ptr::null_mut(),
        method: None,
        getter: None,
        setter: None,
        value,
        attributes: sys::PropertyAttributes::default,
        data: ptr::null_mut(),
    };
    // SAFETY: the caller's contract; `desc` is one valid descriptor whose name is 'static.
    let s = unsafe { sys::napi_define_properties(env, obj, 1, &desc) };
    if s == sys::Status::napi_ok {
        return Ok(true);
    }
    let mut pending = false;
    // SAFETY: the caller's contract; `pending` is a valid out-pointer.
    let pending_status = unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    check(pending_status, "defining a property")?;
    if pending {
        // The exception stays pending and is what JavaScript sees.
        check(s, "defining a property")?;
    }
    Ok(false)
}

/// The `this` and the data pointer of the current call (`None` where napi says so or the value
/// is null).
///
/// # Safety
/// The callback contract (module docs), with `info` the current callback's info.
unsafe fn callback_info(env: RawEnv, info: RawInfo) -> Option<(Raw, *mut c_void)> {
    let mut this = ptr::null_mut();
    let mut data = ptr::null_mut();
    let mut argc = 0usize;
    // SAFETY: the caller's contract; argc 0 and a null argv read no arguments.
    let s = unsafe {
        sys::napi_get_cb_info(env, info, &mut argc, ptr::null_mut(), &mut this, &mut data)
    };
    (s == sys::Status::napi_ok).then_some((this, data))
}

/// The `this` of the current call.
///
/// # Safety
/// The callback contract (module docs), with `info` the current callback's info.
pub(crate) unsafe fn callback_this(env: RawEnv, info: RawInfo) -> Option<Raw> {
    // SAFETY: the caller's contract.
    let (this, _) = unsafe { callback_info(env, info) }?;
    (!this.is_null()).then_some(this)
}

/// The data pointer the current function was created with (null when none).
///
/// # Safety
/// The callback contract (module docs), with `info` the current callback's info.
unsafe fn callback_data(env: RawEnv, info: RawInfo) -> Option<*mut c_void> {
    // SAFETY: the caller's contract.
    let (_, data) = unsafe { callback_info(env, info) }?;
    (!data.is_null()).then_some(data)
}

/// The `T` napi-rs wrapped in `value`, or `None` when `value` is not an object napi-rs tagged
/// as a `T` (the same type-tag check napi-rs's generated methods make). The reference is good
/// while `value` is alive, which the caller ties to the current callback.
///
/// # Safety
/// The callback contract (module docs); `T` must be a `#[napi]` class (napi-rs tags each
/// wrapped instance with `T::type_tag()` and wraps a `T` there), and the caller must not keep
/// the reference past the current callback.
pub(crate) unsafe fn unwrap_tagged<'a, T: TypeTag>(env: RawEnv, value: Raw) -> Option<&'a T> {
    let mut t = 0;
    // SAFETY: the caller's contract; `t` is a valid out-pointer.
    if unsafe { sys::napi_typeof(env, value, &mut t) } != sys::Status::napi_ok
        || t != sys::ValueType::napi_object
    {
        return None;
    }
    let tag = T::type_tag();
    let mut tagged = false;
    // SAFETY: `value` is a live object handle; `tag` and `tagged` live for the call.
    let s = unsafe { sys::napi_check_object_type_tag(env, value, &tag, &mut tagged) };
    if s != sys::Status::napi_ok || !tagged {
        return None;
    }
    let mut p = ptr::null_mut();
    // SAFETY: `value` is a live object handle; `p` a valid out-pointer.
    if unsafe { sys::napi_unwrap(env, value, &mut p) } != sys::Status::napi_ok || p.is_null() {
        return None;
    }
    // SAFETY: tagged as a `T`, so napi-rs wrapped a `T` there (the caller's contract on `T`);
    // the object, and so the wrapped value, stays alive while the caller holds `value`, and
    // napi-rs hands out no `&mut T` for a class without `&mut self` methods.
    Some(unsafe { &*p.cast::<T>() })
}

/// Throws a `TypeError` with `msg`; returns the null handle a callback then returns.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn throw_type_error(env: RawEnv, msg: &CStr) -> Raw {
    // SAFETY: the caller's contract; a null code and a NUL-terminated message.
    unsafe { sys::napi_throw_type_error(env, ptr::null(), msg.as_ptr()) };
    ptr::null_mut()
}

/// Throws `e` (a coded error keeps its `.code`); returns the null handle a callback returns.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn throw<S: AsRef<str>>(env: RawEnv, e: napi::Error<S>) -> Raw {
    // SAFETY: the caller's contract (napi-rs asks only for a live env).
    unsafe { JsError::from(e).throw_into(env) };
    ptr::null_mut()
}

/// Throws `value` (an error made by `errors`); returns the null handle a callback returns.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn throw_value(env: RawEnv, value: Raw) -> Raw {
    // SAFETY: the caller's contract; `value` is a handle of this scope. A failed throw leaves
    // nothing pending, and the callback then returns `undefined`: nothing better can be done.
    unsafe { sys::napi_throw(env, value) };
    ptr::null_mut()
}

/// A JavaScript string: one-byte (a copy, no UTF-8 decoding) for ASCII, as tokens are.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn string(env: RawEnv, s: &str) -> napi::Result<Raw> {
    let mut v = ptr::null_mut();
    let p: *const c_char = s.as_ptr().cast();
    let len = s.len() as isize; // a &str is never longer than isize::MAX
                                // SAFETY: the caller's contract; `p` points at `len` initialised bytes, valid Latin-1 when
                                // ASCII and valid UTF-8 always.
    let st = unsafe {
        if s.is_ascii() {
            sys::napi_create_string_latin1(env, p, len, &mut v)
        } else {
            sys::napi_create_string_utf8(env, p, len, &mut v)
        }
    };
    check(st, "creating a string")?;
    Ok(v)
}

/// A Promise settled before it is returned: fulfilled with `Ok`'s value, rejected with `Err`'s.
///
/// # Safety
/// The callback contract (module docs).
pub(crate) unsafe fn settled_promise(env: RawEnv, outcome: Result<Raw, Raw>) -> napi::Result<Raw> {
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: the caller's contract; two valid out-pointers.
    let s = unsafe { sys::napi_create_promise(env, &mut deferred, &mut promise) };
    check(s, "creating a Promise")?;
    // SAFETY: `deferred` was just made and is settled exactly once, here.
    let st = unsafe {
        match outcome {
            Ok(v) => sys::napi_resolve_deferred(env, deferred, v),
            Err(e) => sys::napi_reject_deferred(env, deferred, e),
        }
    };
    check(st, "settling a Promise")?;
    Ok(promise)
}

/// A function named `name` that runs `cb` and owns `data` (freed when the function is
/// collected); `cb` reads it back with [`function_data`].
///
/// # Safety
/// The callback contract (module docs); `cb` must read the data only as a `T`.
pub(crate) unsafe fn function_owning<T: 'static>(
    env: RawEnv,
    name: &'static CStr,
    cb: Callback,
    data: T,
) -> napi::Result<Raw> {
    unsafe extern "C" fn drop_data<T>(_env: RawEnv, data: *mut c_void, _hint: *mut c_void) {
        // SAFETY: `data` is the `Box<T>` leaked below; Node-API finalizes it exactly once.
        drop(unsafe { Box::from_raw(data.cast::<T>()) });
    }
    let data = Box::into_raw(Box::new(data));
    let mut f = ptr::null_mut();
    let len = name.to_bytes().len() as isize;
    // SAFETY: the caller's contract; `name` has `len` bytes; `data` lives until finalized.
    let mut st = unsafe {
        sys::napi_create_function(env, name.as_ptr(), len, Some(cb), data.cast(), &mut f)
    };
    if st == sys::Status::napi_ok {
        // SAFETY: `f` is the function just made; `drop_data::<T>` frees `data` as a `Box<T>`.
        st = unsafe {
            sys::napi_add_finalizer(
                env,
                f,
                data.cast(),
                Some(drop_data::<T>),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
    }
    if let Err(e) = check(st, "creating a function") {
        // SAFETY: no finalizer owns `data` (adding it failed or was never tried).
        drop(unsafe { Box::from_raw(data) });
        return Err(e);
    }
    Ok(f)
}

/// The data a function made by [`function_owning`] owns, borrowed for the current call.
///
/// # Safety
/// The callback contract (module docs); the running function must have been made by
/// [`function_owning`] with a `T`.
pub(crate) unsafe fn function_data<'a, T: 'static>(env: RawEnv, info: RawInfo) -> Option<&'a T> {
    // SAFETY: the caller's contract.
    let data = unsafe { callback_data(env, info) }?;
    // SAFETY: `function_owning` made `data` a `Box<T>` that the running function keeps alive
    // until it is collected, which cannot happen while it runs.
    Some(unsafe { &*data.cast::<T>() })
}
