//! Node.js binding of `rds-iam` (npm package `rds-iam`), built with `@napi-rs/cli`.
//!
//! A translation layer only: it converts JavaScript values to the core's types and back, hands
//! out Promises, and turns every [`rds_iam::Error`] into a JavaScript `Error` whose `.code` is
//! the core's stable code. Caching, parsing and credential logic live in the core.
//!
//! - `errors.rs`: errors of the package's classes (`.code` = the core's `ErrorCode::as_str`,
//!   `.provider`), through the factory `main.js` sets; `errorCodes()`
//! - `options.rs`: reading and checking options objects (and `Date`s both ways)
//! - `types.rs`: the option and result shapes for the generated `index.d.ts`
//! - `signer.rs`: the `Signer` class (it installs the lean methods at load)
//! - `lean_methods.rs`: lean callbacks for `token()` / `tokenSync()` and `signer.password`
//! - `token_promise.rs`: Promises of tokens, settled at once or from the core's callback
//! - `napi_raw.rs`: every raw Node-API call, behind small wrappers, and the status check
//! - `sign.rs`: `sign({...})`, `signFields` (its positional way in for `js/sign.js`) and
//!   `optionKeys` (the option names from the core's `Param` table)
//! - `tls.rs`: `caBundlePem()` and `tlsCovered(host)` from the core's `tls` module
//! - `provider.rs`: `credentials` given an AWS SDK v3 identity provider (a core credential
//!   source called through a threadsafe function)
//! - `proxy.rs`: `proxy(signer, options)`, the core's in-process IAM auth proxy, and the
//!   `LocalProxy` it resolves to
//! - this file: the module's other exports
#![deny(clippy::all)]
// Raw Node-API calls live in `napi_raw.rs`; every unsafe operation is in its own narrow block
// that says why it holds.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod errors;
mod lean_methods;
mod napi_raw;
mod options;
mod provider;
mod proxy;
mod sign;
mod signer;
mod tls;
mod token_promise;
mod types;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

pub use errors::{error_codes, set_error_factory};
pub use proxy::{proxy, LocalProxy};
pub use sign::{option_keys, sign, sign_fields};
pub use signer::Signer;
pub use tls::{ca_bundle_pem, tls_covered};
pub use types::{
    ClientTlsFiles, CredentialsInput, ProxyOptions, SignOptions, SignerOptions, Stats, TokenInfo,
    UrlOptions,
};

/// Module init, after the generated exports: registers the core's fork handler (so a `fork()`
/// before the first token is seen too) and puts the lean token callbacks in place.
#[napi(module_exports)]
pub fn init(exports: Object, env: Env) -> napi::Result<()> {
    rds_iam::init();
    signer::install_lean_methods(&env, &exports)
}

/// Empties the process-wide token and credential caches (after rotating credentials, or
/// between tests). Signers keep working; their next call fetches and signs again.
#[napi]
pub fn clear_caches() {
    rds_iam::clear_caches();
}

/// Process-wide counters: `signatures` = tokens signed so far (cache misses),
/// `credentialFetches` = credential fetches that returned credentials.
#[napi]
pub fn stats() -> Stats {
    let s = rds_iam::stats();
    Stats {
        signatures: s.signatures as f64,
        credential_fetches: s.credential_fetches as f64,
    }
}

/// The library version (the Cargo workspace version; the npm package has the same).
#[napi]
pub const VERSION: &str = rds_iam::VERSION;

/// Runs the `rds-iam` command line (`argv` starts with the program name); returns the exit
/// status: 0 success, 1 a library error (printed as `error[Code]: …`), 2 a usage error.
#[napi]
pub fn cli_main(argv: Vec<String>) -> i32 {
    use std::io::Write;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let status = rds_iam::cli::run(argv, &mut out, &mut err);
    let _ = out.flush();
    let _ = err.flush();
    status
}

#[cfg(test)]
mod tests {
    #[test]
    fn package_json_version_is_the_cargo_version() {
        let pkg = include_str!("../../package.json");
        let needle = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
        assert!(
            pkg.contains(&needle),
            "package.json must carry version {}",
            env!("CARGO_PKG_VERSION")
        );
    }
}
