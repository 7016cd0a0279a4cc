//! `sign({...})`: one token from explicit credentials and time, no cache, no I/O.

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use rds_iam::{Credentials, Param, SignOptions, SignerOptions, Surface};

use crate::errors::OrThrow;
use crate::options::{Key, Options, CREDENTIAL_KEYS};

/// The options' keys, in camelCase from the core's table: `sign.js` reads them at load (so its
/// checks and the native reading share one list) and the tests check the types against them.
#[napi(js_name = "optionKeys", skip_typescript)]
pub fn option_keys(env: &Env) -> napi::Result<Object<'_>> {
    let node = |params: &[Param]| -> Vec<&'static str> {
        params.iter().map(|p| p.spelling(Surface::Node)).collect()
    };
    let mut o = Object::new(env)?;
    o.set("signer", node(SignerOptions::BINDING_PARAMS))?;
    o.set("sign", node(SignOptions::BINDING_PARAMS))?;
    o.set(
        "credentials",
        CREDENTIAL_KEYS.iter().map(|k| k.name()).collect::<Vec<_>>(),
    )?;
    Ok(o)
}

/// Signs one token with explicit credentials and time: no cache, no I/O. The result is
/// byte-for-byte what botocore's `generate_db_auth_token` (or the DSQL equivalents) returns.
#[napi]
pub fn sign(
    env: &Env,
    #[napi(ts_arg_type = "SignOptions")] options: Unknown,
) -> napi::Result<String> {
    let o = Options::new(env, "sign()", Some(options), SignOptions::BINDING_PARAMS)?;
    let credentials = o.credentials()?;
    sign_with(&o, credentials)
}

/// `sign()` for `node/js/sign.js`, which has checked that the options and the credentials
/// objects hold only known keys and passes their values in `SignOptions::BINDING_PARAMS` order
/// (credentials spread in `CREDENTIAL_KEYS` order). Reading eleven arguments costs a fraction of
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
        Param::Credentials,
        CREDENTIAL_KEYS,
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
        SignOptions::BINDING_PARAMS,
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
    sign_with(&o, Some(credentials))
}

/// Reads the options (credentials read already) into the core's `SignOptions` and signs.
fn sign_with(o: &Options<Param>, credentials: Option<Credentials>) -> napi::Result<String> {
    let mut so = SignOptions::new(o.required_string(Param::Host)?);
    so.port = o.port()?;
    so.user = o.string(Param::User)?;
    so.region = o.string(Param::Region)?;
    so.credentials = credentials;
    so.at = o.date(Param::At)?;
    so.kind = o.kind()?;
    so.expires_in = o.seconds(Param::ExpiresIn)?;
    so.sign().or_throw(o.env())
}
