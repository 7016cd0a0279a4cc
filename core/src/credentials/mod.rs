//! Where credentials come from: the public source types.
//!
//! - `providers`: the provider for a source (and an assumed role on top);
//! - `default_chain`: the standard chain, environment keys first;
//! - `profile`: profiles whose base is a `credential_process`, found in aws-config's order;
//! - `process` / `process_output`: running that command ourselves (killed with its process
//!   group when a fetch is given up) and reading its JSON;
//! - `diagnosis`: what a provider's failure tells the user (which link failed, what to check);
//! - `selection`: the profile the environment selects (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`) and
//!   the one-line causes found before the chain runs (a missing profile, half a key pair);
//! - `trust`: the HTTPS client per trust (`AWS_CA_BUNDLE`, a profile's `ca_bundle`).

mod default_chain;
mod diagnosis;
mod home;
mod process;
#[cfg(windows)]
mod process_job;
pub(crate) mod process_output;
pub(crate) mod profile;
mod providers;
mod selection;
mod trust;
mod web_identity_retry;

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;

use crate::error::Error;
use crate::options::{Message, Param};

pub(crate) use diagnosis::map_provider_error;
pub(crate) use providers::build_provider;
pub(crate) use trust::trusted_client;
#[cfg(feature = "cli")]
pub(crate) use trust::{describe_trust, environment_connector, TrustReport};
pub use web_identity_retry::DEFAULT_WEB_IDENTITY_ATTEMPTS;

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
                Param::Credentials,
                Message::text("pass either ")
                    .then_name(Param::Profile)
                    .then(" or ")
                    .then_name(Param::Credentials)
                    .then(", not both"),
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
                Param::RoleArn,
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
                    Param::RoleSessionName,
                    "a role session name has 2-64 characters from [A-Za-z0-9=,.@_-]",
                ));
            }
        }
        Ok(())
    }
}

/// How long credential fetches may take, how IMDS is contacted, and how often a web identity
/// call is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchTimeouts {
    /// Upper bound for one credential fetch through any provider (default 10 s).
    pub fetch: Duration,
    /// IMDS connect and read timeout, one attempt, as boto3 does (default 1 s): off EC2 the
    /// default chain gives up on IMDS after about this long instead of stalling.
    pub imds: Duration,
    /// Attempts at `AssumeRoleWithWebIdentity` when STS cannot reach the identity provider
    /// (`InvalidIdentityToken` "Couldn't retrieve verification key…", `IDPCommunicationError`),
    /// with jittered exponential back-off inside `fetch` (default 4; 1 = no retry).
    pub web_identity_attempts: u32,
}

impl Default for FetchTimeouts {
    fn default() -> Self {
        FetchTimeouts {
            fetch: Duration::from_secs(10),
            imds: Duration::from_secs(1),
            web_identity_attempts: DEFAULT_WEB_IDENTITY_ATTEMPTS,
        }
    }
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
