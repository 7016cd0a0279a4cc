//! Which profile the environment selects, where the shared files are, and the checks that name
//! a misconfiguration in one line before the chain runs (a typo in `AWS_PROFILE`, half a key
//! pair in the environment, an SSO session that needs `aws sso login`).
//!
//! botocore raises `ProfileNotFound` / `PartialCredentialsError` for the first two, where
//! aws-config only moves on to the next link and ends in a generic "no credentials".

use std::borrow::Cow;
use std::path::PathBuf;

use aws_config::profile::{Profile, ProfileSet};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::home::{expand_home, home};

/// A cause found before (or instead of) the chain's own error, carried inside a
/// `CredentialsError` so `diagnosis` can lead the error with it.
#[derive(Debug)]
pub(crate) struct Cause {
    /// The error code it becomes.
    pub(crate) kind: CauseKind,
    /// One line that names the cause (no secret in it).
    pub(crate) headline: String,
    /// What else the user needs to fix it, one item per entry.
    pub(crate) details: Vec<String>,
}

/// The error a [`Cause`] becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CauseKind {
    /// `NoCredentials`: nothing usable is configured (botocore: `ProfileNotFound`,
    /// `PartialCredentialsError`).
    NoCredentials,
    /// `ProviderError`: a configured source cannot give credentials (expired SSO login).
    Provider,
    /// `InvalidArgument` naming this setting (`AWS_CA_BUNDLE`, `ca_bundle`).
    Setting(&'static str),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.headline)
    }
}

impl std::error::Error for Cause {}

impl Cause {
    pub(crate) fn into_error(self) -> aws_credential_types::provider::error::CredentialsError {
        use aws_credential_types::provider::error::CredentialsError;
        match self.kind {
            CauseKind::NoCredentials => CredentialsError::not_loaded(self),
            _ => CredentialsError::invalid_configuration(self),
        }
    }
}

/// A non-empty environment variable.
pub(crate) fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The profile the environment selects and the variable that selects it: `AWS_PROFILE`, else
/// `AWS_DEFAULT_PROFILE` (the AWS CLI's legacy name, which botocore still reads), else none.
pub(crate) fn env_profile() -> Option<(String, &'static str)> {
    ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
        .into_iter()
        .find_map(|var| env_var(var).map(|name| (name, var)))
}

/// The shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`).
pub(crate) fn config_path() -> PathBuf {
    file_path("AWS_CONFIG_FILE", "config")
}

/// The shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`).
pub(crate) fn credentials_path() -> PathBuf {
    file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

fn file_path(var: &str, name: &str) -> PathBuf {
    match env_var(var) {
        Some(p) => expand_home(&p),
        None => home().unwrap_or_default().join(".aws").join(name),
    }
}

/// The shared files, with `name` (or the environment's choice) selected; `None` when they
/// cannot be read (aws-config reports that itself).
pub(crate) async fn load_profiles(name: Option<&str>) -> Option<ProfileSet> {
    let name = name
        .map(str::to_owned)
        .or_else(|| env_profile().map(|(n, _)| n));
    aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        name.map(Cow::Owned),
    )
    .await
    .ok()
}

/// Half a key pair in the environment (botocore: `PartialCredentialsError`). A secret without
/// a key id is ignored by botocore and aws-config alike, so only this half is an error.
pub(crate) fn partial_env_keys() -> Option<Cause> {
    if env_var("AWS_ACCESS_KEY_ID").is_none() || env_var("AWS_SECRET_ACCESS_KEY").is_some() {
        return None;
    }
    Some(Cause {
        kind: CauseKind::NoCredentials,
        headline: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into(),
        details: vec![
            "set both (and AWS_SESSION_TOKEN for temporary keys), or unset AWS_ACCESS_KEY_ID to \
             use a profile or a role"
                .into(),
        ],
    })
}

/// The checks on the selected profile: it exists, and its SSO login is usable.
/// `explicit`: a profile the caller named (else the environment's choice, if any).
pub(crate) fn check_profile(set: Option<&ProfileSet>, explicit: Option<&str>) -> Option<Cause> {
    let (name, chosen_by) = match (explicit, env_profile()) {
        (Some(name), _) => (name.to_owned(), "the `profile` option"),
        (None, Some((name, var))) => (name, var),
        (None, None) => match set.and_then(|s| s.get_profile("default")) {
            Some(profile) => return check_sso(set?, profile),
            None => return None,
        },
    };
    let profile = set.and_then(|s| s.get_profile(&name));
    let Some(profile) = profile else {
        return Some(Cause {
            kind: CauseKind::NoCredentials,
            headline: format!(
                "profile `{}` not found in {} or {}",
                name.escape_debug(),
                config_path().display(),
                credentials_path().display()
            ),
            details: vec![format!(
                "it is selected by {chosen_by}; define it (`[profile {0}]` in the config file, \
                 `[{0}]` in the credentials file) or select another",
                name.escape_debug()
            )],
        });
    };
    check_profile_keys(set?, profile).or_else(|| check_sso(set?, profile))
}

