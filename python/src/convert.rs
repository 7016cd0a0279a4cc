//! Python arguments → core types: ports, durations, datetimes, token kinds, credentials.
//!
//! Wrong Python types raise `TypeError`; values of the right type that cannot be used raise the
//! core's `InvalidArgument` / `InvalidEndpoint`. Messages name keys and types, never values of
//! credentials.

use std::time::{Duration, SystemTime};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDateTime, PyDelta, PyDict, PyFloat, PyInt, PyMapping, PyString};

use rds_iam::{Argument, Credentials, Param, Surface, TokenKind};

use crate::errors::{invalid_argument, invalid_endpoint, to_py};

/// The name of `obj`'s type, for `TypeError` messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// `None` (or absent) as `None`.
fn given<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

/// A port: an `int` (not `bool`) from 1 to 65535. Port 0 is left to the core to reject.
pub(crate) fn port(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u16>> {
    let Some(obj) = given(obj) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "port must be an int, not {}",
            type_name(obj)
        )));
    }
    match obj.extract::<i64>() {
        Ok(p) if (0..=65535).contains(&p) => Ok(Some(p as u16)),
        _ => Err(invalid_endpoint(format!(
            "port {} is not a number from 1 to 65535",
            obj.str().map_or_else(|_| "?".to_owned(), |s| s.to_string())
        ))),
    }
}

/// A duration: seconds as `int`/`float`, or a `datetime.timedelta`; `None` when absent.
pub(crate) fn duration(param: Param, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(obj) = given(obj) else {
        return Ok(None);
    };
    // Numbers first: checking for a timedelta imports `datetime`.
    let secs: f64 = if !obj.is_instance_of::<PyBool>()
        && (obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>())
    {
        obj.extract()?
    } else if obj.is_instance_of::<PyDelta>() {
        obj.call_method0("total_seconds")?.extract()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{} must be seconds (int or float) or a datetime.timedelta, not {}",
            param.spelling(Surface::Python),
            type_name(obj)
        )));
    };
    // The core gives the real bounds of each option; this only refuses what is no duration.
    Duration::try_from_secs_f64(secs).map(Some).map_err(|_| {
        invalid_argument(
            param,
            format!("{secs} s is not a duration; use a number of seconds ≥ 0"),
        )
    })
}

/// An aware `datetime.datetime`, as the instant it names.
pub(crate) fn time(argument: impl Into<Argument>, obj: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let argument = argument.into();
    let name = argument.spelling(Surface::Python);
    if !obj.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a datetime.datetime, not {}",
            type_name(obj)
        )));
    }
    if obj.call_method0("utcoffset")?.is_none() {
        return Err(invalid_argument(
            argument,
            "a naive datetime is ambiguous; pass an aware one, e.g. datetime.now(timezone.utc)",
        ));
    }
    obj.extract::<SystemTime>()
        .map_err(|_| invalid_argument(argument, "the time must be after 1970-01-01T00:00:00Z"))
}

/// A token kind by the core's names (`"rds"`, `"dsql_connect"`, `"dsql_admin"`,
/// `"elasticache"`, `"elasticache-serverless"`, `"memorydb"`).
pub(crate) fn kind(kind: &str) -> PyResult<TokenKind> {
    kind.parse().map_err(to_py)
}

const CREDENTIAL_KEYS: [&str; 4] = [
    "access_key_id",
    "secret_access_key",
    "session_token",
    "expires_at",
];

/// Explicit credentials from a mapping `{access_key_id, secret_access_key, session_token?,
/// expires_at?}`, read in one pass over its items (a `dict`'s without building a list).
pub(crate) fn credentials<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Credentials> {
    let mut values: [Option<Bound<'py, PyAny>>; 4] = Default::default();
    let mut take = |key: Bound<'py, PyAny>, value: Bound<'py, PyAny>| -> PyResult<()> {
        let slot = key
            .cast::<PyString>()
            .ok()
            .and_then(|k| k.to_cow().ok())
            .and_then(|k| CREDENTIAL_KEYS.iter().position(|name| *name == k));
        let Some(slot) = slot else {
            let shown = key.str().map_or_else(|_| "?".to_owned(), |s| s.to_string());
            return Err(invalid_argument(
                Param::Credentials,
                format!(
                    "unknown key `{}`; the keys are {}",
                    shown.escape_debug(),
                    CREDENTIAL_KEYS.join(", ")
                ),
            ));
        };
        values[slot] = Some(value).filter(|v| !v.is_none());
        Ok(())
    };
    if let Ok(dict) = obj.cast::<PyDict>() {
        for (key, value) in dict.iter() {
            take(key, value)?;
        }
    } else {
        let map = obj.cast::<PyMapping>().map_err(|_| {
            PyTypeError::new_err(format!(
                "credentials must be a mapping with access_key_id and secret_access_key, not {}",
                type_name(obj)
            ))
        })?;
        for item in map.items()?.iter() {
            let (key, value) = item.extract()?;
            take(key, value)?;
        }
    }
    let [access_key_id, secret_access_key, session_token, expires_at] = values;
    let text = |key: &'static str, value: Option<Bound<'py, PyAny>>, required: bool| match value {
        Some(v) => v.extract::<String>().map(Some).map_err(|_| {
            PyTypeError::new_err(format!(
                "credentials[\"{key}\"] must be a str, not {}",
                type_name(&v)
            ))
        }),
        None if required => Err(invalid_argument(
            Param::Credentials,
            format!("`{key}` is required"),
        )),
        None => Ok(None),
    };
    let access_key_id = text("access_key_id", access_key_id, true)?.unwrap_or_default();
    let secret_access_key = text("secret_access_key", secret_access_key, true)?.unwrap_or_default();
    let session_token = text("session_token", session_token, false)?;
    let expires_at = match expires_at {
        Some(v) => Some(time("credentials[\"expires_at\"]", &v)?),
        None => None,
    };
    Ok(Credentials::new(
        access_key_id,
        secret_access_key,
        session_token,
        expires_at,
        "rds-iam-python",
    ))
}
