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

use super::profile::ProcessProfile;

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

    async fn chain(&self) -> &DefaultCredentialsChain {
        self.rest
            .get_or_init(|| async {
                let conf = ProviderConfig::default().with_region(Some(self.region.clone()));
                let imds = imds::Client::builder()
                    .configure(&conf)
                    .connect_timeout(self.imds_timeout)
                    .read_timeout(self.imds_timeout)
                    .max_attempts(1)
                    .build();
                DefaultCredentialsChain::builder()
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
                    match self.process.provider().await {
                        Some(process) => process.provide_credentials().await,
                        None => self.chain().await.provide_credentials().await,
                    }
                }
                found => found,
            }
        })
    }
}
