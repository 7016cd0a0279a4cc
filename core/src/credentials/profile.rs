//! Profiles whose credentials come from a `credential_process`: found the way aws-config
//! resolves a profile, and served by our own [`ProcessProvider`] (with any `role_arn` hops
//! assumed on top through STS).
//!
//! aws-config (built without its `credentials-process` feature) still resolves every other
//! profile; it offers no hook to plug in a process runner, so the profile's chain is walked here
//! first, in aws-config's order, to find out whether its base is a `credential_process`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::profile::{Profile, ProfileFileCredentialsProvider, ProfileSet};
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::process::ProcessProvider;
use super::selection::{self, Cause};
use super::trust;

/// The selected profile (a named one, or the one `AWS_PROFILE` / `AWS_DEFAULT_PROFILE` selects), served by our
/// `credential_process` runner when its chain's base is a `credential_process`.
#[derive(Debug)]
pub(crate) struct ProcessProfile {
    /// `None`: the profile the environment selects (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, else
    /// `default`).
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
    /// `client`: the HTTPS client for STS, when roles are assumed on top.
    pub(crate) async fn provider(
        &self,
        client: &SharedHttpClient,
    ) -> Option<&SharedCredentialsProvider> {
        self.provider
            .get_or_init(|| async {
                let set = selection::load_profiles(self.profile.as_deref()).await?;
                let chain = process_chain(&set)?;
                Some(self.build(chain, client.clone()).await)
            })
            .await
            .as_ref()
    }

    async fn build(
        &self,
        chain: ProcessChain,
        client: SharedHttpClient,
    ) -> SharedCredentialsProvider {
        let mut provider = match chain.base {
            Base::Process {
                command,
                account_id,
            } => SharedCredentialsProvider::new(ProcessProvider::new(command, account_id)),
            Base::Keys(creds) => SharedCredentialsProvider::new(creds),
        };
        if chain.roles.is_empty() {
            return provider;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(self.region.clone())
            .http_client(client)
            .credentials_provider(provider.clone());
        let name = self
            .profile
            .clone()
            .or_else(|| selection::env_profile().map(|(n, _)| n));
        if let Some(name) = name {
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
            if let Some(length) = role.duration {
                builder = builder.session_length(length);
            }
            provider = SharedCredentialsProvider::new(builder.build_from_provider(provider).await);
        }
        provider
    }
}

/// A profile chain we serve ourselves: its base is a `credential_process`, or static keys under
/// roles with a `duration_seconds` (aws-config ignores that setting; botocore asks STS for it).
#[derive(Debug, PartialEq)]
pub(crate) struct ProcessChain {
    base: Base,
    /// Roles to assume in order, the first with the base's credentials.
    roles: Vec<RoleHop>,
}

/// Where a chain we serve starts.
#[derive(Debug, PartialEq)]
enum Base {
    Process {
        command: String,
        account_id: Option<String>,
    },
    Keys(Credentials),
}

#[derive(Debug, PartialEq)]
struct RoleHop {
    role_arn: String,
    external_id: Option<String>,
    session_name: Option<String>,
    /// The profile's `duration_seconds`: the session length asked of STS.
    duration: Option<Duration>,
}

/// The selected profile's chain if its base is a `credential_process`, following aws-config's
/// rules: `role_arn` + `source_profile` hops, static keys winning in any source profile, and
/// `credential_source`, web identity, SSO and login sessions before `credential_process` in a
/// profile. Anything else (including every malformed chain) is `None`, for aws-config to handle.
pub(crate) fn process_chain(set: &ProfileSet) -> Option<ProcessChain> {
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
            break profile;
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
            duration: profile
                .get("duration_seconds")
                .and_then(|d| d.trim().parse().ok())
                .map(Duration::from_secs),
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
    if visited.len() > 1 && has_static_keys(base) {
        // Keys in a source profile: aws-config serves that chain, unless a hop asks for a
        // session length it would not send.
        if roles.iter().all(|r| r.duration.is_none()) {
            return None;
        }
        let creds = Credentials::new(
            base.get("aws_access_key_id")?,
            base.get("aws_secret_access_key")?,
            base.get("aws_session_token").map(str::to_owned),
            None,
            "ProfileFile",
        );
        roles.reverse();
        return Some(ProcessChain {
            base: Base::Keys(creds),
            roles,
        });
    }
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
        base: Base::Process {
            command: command.to_owned(),
            account_id: base.get("aws_account_id").map(str::to_owned),
        },
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
    name: String,
    region: Region,
    process: ProcessProfile,
    /// aws-config's provider, built on first use with the HTTPS client for the trust in force.
    other: tokio::sync::OnceCell<ProfileFileCredentialsProvider>,
}

impl NamedProfile {
    pub(crate) fn new(name: &str, region: Region) -> Self {
        NamedProfile {
            name: name.to_owned(),
            process: ProcessProfile::new(Some(name.to_owned()), region.clone()),
            region,
            other: tokio::sync::OnceCell::new(),
        }
    }

