//! Where credentials come from, and building the `aws-config` provider for each source.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

use crate::default_chain::EnvFirstChain;
use crate::error::Error;

/// The source of the AWS credentials that sign tokens.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum CredentialSource {
    /// The standard AWS chain, as every AWS SDK resolves it: environment variables, shared
    /// config/credentials files (`AWS_PROFILE`, SSO, `credential_process`, assume-role profiles),
    /// web identity (EKS IRSA), the ECS / EKS Pod Identity container endpoint, then EC2 IMDSv2.
    #[default]
    Default,
    /// One named profile from `~/.aws/config` and `~/.aws/credentials` (environment variable
    /// credentials do not override it).
    Profile(String),
    /// Fixed credentials (long-term keys, or temporary ones with a session token).
    Static(Credentials),
    /// Any provider of your own (Vault, a custom STS call, …).
    Custom(SharedCredentialsProvider),
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl CredentialSource {
    /// The source a binding's options name: a `profile`, explicit `credentials`, or, with
    /// neither, the default chain. Both at once is an [`Error::InvalidArgument`].
    pub fn from_options(
        profile: Option<String>,
        credentials: Option<Credentials>,
    ) -> Result<Self, Error> {
        match (profile, credentials) {
            (Some(_), Some(_)) => Err(Error::argument(
                "credentials",
                "pass either `profile` or `credentials`, not both",
            )),
            (Some(p), None) => Ok(CredentialSource::Profile(p)),
            (None, Some(c)) => Ok(CredentialSource::Static(c)),
            (None, None) => Ok(CredentialSource::Default),
        }
    }

    /// A human-readable name, used in errors and logs (never secret).
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::Default => "the default credential chain".into(),
            CredentialSource::Profile(p) => format!("profile \"{p}\""),
            CredentialSource::Static(c) => format!("static credentials {}", c.access_key_id()),
            CredentialSource::Custom(_) => "a custom credential provider".into(),
        }
    }
}

/// A role to assume on top of a credential source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AssumeRole {
    /// The role's ARN, `arn:aws:iam::<account>:role/<name>`.
    pub role_arn: String,
    /// The role session name (default: `rds-iam-<unix time>`).
    pub session_name: Option<String>,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
}

impl AssumeRole {
    /// Assume `role_arn` with the default session name and no external id.
    pub fn new(role_arn: impl Into<String>) -> Self {
        AssumeRole {
            role_arn: role_arn.into(),
            session_name: None,
            external_id: None,
        }
    }

    pub(crate) fn validate(&self) -> crate::Result<()> {
        let arn = &self.role_arn;
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() != 6
            || parts[0] != "arn"
            || parts[2] != "iam"
            || !parts[5].starts_with("role/")
        {
            return Err(Error::argument(
                "role_arn",
                format!(
                    "`{}` is not a role ARN; use arn:aws:iam::<account-id>:role/<role-name>",
                    arn.escape_debug()
                ),
            ));
        }
        if let Some(name) = &self.session_name {
            let ok = (2..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=,.@_-".contains(c));
            if !ok {
                return Err(Error::argument(
                    "session_name",
                    "a role session name has 2-64 characters from [A-Za-z0-9=,.@_-]",
                ));
            }
        }
        Ok(())
    }
}

/// How long credential fetches may take, and how IMDS is contacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchTimeouts {
    /// Upper bound for one credential fetch through any provider (default 10 s).
    pub fetch: Duration,
    /// IMDS connect and read timeout, one attempt, as boto3 does (default 1 s): off EC2 the
    /// default chain gives up on IMDS after about this long instead of stalling.
    pub imds: Duration,
}

impl Default for FetchTimeouts {
    fn default() -> Self {
        FetchTimeouts {
            fetch: Duration::from_secs(10),
            imds: Duration::from_secs(1),
        }
    }
}

/// Builds the provider for `source` (and `role` on top), for signing in `region`.
pub(crate) async fn build_provider(
    source: &CredentialSource,
    role: Option<&AssumeRole>,
    region: &str,
    timeouts: FetchTimeouts,
    base_cache: Option<SharedCredentialsProvider>,
) -> SharedCredentialsProvider {
    let region = Region::new(region.to_owned());
    if let (Some(role), Some(base)) = (role, base_cache) {
        let conf = aws_config::defaults(BehaviorVersion::latest())
            .region(region.clone())
            .credentials_provider(base)
            .load()
            .await;
        let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
            .configure(&conf)
            .region(region);
        if let Some(name) = &role.session_name {
            builder = builder.session_name(name.clone());
        }
        if let Some(id) = &role.external_id {
            builder = builder.external_id(id.clone());
        }
        return SharedCredentialsProvider::new(builder.build().await);
    }
    let conf = ProviderConfig::default().with_region(Some(region.clone()));
    match source {
        CredentialSource::Default => {
            SharedCredentialsProvider::new(EnvFirstChain::new(region, timeouts.imds))
        }
        CredentialSource::Profile(name) => SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder()
                .configure(&conf)
                .profile_name(name)
                .build(),
        ),
        CredentialSource::Static(creds) => SharedCredentialsProvider::new(creds.clone()),
        CredentialSource::Custom(p) => p.clone(),
    }
}

