//! Building the provider for a credential source (and an assumed role on top).

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;

use super::default_chain::EnvFirstChain;
use super::profile::NamedProfile;
use super::web_identity_retry::WebIdentityRetry;
use super::{AssumeRole, CredentialSource, FetchTimeouts};

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
        let profile = match source {
            CredentialSource::Profile(name) => Some(name.as_str()),
            _ => None,
        };
        // STS trusts what the base's profile (or AWS_CA_BUNDLE) says; a bad bundle shows up
        // in the base's own fetch, which runs first.
        let conf = aws_config::defaults(BehaviorVersion::latest())
            .region(region.clone())
            .credentials_provider(base)
            .http_client(super::trusted_client(profile).await)
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
    match source {
        // Both can end in a web identity call (the environment's, or a profile's
        // `web_identity_token_file`).
        CredentialSource::Default => SharedCredentialsProvider::new(WebIdentityRetry::new(
            EnvFirstChain::new(region, timeouts.imds),
            timeouts.web_identity_attempts,
            timeouts.fetch,
        )),
        CredentialSource::Profile(name) => SharedCredentialsProvider::new(WebIdentityRetry::new(
            NamedProfile::new(name, region),
            timeouts.web_identity_attempts,
            timeouts.fetch,
        )),
        CredentialSource::Static(creds) => SharedCredentialsProvider::new(creds.clone()),
        CredentialSource::Custom(p) => p.clone(),
    }
}
