//! Core errors → JavaScript `Error`s whose `.code` is the core's stable code.

use napi::bindgen_prelude::*;
use napi::{Env, JsError};
use rds_iam::{Argument, Message, Surface};

pub(crate) struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// The error as a napi error carrying the code (becomes an `Error` with `.code`), its message
/// naming every option in JavaScript's spelling (`roleArn`, `signHost`).
pub(crate) fn code_error(e: &rds_iam::Error) -> napi::Error<Code> {
    // `.code` is the core's stable code, spelled as `ErrorCode::as_str` spells it.
    napi::Error::new(Code(e.code().as_str()), e.render(Surface::Node))
}

/// A JavaScript `Error` with `.code` and the core's message, as a napi error that rethrows it.
pub(crate) fn js_error(env: &Env, e: &rds_iam::Error) -> napi::Error {
    napi::Error::from(JsError::from(code_error(e)).into_unknown(*env))
}

/// The JavaScript `Error` value itself (to reject a Promise with).
pub(crate) fn js_error_value<'env>(env: &'env Env, e: &rds_iam::Error) -> Unknown<'env> {
    JsError::from(code_error(e)).into_unknown(*env)
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
