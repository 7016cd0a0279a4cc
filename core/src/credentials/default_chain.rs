//! The standard AWS chain, with its first link — environment variables — tried before the rest
//! is built, and a profile whose credentials come from a `credential_process` (the chain's
//! second link) served by our own process runner (see `process`). Building the chain creates an HTTPS client that loads the system's root
//! certificates (several ms and MB); with environment credentials (Lambda, CI, local shells)
//! that work is never needed. The order and the errors are the chain's own: only
//! "not configured" moves on to the next links.

use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{imds, Region};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};

use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::profile::ProcessProfile;
use super::selection::{self, Cause};
use super::trust;

#[derive(Debug)]
pub(crate) struct EnvFirstChain {
    env: EnvironmentVariableCredentialsProvider,
    process: ProcessProfile,
    rest: tokio::sync::OnceCell<DefaultCredentialsChain>,
    region: Region,
    imds_timeout: Duration,
}

impl EnvFirstChain {
    pub(crate) fn new(region: Region, imds_timeout: Duration) -> Self {
        EnvFirstChain {
            env: EnvironmentVariableCredentialsProvider::new(),
            process: ProcessProfile::new(None, region.clone()),
            rest: tokio::sync::OnceCell::new(),
            region,
            imds_timeout,
        }
    }

    /// The rest of the chain, built on first use with the HTTPS client for the trust in force.
    async fn chain(&self, client: SharedHttpClient) -> &DefaultCredentialsChain {
        self.rest
            .get_or_init(|| async {
                let conf = ProviderConfig::default()
                    .with_region(Some(self.region.clone()))
                    .with_http_client(client);
                let imds = imds::Client::builder()
                    .configure(&conf)
                    .connect_timeout(self.imds_timeout)
                    .read_timeout(self.imds_timeout)
                    .max_attempts(1)
                    .build();
                let mut builder = DefaultCredentialsChain::builder();
                // aws-config reads AWS_PROFILE itself; AWS_DEFAULT_PROFILE only when told.
                if let Some((name, _)) = selection::env_profile() {
                    builder = builder.profile_name(&name);
                }
                builder
                    .configure(conf)
                    .region(self.region.clone())
                    .imds_client(imds)
                    .build()
                    .await
            })
            .await
    }
}

impl ProvideCredentials for EnvFirstChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.env.provide_credentials().await {
                Err(CredentialsError::CredentialsNotLoaded(_)) => {
                    if let Some(cause) = selection::partial_env_keys() {
                        return Err(cause.into_error());
                    }
                    let set = selection::load_profiles(None).await;
                    if let Some(cause) = selection::check_profile(set.as_ref(), None) {
                        return Err(cause.into_error());
                    }
                    let client = trust::http_client(&trust::trust_source(set.as_ref()))
                        .map_err(Cause::into_error)?;
                    match self.process.provider(&client).await {
                        Some(process) => process.provide_credentials().await,
                        None => self.chain(client).await.provide_credentials().await,
                    }
                }
                found => found,
            }
        })
    }
}
