//! SigV4 query presigning for the one request shape every token is: `GET /` with only the
//! `host` header signed, an empty body, and a fixed set of query parameters (at most
//! [`MAX_PARAMS`] of the operation's own, then the `X-Amz-*` ones).
//!
//! Why not aws-sigv4's general `http_request::sign`: for this shape it builds and re-parses an
//! http URI, canonicalises every parameter into its own allocation and hands back another
//! parameter order that must be reassembled — ~4.7 µs a token, against ~1.7 µs here, where the
//! token, the canonical request's hash and the string to sign come from one buffer. The
//! cryptography stays aws-sigv4's: [`v4::generate_signing_key`] and [`v4::calculate_signature`].
//! `tests/sigv4_reference.rs` checks this against aws-sigv4's full signer on generated inputs,
//! and the vectors check it against botocore byte for byte.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sigv4::sign::v4;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (as botocore does).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// SHA-256 of the empty payload, lower-case hex.
const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Seconds from 1970 to the end of 9999-12-31: SigV4 dates have four-digit years.
const LAST_SIGNABLE_SECOND: u64 = 253_402_300_799;

/// Most operation parameters a token has (ElastiCache Serverless: Action, User, ResourceType).
pub(crate) const MAX_PARAMS: usize = 3;

/// What varies between tokens, besides credentials and time.
pub(crate) struct Request<'a> {
    /// `host[:port]` as the token text carries it.
    pub authority: &'a str,
    /// The signed `host` header (botocore lower-cases it and drops `:443`).
    pub host_header: &'a str,
    /// The operation's parameters (name, unencoded value), `Action` first, in the order the
    /// token text carries them; at most [`MAX_PARAMS`], each name sorting before `X-Amz-`.
    pub params: &'a [(&'a str, &'a str)],
    /// Signing region and service.
    pub region: &'a str,
    pub service: &'a str,
    /// `X-Amz-Expires`, in seconds.
    pub expires_in: u64,
}

