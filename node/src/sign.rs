//! `sign({...})`: one token from explicit credentials and time, no cache, no I/O.

use std::time::SystemTime;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use rds_iam::{Credentials, TokenKind};

use crate::errors::{invalid, OrThrow};
use crate::options::{Options, CREDENTIAL_OPTIONS};

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
    let credentials = o
        .credentials("credentials")?
        .ok_or_else(|| invalid(env, "credentials", "`credentials` is required by sign()"))?;
    sign_with(&o, credentials)
}

/// `sign()` for `node/js/sign.js`, which has checked that the options and the credentials
/// objects hold only known keys and passes their values in `SIGN_OPTIONS` order (credentials
/// spread in `CREDENTIAL_OPTIONS` order). Reading eleven arguments costs a fraction of
/// enumerating two objects' keys through Node-API; every conversion and error is the same.
#[napi(js_name = "signFields", skip_typescript)]
#[allow(clippy::too_many_arguments)]
pub fn sign_fields<'env>(
    env: &'env Env,
    host: Unknown<'env>,
    port: Unknown<'env>,
    user: Unknown<'env>,
    region: Unknown<'env>,
    access_key_id: Unknown<'env>,
    secret_access_key: Unknown<'env>,
    session_token: Unknown<'env>,
    expiration: Unknown<'env>,
    at: Unknown<'env>,
    kind: Unknown<'env>,
    expires_in: Unknown<'env>,
) -> napi::Result<String> {
    let credentials = Options::from_values(
        env,
        "credentials",
        CREDENTIAL_OPTIONS,
        &[
            Some(access_key_id),
            Some(secret_access_key),
            Some(session_token),
            Some(expiration),
        ],
    )
    .as_credentials()?;
    // The credentials slot stays empty: they are read above.
    let o = Options::from_values(
        env,
        "sign()",
        SIGN_OPTIONS,
        &[
            Some(host),
            Some(port),
            Some(user),
            Some(region),
            None,
            Some(at),
            Some(kind),
            Some(expires_in),
        ],
    );
    sign_with(&o, credentials)
}

fn sign_with(o: &Options, credentials: Credentials) -> napi::Result<String> {
    let env = o.env();
    let host = o.required_string("host")?;
    let endpoint = rds_iam::Endpoint::parse(&host, o.port()?).or_throw(env)?;
    let user = o.string("user")?;
    let region = o.string("region")?;
    let at = o.date("at")?.unwrap_or_else(SystemTime::now);
    let kind = o.kind()?.unwrap_or(TokenKind::Rds);
    let mut spec = rds_iam::TokenSpec::new(kind, endpoint, user.as_deref(), region.as_deref())
        .or_throw(env)?;
    if let Some(e) = o.seconds("expiresIn")? {
        spec = spec.with_expires_in(e).or_throw(env)?;
    }
    rds_iam::sign(&spec, &credentials, at).or_throw(env)
}
