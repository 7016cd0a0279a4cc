//! The trust of every HTTPS client the core builds (STS, SSO, the container endpoint): the
//! platform's roots plus `AWS_CA_BUNDLE`, or the active profile's `ca_bundle` when the variable
//! is unset — as botocore and the AWS CLI do. Behind a TLS-inspecting proxy that bundle holds
//! the proxy's CA; without it every STS call fails its handshake.
//!
//! One client per trust configuration (per fork generation), built once: building a client
//! loads the platform's roots (several ms and MB), and each client keeps its own pool.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use aws_config::profile::ProfileSet;
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpClient};

use crate::fork::ForkLocal;

use super::selection::{env_var, Cause, CauseKind};

/// Where the extra trusted certificates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TrustSource {
    /// The platform's roots only.
    Platform,
    /// The platform's roots plus a PEM bundle, named by `setting` (`AWS_CA_BUNDLE`,
    /// `ca_bundle`).
    Bundle {
        /// The setting that names the file.
        setting: &'static str,
        /// The file.
        path: PathBuf,
    },
}

impl std::fmt::Display for TrustSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustSource::Platform => f.write_str("the platform's root certificates"),
            TrustSource::Bundle { setting, path } => write!(
                f,
                "the platform's root certificates + {} (from {setting})",
                path.display()
            ),
        }
    }
}

/// The trust the environment and the active profile of `set` ask for.
pub(crate) fn trust_source(set: Option<&ProfileSet>) -> TrustSource {
    if let Some(path) = env_var("AWS_CA_BUNDLE") {
        return TrustSource::Bundle {
            setting: "AWS_CA_BUNDLE",
            path: path.into(),
        };
    }
    let from_profile = set
        .and_then(|s| s.get_profile(s.selected_profile()))
        .and_then(|p| p.get("ca_bundle"))
        .filter(|p| !p.is_empty());
    match from_profile {
        Some(path) => TrustSource::Bundle {
            setting: "ca_bundle",
            path: path.into(),
        },
        None => TrustSource::Platform,
    }
}

/// What `doctor` reports about the trust for `profile` (else the environment's choice).
#[cfg(feature = "cli")]
pub(crate) enum TrustReport {
    /// The trust in force, described.
    Ok(String),
    /// Why the configured bundle cannot be used.
    Bad(String),
}

/// The trust STS and SSO calls use, for `doctor`.
#[cfg(feature = "cli")]
pub(crate) async fn describe_trust(profile: Option<&str>) -> TrustReport {
    let set = super::selection::load_profiles(profile).await;
    let source = trust_source(set.as_ref());
    match http_client(&source) {
        Ok(_) => TrustReport::Ok(source.to_string()),
        Err(cause) => TrustReport::Bad(cause.headline),
    }
}

/// The HTTPS client for the trust of `profile` (else the environment's choice), or the
/// platform's roots when its bundle cannot be used (the caller reports that bundle elsewhere).
/// Always a client: aws-config and aws-sdk-sts are built without a default one of their own.
pub(crate) async fn trusted_client(profile: Option<&str>) -> SharedHttpClient {
    let set = super::selection::load_profiles(profile).await;
    http_client(&trust_source(set.as_ref())).unwrap_or_else(|_| platform_client())
}

/// The HTTPS client with the platform's roots only.
fn platform_client() -> SharedHttpClient {
    // Building a context without a bundle cannot fail; TlsContext's default is the same trust.
    http_client(&TrustSource::Platform).unwrap_or_else(|_| new_client(TlsContext::default()))
}

/// Clients by bundle content (`None`: the platform's roots), one map per fork generation: a
/// child of a fork never takes a lock its parent may have held, and builds its own clients.
type Clients = Mutex<HashMap<Option<Vec<u8>>, SharedHttpClient>>;
static CLIENTS: ForkLocal<Clients> = ForkLocal::new();

/// The HTTPS client for `source`, built on first use. A bundle that cannot be read or holds
/// no valid PEM certificate is a [`Cause`] naming the setting and the path.
pub(crate) fn http_client(source: &TrustSource) -> Result<SharedHttpClient, Cause> {
    let pem = bundle_pem(source)?;
    let mut clients = crate::sync::lock(CLIENTS.get_or_init(Default::default));
    if let Some(client) = clients.get(&pem) {
        return Ok(client.clone());
    }
    let client = new_client(tls_context(pem.as_deref())?);
    clients.insert(pem, client.clone());
    Ok(client)
}