/// The keys that sign a request.
pub(crate) struct Keys<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// Presigns `req` at `at` and returns the token: the URL without its scheme, with the query in
/// botocore's order (`X-Amz-SignedHeaders` before `X-Amz-Security-Token`, unlike the sorted
/// order the signature covers).
pub(crate) fn presign(req: &Request<'_>, keys: &Keys<'_>, at: SystemTime) -> Result<String> {
    let stamp = Stamp::new(at)?;
    let mut out = String::with_capacity(
        req.authority.len() + 320 + keys.session_token.map_or(0, |t| t.len() * 3 / 2),
    );
    out.push_str(req.authority);
    out.push_str("/?");
    let query_start = out.len();
    // Where each parameter's `name=value` ends in `out`, and the order SigV4 sorts them in.
    let mut ends = [0usize; MAX_PARAMS];
    let mut sorted = [0usize; MAX_PARAMS];
    let n = req.params.len().min(MAX_PARAMS);
    debug_assert!(n >= 1, "a token always has an Action");
    debug_assert_eq!(
        n,
        req.params.len(),
        "more operation parameters than MAX_PARAMS"
    );
    for (i, (name, value)) in req.params[..n].iter().enumerate() {
        debug_assert!(
            *name < "X-Amz-",
            "{name} must sort before the X-Amz-* parameters"
        );
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.extend(utf8_percent_encode(value, QUERY_VALUE));
        ends[i] = out.len();
        sorted[i] = i;
    }
    // Names are distinct, so sorting by name alone is SigV4's order (insertion sort: n ≤ 3).
    for i in 1..n {
        let mut j = i;
        while j > 0 && req.params[sorted[j - 1]].0 > req.params[sorted[j]].0 {
            sorted.swap(j - 1, j);
            j -= 1;
        }
    }
    let in_order = sorted[..n].iter().enumerate().all(|(i, s)| i == *s);
    let params_end = out.len();
    out.push_str("&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
    let scope = format!(
        "{}/{}/{}/aws4_request",
        stamp.date(),
        req.region,
        req.service
    );
    out.extend(utf8_percent_encode(keys.access_key_id, QUERY_VALUE));
    out.push_str("%2F");
    out.extend(utf8_percent_encode(&scope, QUERY_VALUE));
    out.push_str("&X-Amz-Date=");
    out.push_str(stamp.as_str());
    out.push_str("&X-Amz-Expires=");
    out.push_str(&req.expires_in.to_string());
    let signed_headers_start = out.len();
    out.push_str("&X-Amz-SignedHeaders=host");
    let token_start = out.len();
    if let Some(token) = keys.session_token {
        out.push_str("&X-Amz-Security-Token=");
        out.extend(utf8_percent_encode(token, QUERY_VALUE));
    }

    // The canonical request, hashed in pieces: the query sorted by name, so the security token
    // (X-Amz-Se…) goes before X-Amz-SignedHeaders (X-Amz-Si…).
    let mut canonical = Sha256::new();
    canonical.update(b"GET\n/\n");
    if in_order {
        canonical.update(&out.as_bytes()[query_start..signed_headers_start]);
    } else {
        // ElastiCache Serverless: `…&User=…&ResourceType=…` is signed as `ResourceType` first.
        let bytes = out.as_bytes();
        for (k, &i) in sorted[..n].iter().enumerate() {
            let start = if i == 0 { query_start } else { ends[i - 1] + 1 };
            if k > 0 {
                canonical.update(b"&");
            }
            canonical.update(&bytes[start..ends[i]]);
        }
        canonical.update(&bytes[params_end..signed_headers_start]);
    }
    canonical.update(&out.as_bytes()[token_start..]);
    canonical.update(&out.as_bytes()[signed_headers_start..token_start]);
    canonical.update(b"\nhost:");
    canonical.update(req.host_header.as_bytes());
    canonical.update(b"\n\nhost\n");
    canonical.update(EMPTY_PAYLOAD_SHA256.as_bytes());

    let mut string_to_sign = String::with_capacity(128);
    string_to_sign.push_str("AWS4-HMAC-SHA256\n");
    string_to_sign.push_str(stamp.as_str());
    string_to_sign.push('\n');
    string_to_sign.push_str(&scope);
    string_to_sign.push('\n');
    push_hex(&mut string_to_sign, &canonical.finalize());

    let key = v4::generate_signing_key(keys.secret_access_key, at, req.region, req.service);
    out.push_str("&X-Amz-Signature=");
    out.push_str(&v4::calculate_signature(key, string_to_sign.as_bytes()));
    Ok(out)
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC, whole seconds (as every SigV4 signer truncates).
struct Stamp([u8; 16]);

impl Stamp {
    fn new(at: SystemTime) -> Result<Self> {
        let secs = at
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
            .filter(|s| *s <= LAST_SIGNABLE_SECOND)
            .ok_or_else(|| {
                Error::argument(
                    crate::options::Param::At,
                    "the signing time must be between 1970-01-01 and 9999-12-31 (UTC)",
                )
            })?;
        let (year, month, day) = civil_from_days(secs / 86_400);
        let t = secs % 86_400;
        let mut s = [0u8; 16];
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                s[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year);
        put(4, 2, month);
        put(6, 2, day);
        put(9, 2, t / 3600);
        put(11, 2, t / 60 % 60);
        put(13, 2, t % 60);
        s[8] = b'T';
        s[15] = b'Z';
        Ok(Stamp(s))
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits, 'T' and 'Z' are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    fn date(&self) -> &str {
        &self.as_str()[..8]
    }
}

/// (year, month, day) of a day count since 1970-01-01, in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, for days ≥ 0).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stamp(secs: u64) -> String {
        Stamp::new(UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap()
            .as_str()
            .to_owned()
    }

    #[test]
    fn stamps_match_the_calendar() {
        assert_eq!(stamp(0), "19700101T000000Z");
        assert_eq!(stamp(951_782_400), "20000229T000000Z"); // leap day of a /400 year
        assert_eq!(stamp(1_798_761_599), "20261231T235959Z");
        assert_eq!(stamp(4_107_542_400), "21000301T000000Z"); // 2100 is not a leap year
        assert_eq!(stamp(LAST_SIGNABLE_SECOND), "99991231T235959Z");
        let sub_second = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(Stamp::new(sub_second).unwrap().as_str(), "19700101T000001Z");
    }

    #[test]
    fn times_outside_four_digit_years_are_refused() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        let after = UNIX_EPOCH + Duration::from_secs(LAST_SIGNABLE_SECOND + 1);
        for at in [before, after] {
            let e = Stamp::new(at).err().unwrap();
            assert_eq!(e.code(), crate::ErrorCode::InvalidArgument);
        }
    }
}
