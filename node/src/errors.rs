//! Core errors → JavaScript errors whose `.code` is the core's stable code.
//!
//! The package's entry (`main.js`) defines the error classes (`RdsIamError` and one subclass
//! per code) and hands this module a factory once per thread ([`set_error_factory`]): every
//! core error then becomes an instance of its class, with `.code` and `.provider`. Without one
//! (the native module loaded on its own) it is a plain `Error` with `.code`.

use napi::bindgen_prelude::*;
use napi::{Env, JsError, JsValue};
use napi_derive::napi;
use rds_iam::{Argument, Message, Surface};

use crate::napi_raw::{Raw, RawEnv};

pub(crate) struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// What the factory takes, as one array: the code, the message, the provider named (or `null`).
/// (napi-rs passes a tuple as a single array argument.)
type FactoryArgs = (&'static str, String, Option<String>);

/// The error classes' factory of this thread's JavaScript environment (its instance data).
struct ErrorFactory(FunctionRef<FactoryArgs, Unknown<'static>>);

/// Internal (called once by the package's entry): `factory([code, message, provider])` makes
/// the error thrown for a core error, an instance of the class of its code.
#[napi(
    js_name = "__setErrorFactory",
    ts_args_type = "factory: (args: [code: string, message: string, provider: string | null]) => Error"
)]
pub fn set_error_factory(
    env: Env,
    factory: Function<'_, FactoryArgs, Unknown<'static>>,
) -> napi::Result<()> {
    let reference = factory.create_ref()?;
    env.set_instance_data(ErrorFactory(reference), (), |_| {})
}

/// The core's error codes, in its order (`ErrorCode::ALL`): the package exports them as
/// `ERROR_CODES`.
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    rds_iam::ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

/// The error as a napi error carrying the code (becomes an `Error` with `.code`), its message
/// naming every option in JavaScript's spelling (`roleArn`, `signHost`).
pub(crate) fn code_error(e: &rds_iam::Error) -> napi::Error<Code> {
    // `.code` is the core's stable code, spelled as `ErrorCode::as_str` spells it.
    napi::Error::new(Code(e.code().as_str()), e.render(Surface::Node))
}

/// The JavaScript error value for `e`: from the factory when one was set, else a coded `Error`.
pub(crate) fn js_error_value<'env>(env: &'env Env, e: &rds_iam::Error) -> Unknown<'env> {
    if let Some(v) = from_factory(env, e) {
        // SAFETY: `v` is a handle of the current callback scope of `env` (the factory was just
        // called in it); the lifetime only ties it to that scope.
        return unsafe { Unknown::from_raw_unchecked(env.raw(), v) };
    }
    JsError::from(code_error(e)).into_unknown(*env)
}

/// The factory's error for `e`; `None` when no factory was set or it failed (then the caller
/// makes a plain coded `Error`: an error is never lost).
fn from_factory(env: &Env, e: &rds_iam::Error) -> Option<Raw> {
    let factory = env.get_instance_data::<ErrorFactory>().ok()??;
    let f = factory.0.borrow_back(env).ok()?;
    let args = (
        e.code().as_str(),
        e.render(Surface::Node),
        e.provider().map(str::to_owned),
    );
    f.call(args).ok().map(|v| v.raw())
}

/// [`js_error_value`] for the raw callbacks of `lean_methods`.
pub(crate) fn raw_error_value(env: RawEnv, e: &rds_iam::Error) -> Raw {
    let env = Env::from_raw(env);
    js_error_value(&env, e).raw()
}

/// A JavaScript error for `e`, as a napi error that rethrows it.
pub(crate) fn js_error(env: &Env, e: &rds_iam::Error) -> napi::Error {
    napi::Error::from(js_error_value(env, e))
}

/// An `InvalidArgument` error about `argument` (an option's `Param`, or another key's name).
pub(crate) fn invalid(
    env: &Env,
    argument: impl Into<Argument>,
    reason: impl Into<Message>,
) -> napi::Error {
    js_error(env, &rds_iam::Error::invalid_argument(argument, reason))
}

pub(crate) fn bad_endpoint(env: &Env, reason: impl Into<String>) -> napi::Error {
    js_error(
        env,
        &rds_iam::Error::InvalidEndpoint {
            reason: reason.into(),
        },
    )
}

/// Core result → napi result, with the error as a coded JavaScript `Error`.
pub(crate) trait OrThrow<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for rds_iam::Result<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| js_error(env, &e))
    }
}
