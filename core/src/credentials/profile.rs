//! Profiles whose credentials come from a `credential_process`: found the way aws-config
//! resolves a profile, and served by our own [`ProcessProvider`] (with any `role_arn` hops
//! assumed on top through STS).
//!
//! aws-config (built without its `credentials-process` feature) still resolves every other
//! profile; it offers no hook to plug in a process runner, so the profile's chain is walked here
//! first, in aws-config's order, to find out whether its base is a `credential_process`.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::profile::{Profile, ProfileFileCredentialsProvider, ProfileSet};
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::process::ProcessProvider;

/// The selected profile (a named one, or the one `AWS_PROFILE` selects), served by our
/// `credential_process` runner when its chain's base is a `credential_process`.
#[derive(Debug)]
pub(crate) struct ProcessProfile {
    /// `None`: the profile the environment selects (`AWS_PROFILE`, else `default`).
    profile: Option<String>,
    region: Region,
    /// Decided on first use: the provider for a process-based profile, or `None`.
    provider: tokio::sync::OnceCell<Option<SharedCredentialsProvider>>,
}

impl ProcessProfile {
    pub(crate) fn new(profile: Option<String>, region: Region) -> Self {
        ProcessProfile {
            profile,
            region,
            provider: tokio::sync::OnceCell::new(),
        }
    }

    /// The provider when the profile's credentials come from a `credential_process`; `None`
    /// when they do not, or the profile files cannot be read (aws-config then reports that).
    pub(crate) async fn provider(&self) -> Option<&SharedCredentialsProvider> {
        self.provider
            .get_or_init(|| async {
                let set = aws_config::profile::load(
                    &Fs::real(),
                    &Env::real(),
                    &EnvConfigFiles::default(),
                    self.profile.clone().map(Cow::Owned),
                )
                .await
                .ok()?;
                let chain = process_chain(&set)?;
                Some(self.build(chain).await)
            })
            .await
            .as_ref()
    }

    async fn build(&self, chain: ProcessChain) -> SharedCredentialsProvider {
        let mut provider =
            SharedCredentialsProvider::new(ProcessProvider::new(chain.command, chain.account_id));
        if chain.roles.is_empty() {
            return provider;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(self.region.clone())
            .credentials_provider(provider.clone());
        if let Some(name) = &self.profile {
            loader = loader.profile_name(name);
        }
        let conf = loader.load().await;
        for role in chain.roles {
            // aws-config's own default for roles in profiles.
            let session_name = role.session_name.unwrap_or_else(|| {
                let millis = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                format!("assume-role-from-profile-{millis}")
            });
            let mut builder = AssumeRoleProvider::builder(role.role_arn)
                .configure(&conf)
                .region(self.region.clone())
                .session_name(session_name);
            if let Some(id) = role.external_id {
                builder = builder.external_id(id);
            }
            provider = SharedCredentialsProvider::new(builder.build_from_provider(provider).await);
        }
        provider
    }
}

/// A profile chain whose base is a `credential_process`.
#[derive(Debug, PartialEq)]
struct ProcessChain {
    command: String,
    account_id: Option<String>,
    /// Roles to assume in order, the first with the process's credentials.
    roles: Vec<RoleHop>,
}

#[derive(Debug, PartialEq)]
struct RoleHop {
    role_arn: String,
    external_id: Option<String>,
    session_name: Option<String>,
}

/// The selected profile's chain if its base is a `credential_process`, following aws-config's
/// rules: `role_arn` + `source_profile` hops, static keys winning in any source profile, and
/// `credential_source`, web identity, SSO and login sessions before `credential_process` in a
/// profile. Anything else (including every malformed chain) is `None`, for aws-config to handle.
fn process_chain(set: &ProfileSet) -> Option<ProcessChain> {
    if set.is_empty() {
        return None;
    }
    let mut name = set.selected_profile();
    let mut visited: Vec<&str> = Vec::new();
    let mut roles = Vec::new();
    let base = loop {
        let profile = set.get_profile(name)?;
        if visited.contains(&name) {
            return None;
        }
        visited.push(name);
        if visited.len() > 1 && has_static_keys(profile) {
            return None;
        }
        let role_arn = profile
            .get("role_arn")
            .filter(|_| profile.get("web_identity_token_file").is_none());
        let Some(role_arn) = role_arn else {
            break profile;
        };
        roles.push(RoleHop {
            role_arn: role_arn.to_owned(),
            external_id: profile.get("external_id").map(str::to_owned),
            session_name: profile.get("role_session_name").map(str::to_owned),
        });
        match (
            profile.get("source_profile"),
            profile.get("credential_source"),
        ) {
            (Some(source), None) if source == profile.name() => break profile,
            (Some(source), None) => name = source,
            _ => return None,
        }
    };
    let other_base = [
        "credential_source",
        "web_identity_token_file",
        "sso_account_id",
        "sso_region",
        "sso_role_name",
        "sso_start_url",
        "sso_session",
        "login_session",
    ];
    if other_base.iter().any(|k| base.get(k).is_some()) {
        return None;
    }
    let command = base.get("credential_process")?;
    roles.reverse();
    Some(ProcessChain {
        command: command.to_owned(),
        account_id: base.get("aws_account_id").map(str::to_owned),
        roles,
    })
}

/// Whether a profile names static keys (aws-config then takes them as the chain's base).
fn has_static_keys(profile: &Profile) -> bool {
    profile.get("aws_access_key_id").is_some() && profile.get("aws_secret_access_key").is_some()
}

/// A named profile: our process runner when its base is a `credential_process`, aws-config's
/// profile provider for everything else.
#[derive(Debug)]
pub(crate) struct NamedProfile {
    process: ProcessProfile,
    other: ProfileFileCredentialsProvider,
}

impl NamedProfile {
    pub(crate) fn new(name: &str, region: Region) -> Self {
        let conf = ProviderConfig::default().with_region(Some(region.clone()));
        NamedProfile {
            process: ProcessProfile::new(Some(name.to_owned()), region),
            other: ProfileFileCredentialsProvider::builder()
                .configure(&conf)
                .profile_name(name)
                .build(),
        }
    }
}

impl ProvideCredentials for NamedProfile {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.process.provider().await {
                Some(process) => process.provide_credentials().await,
                None => self.other.provide_credentials().await,
            }
        })
    }
}