/// As aws-config builds its default client (behavior version 2025-08-07 and later), with
/// `context`'s trust, our proxies and ring for rustls's crypto.
fn new_client(context: TlsContext) -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(
        move |settings, runtime_components| {
            let sleep = runtime_components.and_then(|c| c.sleep_impl());
            connector(context.clone(), settings.cloned(), sleep)
        },
    )
}

/// A one-off connector with the environment's trust and proxies, for `doctor`'s own requests
/// from this machine (an OIDC issuer's documents).
#[cfg(feature = "cli")]
pub(crate) fn environment_connector() -> Result<Connector, Cause> {
    let pem = bundle_pem(&trust_source(None))?;
    Ok(connector(tls_context(pem.as_deref())?, None, None))
}

/// The extra PEM certificates `source` names (`None`: the platform's roots only).
fn bundle_pem(source: &TrustSource) -> Result<Option<Vec<u8>>, Cause> {
    match source {
        TrustSource::Platform => Ok(None),
        TrustSource::Bundle { setting, path } => read_bundle(setting, path).map(Some),
    }
}

/// The platform's roots plus `pem`.
fn tls_context(pem: Option<&[u8]>) -> Result<TlsContext, Cause> {
    let mut store = TrustStore::default().with_native_roots(true);
    if let Some(pem) = pem {
        store = store.with_pem_certificate(pem.to_vec());
    }
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| Cause {
            kind: CauseKind::Provider,
            headline: format!("cannot build the HTTPS client: {e}"),
            details: vec![],
        })
}

/// Every connector here: rustls with ring, `context`'s trust, proxies from HTTP_PROXY /
/// HTTPS_PROXY / NO_PROXY (read when the connector is built). The crypto provider is given to
/// each rustls config (CryptoMode::Ring); no process-wide default provider is installed or read.
fn connector(
    context: TlsContext,
    settings: Option<HttpConnectorSettings>,
    sleep: Option<SharedAsyncSleep>,
) -> Connector {
    let mut builder = aws_smithy_http_client::ConnectorBuilder::default()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context);
    builder.set_connector_settings(settings);
    builder.set_sleep_impl(sleep);
    builder.set_proxy_config(Some(ProxyConfig::from_env()));
    builder.build()
}

/// The bundle's bytes, checked the way the TLS stack will load them (it panics on a bad one).
fn read_bundle(setting: &'static str, path: &PathBuf) -> Result<Vec<u8>, Cause> {
    let bad = |what: String| Cause {
        kind: CauseKind::Setting(setting),
        headline: format!(
            "the CA bundle `{}` named by {setting} {what}",
            path.display()
        ),
        details: vec![format!(
            "point {setting} at a PEM file with your CA's certificate (a TLS-inspecting proxy's \
             CA, for example), or unset it to trust the platform's roots only"
        )],
    };
    let pem = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad("does not exist".into()),
        _ => bad(format!("cannot be read ({e})")),
    })?;
    let mut roots = rustls::RootCertStore::empty();
    let mut count = 0;
    for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(&pem) {
        let cert: rustls_pki_types::CertificateDer<'_> =
            cert.map_err(|e| bad(format!("is not valid PEM ({e})")))?;
        roots
            .add(cert)
            .map_err(|e| bad(format!("holds a certificate that does not parse ({e})")))?;
        count += 1;
    }
    if count == 0 {
        return Err(bad("holds no PEM certificate".into()));
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_bundle_names_the_setting_and_path() {
        let dir = std::env::temp_dir().join(format!("rds-iam-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        for (path, what) in [(&missing, "does not exist"), (&empty, "holds no PEM")] {
            let source = TrustSource::Bundle {
                setting: "AWS_CA_BUNDLE",
                path: path.clone(),
            };
            let cause = http_client(&source).unwrap_err();
            assert_eq!(cause.kind, CauseKind::Setting("AWS_CA_BUNDLE"));
            assert!(cause.headline.contains(what), "{}", cause.headline);
            assert!(cause.headline.contains(&path.display().to_string()));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn one_client_per_trust() {
        let a = http_client(&TrustSource::Platform).unwrap();
        let b = http_client(&TrustSource::Platform).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let clients = crate::sync::lock(CLIENTS.get_or_init(Default::default));
        assert!(clients.contains_key(&None));
    }
}
