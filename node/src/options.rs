//! Reading options objects: every type is checked here, so no conversion can panic or fail
//! with a napi status code instead of one of ours.
//!
//! An options object is read in one pass over its keys (`for…in` keys, as before): each key is
//! matched against the known names and its value taken with the key handle in hand, so an
//! unknown key is refused and no property is looked up by a freshly created name.

use std::ptr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::{Env, JsDate, ValueType};
use rds_iam::{
    Argument, Credentials, Message, Param, SignOptions, SignerOptions, Surface, TokenKind,
};

use crate::errors::{bad_endpoint, invalid, js_error};
use crate::napi_raw::{self, Raw};

/// More known keys than any options object has (checked at compile time below).
const MAX_KEYS: usize = 24;

/// A key of an options object: an option of the core's table ([`Param`], spelt in camelCase)
/// or a key of an explicit credentials object.
pub(crate) trait Key: Copy + PartialEq + 'static {
    /// The key as JavaScript spells it.
    fn name(self) -> &'static str;
    /// What an error about its value is about.
    fn argument(self) -> Argument;
}

impl Key for Param {
    fn name(self) -> &'static str {
        self.spelling(Surface::Node)
    }
    fn argument(self) -> Argument {
        Argument::Param(self)
    }
}

/// A key of an explicit credentials object (`CREDENTIAL_KEYS`), of `signer.url()`'s options
/// (`URL_KEYS`) or of `proxy()`'s (`PROXY_KEYS`): named as JavaScript spells it.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct CredentialKey(&'static str);

impl Key for CredentialKey {
    fn name(self) -> &'static str {
        self.0
    }
    fn argument(self) -> Argument {
        Argument::Named(self.0)
    }
}

const ACCESS_KEY_ID: CredentialKey = CredentialKey("accessKeyId");
const SECRET_ACCESS_KEY: CredentialKey = CredentialKey("secretAccessKey");
const SESSION_TOKEN: CredentialKey = CredentialKey("sessionToken");
const EXPIRATION: CredentialKey = CredentialKey("expiration");

/// The keys of an explicit credentials object, in the order `signFields` takes their values.
pub(crate) const CREDENTIAL_KEYS: &[CredentialKey] =
    &[ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, EXPIRATION];

pub(crate) const URL_DATABASE: CredentialKey = CredentialKey("database");
pub(crate) const URL_DRIVER: CredentialKey = CredentialKey("driver");
pub(crate) const URL_CA: CredentialKey = CredentialKey("ca");
/// `url()`'s old name for `ca` (deprecated: `ca` is a path everywhere; main.js warns).
pub(crate) const URL_CA_FILE: CredentialKey = CredentialKey("caFile");

/// The keys of `signer.url()`'s options.
pub(crate) const URL_KEYS: &[CredentialKey] = &[URL_DATABASE, URL_DRIVER, URL_CA, URL_CA_FILE];

pub(crate) const PROXY_DATABASE: CredentialKey = CredentialKey("database");
pub(crate) const PROXY_USERS: CredentialKey = CredentialKey("users");
pub(crate) const PROXY_LISTEN: CredentialKey = CredentialKey("listen");
pub(crate) const PROXY_CA: CredentialKey = CredentialKey("ca");
pub(crate) const PROXY_CLIENT_TLS: CredentialKey = CredentialKey("clientTls");
pub(crate) const PROXY_CLIENT_TLS_REQUIRED: CredentialKey = CredentialKey("clientTlsRequired");
pub(crate) const PROXY_MAX_CONNECTIONS: CredentialKey = CredentialKey("maxConnections");
pub(crate) const PROXY_ENGINE: CredentialKey = CredentialKey("engine");

/// The keys of `proxy()`'s options (the core's `LocalProxyOptions`).
pub(crate) const PROXY_KEYS: &[CredentialKey] = &[
    PROXY_DATABASE,
    PROXY_USERS,
    PROXY_LISTEN,
    PROXY_CA,
    PROXY_CLIENT_TLS,
    PROXY_CLIENT_TLS_REQUIRED,
    PROXY_MAX_CONNECTIONS,
    PROXY_ENGINE,
];

pub(crate) const CLIENT_TLS_CERT: CredentialKey = CredentialKey("cert");
pub(crate) const CLIENT_TLS_KEY: CredentialKey = CredentialKey("key");