/// A profile with half a key pair (botocore: `PartialCredentialsError`), or one whose
/// `source_profile` names no profile (botocore: `InvalidConfigError`).
fn check_profile_keys(set: &ProfileSet, profile: &Profile) -> Option<Cause> {
    let name = profile.name().escape_debug().to_string();
    match (
        profile.get("aws_access_key_id"),
        profile.get("aws_secret_access_key"),
    ) {
        (Some(_), None) | (None, Some(_)) if profile.get("role_arn").is_none() => {
            let (has, lacks) = match profile.get("aws_access_key_id") {
                Some(_) => ("aws_access_key_id", "aws_secret_access_key"),
                None => ("aws_secret_access_key", "aws_access_key_id"),
            };
            return Some(Cause {
                kind: CauseKind::NoCredentials,
                headline: format!("profile `{name}` has {has} but no {lacks}"),
                details: vec![format!(
                    "add {lacks} to `{name}` in {} or {}",
                    config_path().display(),
                    credentials_path().display()
                )],
            });
        }
        _ => {}
    }
    let source = profile.get("source_profile")?;
    if profile.get("role_arn").is_none() || set.get_profile(source).is_some() {
        return None;
    }
    Some(Cause {
        kind: CauseKind::Provider,
        headline: format!(
            "profile `{name}` names source_profile `{}`, which is not in {} or {}",
            source.escape_debug(),
            config_path().display(),
            credentials_path().display()
        ),
        details: vec!["define that profile, or fix the source_profile name".into()],
    })
}

/// An SSO profile whose cached login is missing or expired, with no way to refresh it.
fn check_sso(set: &ProfileSet, profile: &Profile) -> Option<Cause> {
    if profile.get("aws_access_key_id").is_some() || profile.get("role_arn").is_some() {
        return None;
    }
    let (key, session, start_url) = match profile.get("sso_session") {
        Some(session) => {
            let s = set.sso_session(session)?;
            (session.to_owned(), Some(session), s.get("sso_start_url")?)
        }
        None => {
            let url = profile.get("sso_start_url")?;
            (url.to_owned(), None, url)
        }
    };
    let login = match session {
        Some(s) => format!("aws sso login --sso-session {s}"),
        None => format!("aws sso login --profile {}", profile.name()),
    };
    let what = match session {
        Some(s) => format!("the SSO session `{s}`"),
        None => format!("the SSO login for profile `{}`", profile.name()),
    };
    let dir = home()?.join(".aws").join("sso").join("cache");
    let file = dir.join(format!("{}.json", sha1_hex(key.as_bytes())));
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Some(Cause {
            kind: CauseKind::Provider,
            headline: format!("{what} has no cached login: run `{login}`"),
            details: vec![format!(
                "no token cache file {} for start URL {start_url}",
                file.display()
            )],
        });
    };
    let expired = json_field(&text, "expiresAt").is_some_and(|at| is_past(&at));
    let refreshable = json_field(&text, "refreshToken").is_some() && session.is_some();
    if !expired || refreshable {
        return None;
    }
    Some(Cause {
        kind: CauseKind::Provider,
        headline: format!("{what} has expired: run `{login}`"),
        details: vec![format!(
            "the cached token in {} has expired",
            file.display()
        )],
    })
}

/// A top-level string field of a small JSON object (the SSO token cache).
fn json_field(text: &str, field: &str) -> Option<String> {
    use aws_smithy_json::deserialize::{json_token_iter, Token};
    let mut tokens = json_token_iter(text.as_bytes());
    if !matches!(tokens.next(), Some(Ok(Token::StartObject { .. }))) {
        return None;
    }
    let mut depth = 0usize;
    let mut wanted = false;
    for token in tokens {
        match token.ok()? {
            Token::StartObject { .. } | Token::StartArray { .. } => depth += 1,
            Token::EndObject { .. } | Token::EndArray { .. } => {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
            }
            Token::ObjectKey { key, .. } if depth == 0 => {
                wanted = key.as_escaped_str() == field;
            }
            Token::ValueString { value, .. } if depth == 0 && wanted => {
                return value.to_unescaped().ok().map(|v| v.into_owned());
            }
            _ => {}
        }
    }
    None
}

/// Whether an RFC 3339 time is in the past (unparseable: not known to be).
fn is_past(at: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(at, &Rfc3339)
        .map(|t| t < time::OffsetDateTime::now_utc())
        .unwrap_or(false)
}

/// SHA-1 in hex: the name of an SSO token cache file (the AWS CLI's convention).
fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_top_level_fields_only() {
        let text = r#"{"nested": {"expiresAt": "x"}, "expiresAt": "2020-01-01T00:00:00Z"}"#;
        assert_eq!(
            json_field(text, "expiresAt").as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert_eq!(json_field(text, "refreshToken"), None);
        assert!(is_past("2020-01-01T00:00:00Z"));
        assert!(!is_past("2999-01-01T00:00:00Z"));
        assert!(!is_past("soon"));
    }
}
