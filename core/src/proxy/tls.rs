//! The proxy's two TLS legs. Upstream: verify-full against the same trust as every helper
//! (system roots + the RDS bundle + Amazon's public roots, or `--ca`), checked against the
//! signed host name, so a tunnel (`--sign-host`) verifies the real endpoint. Towards clients
//! (`--client-tls`): a self-signed certificate made at start, or the user's own.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::tls_file::trust_pem;

/// The TLS the proxy offers its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientTls {
    /// A self-signed certificate for `localhost` / `127.0.0.1` / `::1`, made at start: clients
    /// with `sslmode=require` connect; `verify-full` needs a certificate of one's own.
    Auto,
    /// A certificate chain and its private key, PEM files.
    Files {
        /// The certificate chain (leaf first).
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The upstream leg's configuration: verify-full with `ca` (a PEM file) or the default trust.
pub(crate) fn upstream_config(
    ca: Option<&Path>,
    alpn: &[&[u8]],
) -> Result<Arc<ClientConfig>, String> {
    let pem = match ca {
        Some(path) => std::fs::read(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?,
        None => trust_pem().into_bytes(),
    };
    let mut roots = RootCertStore::empty();
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("the CA file holds a bad PEM block: {e}"))?;
        // The system bundle may carry a root rustls cannot parse; one bad root is no reason to
        // refuse the rest (as OpenSSL does).
        if roots.add(cert).is_ok() {
            added += 1;
        }
    }
    if added == 0 {
        return Err(match ca {
            Some(path) => format!("the CA file {} holds no certificate", path.display()),
            None => "no trusted root certificate could be loaded".into(),
        });
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// The name the upstream certificate must carry: the signed host.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_owned())
        .map_err(|_| format!("`{host}` cannot be checked as a TLS server name"))
}

/// The client leg's configuration, offering `alpn` (PostgreSQL's direct SSL needs
/// `postgresql`).
pub(crate) fn client_config(tls: &ClientTls, alpn: &[&[u8]]) -> Result<Arc<ServerConfig>, String> {
    let (chain, key) = match tls {
        ClientTls::Auto => self_signed()?,
        ClientTls::Files { cert, key } => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read the certificate file {}: {e}", cert.display()))?;
            if chain.is_empty() {
                return Err(format!("{} holds no certificate", cert.display()));
            }
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("cannot read the key file {}: {e}", key.display()))?;
            (chain, key)
        }
    };
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the client TLS certificate and key do not fit: {e}"))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

type CertAndKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn self_signed() -> Result<CertAndKey, String> {
    let names = [
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
    let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
        .map_err(|e| format!("cannot use the self-signed key: {e}"))?;
    Ok((vec![made.cert.der().clone()], key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_trust_loads_and_a_self_signed_certificate_is_made() {
        upstream_config(None, &[]).expect("default trust");
        let config = client_config(&ClientTls::Auto, &[b"postgresql"]).expect("self-signed");
        assert_eq!(config.alpn_protocols, vec![b"postgresql".to_vec()]);
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("rds-iam-proxy-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let e = upstream_config(Some(&empty), &[]).unwrap_err();
        assert!(
            e.contains("holds no certificate") && e.contains("empty.pem"),
            "{e}"
        );
        let e = upstream_config(Some(&dir.join("missing.pem")), &[]).unwrap_err();
        assert!(e.contains("cannot read the CA file"), "{e}");
    }
}