/// The keys of `clientTls` given as files.
pub(crate) const CLIENT_TLS_KEYS: &[CredentialKey] = &[CLIENT_TLS_CERT, CLIENT_TLS_KEY];

// Every key table an `Options` is read with fits its `MAX_KEYS` slots.
const _: () = assert!(
    SignerOptions::BINDING_PARAMS.len() <= MAX_KEYS
        && SignOptions::BINDING_PARAMS.len() <= MAX_KEYS
        && CREDENTIAL_KEYS.len() <= MAX_KEYS
        && PROXY_KEYS.len() <= MAX_KEYS
);

/// `key`, named in an error message.
fn named<K: Key>(key: K) -> Message {
    match key.argument() {
        Argument::Param(p) => Message::name(p),
        Argument::Named(n) => Message::text(format!("`{n}`")),
    }
}

pub(crate) fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        _ => "an unknown value",
    }
}

/// An options object: `undefined`/`null` properties count as absent; unknown keys are refused
/// (a misspelt option would otherwise be ignored silently).
pub(crate) struct Options<'env, K: Key> {
    env: &'env Env,
    what: Argument,
    known: &'static [K],
    /// The value of `known[i]`, or null when the key is not in the object.
    values: [Raw; MAX_KEYS],
}

impl<'env, K: Key> Options<'env, K> {
    /// Reads `value`, which must be an object with keys from `known` only; `what` names it in
    /// errors (`new Signer()`, `sign()`, or the option holding it).
    pub(crate) fn new(
        env: &'env Env,
        what: impl Into<Argument>,
        value: Option<Unknown<'env>>,
        known: &'static [K],
    ) -> napi::Result<Self> {
        let what = what.into();
        let Some(value) = value else {
            return Err(invalid(
                env,
                what,
                format!("pass an options object to {}", what.spelling(Surface::Node)),
            ));
        };
        let t = value.get_type()?;
        if t != ValueType::Object || value.is_array()? {
            let got = if t == ValueType::Object {
                "an array"
            } else {
                type_name(t)
            };
            return Err(invalid(
                env,
                what,
                format!("expected an options object, got {got}"),
            ));
        }
        let raw_env = env.raw();
        let obj = value.raw();
        let mut values = [ptr::null_mut(); MAX_KEYS];
        // SAFETY: a Node-API callback on this thread; `obj` is a handle of it.
        let keys = unsafe { napi_raw::property_names(raw_env, obj)? };
        for key in keys {
            // Known names are short: a longer key is unknown (and read in full below).
            let mut buf = [0u8; 32];
            // SAFETY: as above; `key` is a handle of this callback.
            let n = unsafe { napi_raw::utf8_prefix(raw_env, key, &mut buf)? };
            let name = &buf[..n];
            let slot = if n < buf.len() - 1 {
                known.iter().position(|k| k.name().as_bytes() == name)
            } else {
                None
            };
            let Some(slot) = slot else {
                // SAFETY: `key` is a live handle of this callback, and a string:
                // `napi_get_property_names` turns index keys into strings.
                let key: String = unsafe { Unknown::from_raw_unchecked(raw_env, key).cast()? };
                return Err(invalid(
                    env,
                    what,
                    format!(
                        "unknown option `{}`; the options are: {}",
                        key.escape_debug(),
                        known
                            .iter()
                            .map(|k| k.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            // SAFETY: as above.
            values[slot] = unsafe { napi_raw::property(raw_env, obj, key)? };
        }
        Ok(Options {
            env,
            what,
            known,
            values,
        })
    }

    /// Options already taken apart in JS: `values[i]` is the value of `known[i]`, `None` for
    /// one read another way (the caller checked that the object had no other keys).
    pub(crate) fn from_values(
        env: &'env Env,
        what: impl Into<Argument>,
        known: &'static [K],
        values: &[Option<Unknown<'env>>],
    ) -> Self {
        debug_assert_eq!(values.len(), known.len());
        let mut raw = [ptr::null_mut(); MAX_KEYS];
        for (slot, v) in raw.iter_mut().zip(values) {
            if let Some(v) = v {
                *slot = v.raw();
            }
        }
        Options {
            env,
            what: what.into(),
            known,
            values: raw,
        }
    }

    /// The env of the call these options came with.
    pub(crate) fn env(&self) -> &'env Env {
        self.env
    }

    fn raw(&self, key: K) -> napi::Result<Option<Unknown<'env>>> {
        let Some(i) = self.known.iter().position(|k| *k == key) else {
            return Ok(None);
        };
        let v = self.values[i];
        if v.is_null() {
            return Ok(None);
        }
        // SAFETY: a live handle of this callback scope.
        let v = unsafe { Unknown::from_raw_unchecked(self.env.raw(), v) };
        Ok(match v.get_type()? {
            ValueType::Undefined | ValueType::Null => None,
            _ => Some(v),
        })
    }

    /// The value of `key` as given (`None` when absent, `undefined` or `null`), for a shape
    /// read by its own code.
    pub(crate) fn value(&self, key: K) -> napi::Result<Option<Unknown<'env>>> {
        self.raw(key)
    }

    pub(crate) fn string(&self, key: K) -> napi::Result<Option<String>> {
        self.raw(key)?
            .map(|v| as_string(self.env, key.argument(), v))
            .transpose()
    }

    pub(crate) fn required_string(&self, key: K) -> napi::Result<String> {
        self.string(key)?.ok_or_else(|| {
            invalid(
                self.env,
                key.argument(),
                named(key).then(format!(
                    " is required in the options of {}",
                    self.what.spelling(Surface::Node)
                )),
            )
        })
    }

    fn number(&self, key: K) -> napi::Result<Option<f64>> {
        let Some(v) = self.raw(key)? else {
            return Ok(None);
        };
        let t = v.get_type()?;
        if t != ValueType::Number {
            return Err(invalid(
                self.env,
                key.argument(),
                format!("expected a number, got {}", type_name(t)),
            ));
        }
        // SAFETY: checked to be a number.
        let n: f64 = unsafe { v.cast()? };
        if !n.is_finite() {
            return Err(invalid(
                self.env,
                key.argument(),
                format!("{n} is not a finite number"),
            ));
        }
        Ok(Some(n))
    }

    /// A boolean.
    pub(crate) fn flag(&self, key: K) -> napi::Result<Option<bool>> {
        let Some(v) = self.raw(key)? else {
            return Ok(None);
        };
        let t = v.get_type()?;
        if t != ValueType::Boolean {
            return Err(invalid(
                self.env,
                key.argument(),
                format!("expected a boolean, got {}", type_name(t)),
            ));
        }
        // SAFETY: checked to be a boolean.
        Ok(Some(unsafe { v.cast::<bool>()? }))
    }

    /// A whole count; the core checks its range.
    pub(crate) fn count(&self, key: K) -> napi::Result<Option<u32>> {
        let Some(n) = self.number(key)? else {
            return Ok(None);
        };
        if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
            return Err(invalid(
                self.env,
                key.argument(),
                format!("{n} is not a whole number ≥ 0"),
            ));
        }
        Ok(Some(n as u32))
    }

    /// Seconds as a `Duration` (fractions allowed, never negative).
    pub(crate) fn seconds(&self, key: K) -> napi::Result<Option<Duration>> {
        let Some(n) = self.number(key)? else {
            return Ok(None);
        };
        Duration::try_from_secs_f64(n).map(Some).map_err(|_| {
            invalid(
                self.env,
                key.argument(),
                format!("{n} is not a duration in seconds (use a number ≥ 0)"),
            )
        })
    }

    pub(crate) fn date(&self, key: K) -> napi::Result<Option<SystemTime>> {
        self.raw(key)?
            .map(|v| as_time(self.env, key.argument(), v))
            .transpose()
    }
}

impl<'env> Options<'env, Param> {
    pub(crate) fn port(&self) -> napi::Result<Option<u16>> {
        let Some(v) = self.raw(Param::Port)? else {
            return Ok(None);
        };
        let n = match v.get_type()? {
            ValueType::Number => {
                // SAFETY: checked to be a number.
                unsafe { v.cast::<f64>()? }
            }
            // Ports often come from environment variables.
            ValueType::String => {
                // SAFETY: checked to be a string.
                let s: String = unsafe { v.cast()? };
                match s.trim().parse::<u32>() {
                    Ok(p) => f64::from(p),
                    Err(_) => {
                        return Err(bad_endpoint(
                            self.env,
                            format!("port `{}` is not a number", s.escape_debug()),
                        ))
                    }
                }
            }
            t => {
                return Err(invalid(
                    self.env,
                    Param::Port,
                    format!("expected a number, got {}", type_name(t)),
                ))
            }
        };
        if n.fract() != 0.0 || !(0.0..=65535.0).contains(&n) {
            return Err(bad_endpoint(
                self.env,
                format!(
                    "port {n} is not a TCP port; pass the port your database listens on (1-65535)"
                ),
            ));
        }
        Ok(Some(n as u16))
    }

    pub(crate) fn kind(&self) -> napi::Result<Option<TokenKind>> {
        let Some(kind) = self.string(Param::Kind)? else {
            return Ok(None);
        };
        kind.parse().map(Some).map_err(|e| js_error(self.env, &e))
    }

    /// The explicit credentials, if given.
    pub(crate) fn credentials(&self) -> napi::Result<Option<Credentials>> {
        let Some(v) = self.raw(Param::Credentials)? else {
            return Ok(None);
        };
        Options::new(self.env, Param::Credentials, Some(v), CREDENTIAL_KEYS)?
            .as_credentials()
            .map(Some)
    }

    /// `credentials` given as a function (an AWS SDK v3 identity provider): its provider.
    /// `None` for anything else, which [`Self::credentials`] reads.
    pub(crate) fn credential_provider(
        &self,
    ) -> napi::Result<Option<aws_credential_types::provider::SharedCredentialsProvider>> {
        match self.raw(Param::Credentials)? {
            Some(v) if v.get_type()? == ValueType::Function => {
                // SAFETY: checked to be a function.
                let f =
                    unsafe { v.cast::<Function<'_, (), Promise<crate::provider::Identity>>>()? };
                crate::provider::provider(f).map(Some)
            }
            _ => Ok(None),
        }
    }
}

impl<'env> Options<'env, CredentialKey> {
    /// These options as credentials (`CREDENTIAL_KEYS`).
    pub(crate) fn as_credentials(&self) -> napi::Result<Credentials> {
        let access_key_id = self.required_string(ACCESS_KEY_ID)?;
        let secret_access_key = self.required_string(SECRET_ACCESS_KEY)?;
        for (key, value) in [
            (ACCESS_KEY_ID, &access_key_id),
            (SECRET_ACCESS_KEY, &secret_access_key),
        ] {
            if value.is_empty() {
                return Err(invalid(
                    self.env,
                    key.argument(),
                    format!("`{}` is empty; pass the AWS key", key.name()),
                ));
            }
        }
        let session_token = self.string(SESSION_TOKEN)?.filter(|t| !t.is_empty());
        let expiration = self.date(EXPIRATION)?;
        Ok(Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
            "rds-iam-node",
        ))
    }
}

fn as_string(env: &Env, name: Argument, v: Unknown) -> napi::Result<String> {
    let t = v.get_type()?;
    if t != ValueType::String {
        return Err(invalid(
            env,
            name,
            format!("expected a string, got {}", type_name(t)),
        ));
    }
    // SAFETY: checked to be a string.
    unsafe { v.cast() }
}

fn as_time(env: &Env, name: Argument, v: Unknown) -> napi::Result<SystemTime> {
    if v.get_type()? != ValueType::Object || !v.is_date()? {
        return Err(invalid(env, name, "expected a Date"));
    }
    // SAFETY: checked to be a Date.
    let ms = unsafe { v.cast::<JsDate>()? }.value_of()?;
    time_from_ms(ms).ok_or_else(|| invalid(env, name, "the Date is invalid"))
}

pub(crate) fn time_from_ms(ms: f64) -> Option<SystemTime> {
    if !ms.is_finite() {
        return None;
    }
    let d = Duration::try_from_secs_f64(ms.abs() / 1000.0).ok()?;
    if ms >= 0.0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    }
}

/// A JavaScript `Date` on the way out.
pub struct Timestamp(pub(crate) SystemTime);

impl TypeName for Timestamp {
    fn type_name() -> &'static str {
        "Date"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Timestamp {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let ms = match val.0.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64() * 1000.0,
            Err(e) => -(e.duration().as_secs_f64() * 1000.0),
        };
        let env = Env::from_raw(env);
        let date = env.create_date(ms.trunc())?;
        Ok(date.raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_both_ways() {
        assert_eq!(time_from_ms(0.0), Some(UNIX_EPOCH));
        assert_eq!(
            time_from_ms(1_500.0),
            Some(UNIX_EPOCH + Duration::from_millis(1500))
        );
        assert_eq!(time_from_ms(f64::NAN), None);
        assert_eq!(time_from_ms(f64::INFINITY), None);
    }
}
