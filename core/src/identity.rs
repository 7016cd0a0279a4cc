//! Who the credentials belong to (STS `GetCallerIdentity`) and how far the local clock is from
//! AWS's (the STS response's `Date` header): the facts `rds-iam doctor` reports.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};

use crate::error::{Error, Result};
use crate::runtime::runtime;
use crate::sync::lock;

/// The identity behind a set of credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The 12-digit account id.
    pub account: String,
    /// The caller's ARN (`…:user/…` or `…:assumed-role/<role>/<session>`).
    pub arn: String,
    /// STS's clock when it answered (its `Date` header), if it sent one.
    pub server_time: Option<SystemTime>,
}

impl CallerIdentity {
    /// How far the local clock at `local` is ahead (+) of or behind (−) STS's, in seconds.
    pub fn clock_skew_secs(&self, local: SystemTime) -> Option<i64> {
        let server = self.server_time?;
        Some(match local.duration_since(server) {
            Ok(ahead) => ahead.as_secs() as i64,
            Err(behind) => -(behind.duration().as_secs() as i64),
        })
    }
}

/// Calls STS `GetCallerIdentity` with `credentials` in `region` (honours
/// `AWS_ENDPOINT_URL_STS`), on the library's runtime, within `timeout`.
pub fn caller_identity_blocking(
    credentials: &Credentials,
    region: &str,
    timeout: Duration,
) -> Result<CallerIdentity> {
    let creds = credentials.clone();
    let region = Region::new(region.to_owned());
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let call = caller_identity(creds, region);
        let result = match tokio::time::timeout(timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                provider: "STS GetCallerIdentity".into(),
                after: timeout,
            }),
        };
        let _ = tx.send(result);
    });
    rx.recv()
        .unwrap_or_else(|_| Err(sts_error("the STS call stopped without an answer")))
}

async fn caller_identity(creds: Credentials, region: Region) -> Result<CallerIdentity> {
    // The trust the credential providers use (AWS_CA_BUNDLE, the profile's ca_bundle); a bad
    // bundle is reported by doctor's own line, so the platform's roots are used then.
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .http_client(crate::credentials::trusted_client(None).await)
        .load()
        .await;
    let date = Arc::new(Mutex::new(None));
    let sts_conf = aws_sdk_sts::config::Builder::from(&conf)
        .interceptor(CaptureDate(date.clone()))
        .build();
    let out = aws_sdk_sts::Client::from_conf(sts_conf)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            sts_error(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())
        })?;
    let server_time = lock(&date).take();
    Ok(CallerIdentity {
        account: out.account().unwrap_or_default().to_owned(),
        arn: out.arn().unwrap_or_default().to_owned(),
        server_time,
    })
}

fn sts_error(detail: impl Into<String>) -> Error {
    Error::ProviderError {
        provider: "STS GetCallerIdentity".into(),
        detail: detail.into(),
    }
}

/// Keeps the `Date` header of the STS response.
#[derive(Debug)]
struct CaptureDate(Arc<Mutex<Option<SystemTime>>>);

impl Intercept for CaptureDate {
    fn name(&self) -> &'static str {
        "CaptureDate"
    }

    fn read_after_transmit(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let parsed = ctx
            .response()
            .headers()
            .get("date")
            .and_then(|d| DateTime::from_str(d, Format::HttpDate).ok())
            .and_then(|d| SystemTime::try_from(d).ok());
        if let Some(t) = parsed {
            *lock(&self.0) = Some(t);
        }
        Ok(())
    }
}
