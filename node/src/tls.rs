//! The core's TLS trust for JavaScript: the shipped RDS CA bundle (read once by `main.js` as
//! `rdsIam.caBundle`) and the certificate family of an endpoint.

use napi_derive::napi;

/// The Amazon RDS root CA certificates (PEM) shipped with the package.
#[napi]
pub fn ca_bundle_pem() -> &'static str {
    rds_iam::tls::CA_BUNDLE_PEM
}

/// Whether the default trust (Node's root CAs + the RDS bundle) covers the endpoint `host`:
/// `true`, `false` (pass your own `ca`) or `null` (not an AWS endpoint name).
#[napi]
pub fn tls_covered(host: String) -> Option<bool> {
    rds_iam::tls::coverage(&host).covered
}
