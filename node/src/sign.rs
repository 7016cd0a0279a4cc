//! `sign({...})`: one token from explicit credentials and time, no cache, no I/O.

use std::time::SystemTime;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use rds_iam::TokenKind;

use crate::errors::{invalid, OrThrow};
use crate::options::Options;

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