    async fn other(&self, client: SharedHttpClient) -> &ProfileFileCredentialsProvider {
        self.other
            .get_or_init(|| async {
                let conf = ProviderConfig::default()
                    .with_region(Some(self.region.clone()))
                    .with_http_client(client);
                ProfileFileCredentialsProvider::builder()
                    .configure(&conf)
                    .profile_name(&self.name)
                    .build()
            })
            .await
    }
}

impl ProvideCredentials for NamedProfile {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let set = selection::load_profiles(Some(&self.name)).await;
            if let Some(cause) = selection::check_profile(set.as_ref(), Some(&self.name)) {
                return Err(cause.into_error());
            }
            let client = trust::http_client(&trust::trust_source(set.as_ref()))
                .map_err(Cause::into_error)?;
            match self.process.provider(&client).await {
                Some(process) => process.provide_credentials().await,
                None => self.other(client).await.provide_credentials().await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};

    /// `process_chain` for a config file and an `AWS_PROFILE` (files read from memory).
    fn chain(config: &str, aws_profile: Option<&str>) -> Option<ProcessChain> {
        // Joined as aws-config joins it: `/home\.aws\config` on Windows.
        let path = std::path::Path::new("/home").join(".aws").join("config");
        let fs = Fs::from_slice(&[(path.to_str().unwrap(), config)]);
        let mut vars = vec![("HOME", "/home")];
        vars.extend(aws_profile.map(|p| ("AWS_PROFILE", p)));
        let env = Env::from_slice(&vars);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let set = rt
            .block_on(aws_config::profile::load(
                &fs,
                &env,
                &EnvConfigFiles::default(),
                None,
            ))
            .unwrap();
        process_chain(&set)
    }

    fn role(arn: &str) -> RoleHop {
        RoleHop {
            role_arn: arn.into(),
            external_id: None,
            session_name: None,
            duration: None,
        }
    }

    fn command(chain: &ProcessChain) -> (&str, Option<&str>) {
        match &chain.base {
            Base::Process {
                command,
                account_id,
            } => (command, account_id.as_deref()),
            Base::Keys(_) => ("<keys>", None),
        }
    }

    #[test]
    fn finds_a_process_base_as_aws_config_does() {
        let plain = chain("[default]\ncredential_process = helper --user a\n", None).unwrap();
        assert_eq!(command(&plain).0, "helper --user a");
        assert!(plain.roles.is_empty());
        // In the first profile the process wins over keys (aws-config's base-provider order).
        let both = "[default]\ncredential_process = helper\naws_access_key_id = A\naws_secret_access_key = s\n";
        assert!(chain(both, None).is_some());
        // Two hops, applied from the base outwards; AWS_PROFILE selects the start.
        let hops = "[profile app]\nrole_arn = arn:aws:iam::1:role/outer\nsource_profile = mid\n\
                    [profile mid]\nrole_arn = arn:aws:iam::1:role/inner\nsource_profile = base\n\
                    external_id = ext\n[profile base]\ncredential_process = helper\naws_account_id = 111\n";
        let found = chain(hops, Some("app")).unwrap();
        assert_eq!(command(&found).1, Some("111"));
        let mut inner = role("arn:aws:iam::1:role/inner");
        inner.external_id = Some("ext".into());
        assert_eq!(found.roles, [inner, role("arn:aws:iam::1:role/outer")]);
        // A profile that is its own source.
        let own = "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\ncredential_process = helper\n";
        assert_eq!(
            chain(own, None).unwrap().roles,
            [role("arn:aws:iam::1:role/r")]
        );
    }

    #[test]
    fn serves_keys_under_roles_that_ask_for_a_session_length() {
        let config = "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\nduration_seconds = 1800\n\
                      [profile b]\naws_access_key_id = A\naws_secret_access_key = s\n";
        let found = chain(config, None).unwrap();
        assert!(matches!(&found.base, Base::Keys(c) if c.access_key_id() == "A"));
        assert_eq!(found.roles[0].duration, Some(Duration::from_secs(1800)));
        // Without duration_seconds aws-config keeps the chain.
        assert_eq!(
            chain(&config.replace("duration_seconds = 1800\n", ""), None),
            None
        );
    }

    #[test]
    fn leaves_every_other_profile_to_aws_config() {
        let none = [
            // Keys in a source profile win over its process.
            "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\n\
             [profile b]\naws_access_key_id = A\naws_secret_access_key = s\ncredential_process = helper\n",
            // Other bases come first in a profile.
            "[default]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\ncredential_process = helper\n",
            "[default]\nrole_arn = arn:aws:iam::1:role/r\nweb_identity_token_file = /t\ncredential_process = helper\n",
            "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n",
            // Loops, missing source profiles, and no process at all.
            "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n",
            "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = missing\n",
            "[default]\naws_access_key_id = A\naws_secret_access_key = s\n",
            "[profile other]\ncredential_process = helper\n",
        ];
        for config in none {
            assert_eq!(chain(config, None), None, "{config}");
        }
    }
}
