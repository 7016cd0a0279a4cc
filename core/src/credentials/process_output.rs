//! The JSON a `credential_process` prints, read as the AWS SDKs read it: `Version` 1,
//! `AccessKeyId`, `SecretAccessKey`, optional `SessionToken`, `Expiration` (RFC 3339, any
//! offset) and `AccountId`; key names in any case; other keys ignored.

use std::time::SystemTime;

use aws_credential_types::attributes::AccountId;
use aws_credential_types::Credentials;
use aws_smithy_json::deserialize::{json_token_iter, token::skip_to_end, Token};
use aws_smithy_types::Number;

/// The credentials in the command's stdout. Errors name fields, never values.
pub(crate) fn parse_output(
    stdout: &[u8],
    profile_account_id: Option<&str>,
) -> Result<Credentials, String> {
    let text = std::str::from_utf8(stdout).map_err(|_| "it is not UTF-8".to_owned())?;
    let fields = top_level_fields(text)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let string = |name: &'static str| match field(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{name}` is not a string")),
    };
    match field("Version") {
        Some(Value::Version(1)) => {}
        None => return Err("`Version` is missing (expected 1)".into()),
        Some(_) => return Err("`Version` is not 1".into()),
    }
    let access_key_id = string("AccessKeyId")?.ok_or("`AccessKeyId` is missing")?;
    let secret_access_key = string("SecretAccessKey")?.ok_or("`SecretAccessKey` is missing")?;
    let expiry = string("Expiration")?
        .map(|e| {
            let at =
                time::OffsetDateTime::parse(&e, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| "`Expiration` is not an RFC 3339 time")?;
            system_time(at).ok_or("`Expiration` is outside the times this system can hold")
        })
        .transpose()?;
    let account_id = string("AccountId")?.or(profile_account_id.map(str::to_owned));
    let mut builder = Credentials::builder()
        .access_key_id(access_key_id)
        .secret_access_key(secret_access_key)
        .provider_name("CredentialProcess");
    builder.set_session_token(string("SessionToken")?);
    builder.set_expiry(expiry);
    builder.set_account_id(account_id.map(AccountId::from));
    Ok(builder.build())
}

/// A top-level value the contract cares about.
enum Value {
    String(String),
    Version(i64),
    Other,
}

/// The top-level keys of a JSON object, with their string or integer values.
fn top_level_fields(text: &str) -> Result<Vec<(String, Value)>, String> {
    let invalid = |_| "it is not valid JSON".to_owned();
    let mut tokens = json_token_iter(text.as_bytes());
    match tokens.next().transpose().map_err(invalid)? {
        Some(Token::StartObject { .. }) => {}
        _ => return Err("it is not a JSON object".into()),
    }
    let mut fields = Vec::new();
    loop {
        let key = match tokens.next().transpose().map_err(invalid)? {
            Some(Token::EndObject { .. }) => break,
            Some(Token::ObjectKey { key, .. }) => key
                .to_unescaped()
                .map_err(|_| "it is not valid JSON".to_owned())?,
            _ => return Err("it is not valid JSON".into()),
        };
        let value = match tokens.next().transpose().map_err(invalid)? {
            Some(Token::ValueString { value, .. }) => Value::String(
                value
                    .to_unescaped()
                    .map_err(|_| "it is not valid JSON".to_owned())?
                    .into_owned(),
            ),
            Some(Token::ValueNumber { value, .. }) => match value {
                Number::PosInt(n) => i64::try_from(n).map_or(Value::Other, Value::Version),
                Number::NegInt(n) => Value::Version(n),
                Number::Float(_) => Value::Other,
            },
            Some(Token::StartObject { .. } | Token::StartArray { .. }) => {
                skip_to_end(&mut tokens).map_err(invalid)?;
                Value::Other
            }
            Some(_) => Value::Other,
            None => return Err("it is not valid JSON".into()),
        };
        fields.push((key.into_owned(), value));
    }
    if tokens.next().is_some() {
        return Err("it has more than one JSON value".into());
    }
    Ok(fields)
}

/// `at` as a `SystemTime`, or `None` where the platform cannot hold it. `SystemTime::from`
/// panics there: Windows' clock starts in 1601, so a credential_process printing an earlier
/// `Expiration` would have taken the process down (found by the fuzz corpus under wine).
fn system_time(at: time::OffsetDateTime) -> Option<SystemTime> {
    let nanos = at.unix_timestamp_nanos();
    let magnitude = std::time::Duration::new(
        u64::try_from((nanos / 1_000_000_000).unsigned_abs()).ok()?,
        (nanos % 1_000_000_000).unsigned_abs() as u32,
    );
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiration_before_the_platforms_clock_is_an_error_not_a_panic() {
        // Windows' SystemTime starts in 1601: this input panicked there (the fuzz corpus, under
        // wine). Where the time fits (Linux), it is kept as written.
        let old = br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s",
            "Expiration": "0001-01-01T00:00:00Z"}"#;
        match parse_output(old, None) {
            Ok(c) => assert!(c.expiry().unwrap() < SystemTime::UNIX_EPOCH),
            Err(e) => assert!(e.contains("outside the times"), "{e}"),
        }
        assert_eq!(
            system_time(time::OffsetDateTime::UNIX_EPOCH),
            Some(SystemTime::UNIX_EPOCH)
        );
    }

    #[test]
    fn output_parses_as_the_sdks_do() {
        let full = br#"{"Version": 1, "AccessKeyId": "ASIAX", "SecretAccessKey": "s",
            "SessionToken": "t", "Expiration": "2099-01-02T03:04:05+01:00", "Extra": {"a": [1]}}"#;
        let c = parse_output(full, Some("111122223333")).unwrap();
        assert_eq!(c.access_key_id(), "ASIAX");
        assert_eq!(c.session_token(), Some("t"));
        let expected = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_071_002_645);
        assert_eq!(c.expiry(), Some(expected));
        assert_eq!(c.account_id().map(|a| a.as_str()), Some("111122223333"));
        let minimal = br#"{"version": 1, "accesskeyid": "AKIAX", "secretaccesskey": "s"}"#;
        let c = parse_output(minimal, None).unwrap();
        assert_eq!((c.session_token(), c.expiry()), (None, None));
    }

    #[test]
    fn bad_output_names_the_field_never_the_value() {
        let cases: [(&[u8], &str); 7] = [
            (br#"{"AccessKeyId": "A", "SecretAccessKey": "SECRET"}"#, "`Version` is missing"),
            (br#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "SECRET"}"#, "not 1"),
            (br#"{"Version": 1, "SecretAccessKey": "SECRET"}"#, "`AccessKeyId` is missing"),
            (br#"{"Version": 1, "AccessKeyId": "A"}"#, "`SecretAccessKey` is missing"),
            (br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "SECRET", "Expiration": "SECRET"}"#, "RFC 3339"),
            (br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "SECRET"#, "not valid JSON"),
            (b"SECRET", "not"),
        ];
        for (out, want) in cases {
            let err = parse_output(out, None).unwrap_err();
            assert!(err.contains(want), "{err}");
            assert!(!err.contains("SECRET"), "{err}");
        }
    }
}