/// Maps a provider failure to our error: the provider (for the default chain, the link that
/// failed), the error's own words (its `source()` chain, not the Debug dump of HTTP responses)
/// and what to check.
pub(crate) fn map_provider_error(
    provider: &str,
    is_default_chain: bool,
    err: CredentialsError,
) -> Error {
    // "Not loaded" lists every link the chain tried: worth keeping whole.
    let max_part = match err {
        CredentialsError::CredentialsNotLoaded(_) => 1200,
        _ => 240,
    };
    let detail = error_chain(&err, max_part);
    if let CredentialsError::ProviderTimedOut(t) = &err {
        return Error::Timeout {
            provider: provider.to_owned(),
            after: t.timeout_duration(),
        };
    }
    if matches!(err, CredentialsError::CredentialsNotLoaded(_)) {
        return Error::NoCredentials {
            detail: format!("{provider}: {detail}"),
        };
    }
    let (link, hint) = failed_link(provider, is_default_chain, &detail);
    Error::ProviderError {
        provider: link,
        detail: format!("{detail}; {hint}"),
    }
}

/// The `Display` of an error and of each of its sources, without repeats.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static), max_part: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        // Some errors print whole HTTP responses (headers, bodies): keep the start only.
        let mut text = e.to_string();
        if text.len() > max_part {
            let cut = (0..=max_part)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Which provider failed (named from the error text, then from the environment in the default
/// chain's order) and what to check for it.
fn failed_link(provider: &str, is_default_chain: bool, detail: &str) -> (String, String) {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let lower = detail.to_lowercase();
    let web_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    let hint = if provider.starts_with("assume-role") {
        ("", "check the role ARN, its trust policy, and that the base credentials may call sts:AssumeRole".to_owned())
    } else if lower.contains("imds") || lower.contains("instance metadata") {
        ("EC2 instance metadata (IMDS)", "check the instance profile of this instance and that IMDS answers (in containers set the IMDSv2 hop limit to 2); off EC2 set AWS_EC2_METADATA_DISABLED=true".to_owned())
    } else if lower.contains("web identity")
        || lower.contains("webidentity")
        || (is_default_chain && web_file.is_some() && !lower.contains("process"))
    {
        let file = web_file.map_or_else(String::new, |f| format!(" `{f}`"));
        ("web identity", format!("check the token file{file} named by AWS_WEB_IDENTITY_TOKEN_FILE (EKS: the projected service-account token), AWS_ROLE_ARN and the role's trust policy"))
    } else if lower.contains("container") || lower.contains("ecs") {
        ("ECS / EKS Pod Identity container endpoint", "check the task role or Pod Identity association and that AWS_CONTAINER_CREDENTIALS_FULL_URI (or _RELATIVE_URI) is reachable".to_owned())
    } else if lower.contains("process") {
        ("credential_process", "run the credential_process command from your AWS config by hand and fix its output (JSON with Version 1, AccessKeyId, SecretAccessKey)".to_owned())
    } else if lower.contains("sso") {
        ("SSO", "run `aws sso login` for the profile".to_owned())
    } else if provider.starts_with("profile") || (is_default_chain && env("AWS_PROFILE").is_some())
    {
        (
            "profile",
            "check the profile in ~/.aws/config and ~/.aws/credentials".to_owned(),
        )
    } else if is_default_chain
        && (env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some())
    {
        ("ECS / EKS Pod Identity container endpoint", "check the task role or Pod Identity association and that AWS_CONTAINER_CREDENTIALS_FULL_URI (or _RELATIVE_URI) is reachable".to_owned())
    } else if is_default_chain {
        // Nothing else configured: the chain's last link.
        ("EC2 instance metadata (IMDS)", "check the instance profile of this instance and that IMDS answers (in containers set the IMDSv2 hop limit to 2); off EC2 set AWS_EC2_METADATA_DISABLED=true".to_owned())
    } else {
        ("", "check the credential source".to_owned())
    };
    let name = if is_default_chain && !hint.0.is_empty() {
        format!("{provider} ({})", hint.0)
    } else {
        provider.to_owned()
    };
    (name, hint.1)
}

/// A hashable, secret-free identity of a credential source, for the process-wide cache key.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) enum SourceKey {
    Default,
    Profile(String),
    /// Access key id plus a hash of everything, so rotated secrets get their own entry.
    Static(String, u64),
    Custom(usize),
}

impl SourceKey {
    pub(crate) fn of(source: &CredentialSource) -> Self {
        match source {
            CredentialSource::Default => SourceKey::Default,
            CredentialSource::Profile(p) => SourceKey::Profile(p.clone()),
            CredentialSource::Static(c) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (c.access_key_id(), c.secret_access_key(), c.session_token()).hash(&mut h);
                c.expiry().hash(&mut h);
                SourceKey::Static(c.access_key_id().to_owned(), h.finish())
            }
            CredentialSource::Custom(p) => SourceKey::Custom(provider_id(p)),
        }
    }
}

fn provider_id(p: &SharedCredentialsProvider) -> usize {
    // SharedCredentialsProvider is an Arc inside; its address identifies the provider.
    let inner: &dyn ProvideCredentials = p.as_ref();
    inner as *const dyn ProvideCredentials as *const () as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_name_one_source() {
        let creds = || Credentials::new("AKIDX", "s", None, None, "test");
        let both = CredentialSource::from_options(Some("p".into()), Some(creds()));
        assert_eq!(both.unwrap_err().code(), crate::ErrorCode::InvalidArgument);
        let chosen = [
            CredentialSource::from_options(None, None).unwrap(),
            CredentialSource::from_options(Some("p".into()), None).unwrap(),
            CredentialSource::from_options(None, Some(creds())).unwrap(),
        ];
        let names = chosen.map(|s| s.describe());
        assert_eq!(
            names,
            [
                "the default credential chain",
                "profile \"p\"",
                "static credentials AKIDX"
            ]
        );
    }
}
