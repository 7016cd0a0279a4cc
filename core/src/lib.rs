//! # rds-iam
//!
//! Signs AWS IAM database auth tokens — RDS, Aurora and RDS Proxy (`rds-db:connect`) and Aurora
//! DSQL (`dsql:DbConnect` / `DbConnectAdmin`) — reuses them while they are good, and resolves
//! AWS credentials the way every AWS SDK does.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rds_iam::Error> {
//! let signer = rds_iam::Signer::builder("mydb.abc123.us-east-1.rds.amazonaws.com")
//!     .port(5432)
//!     .user("app_user")
//!     .build()?;
//! let password = signer.token().await?; // cached for the next connections
//! # Ok(()) }
//! ```
//!
//! Tokens are byte-for-byte what botocore's `generate_db_auth_token` returns. The pure function
//! [`sign`] signs with explicit credentials and time; [`Signer`] adds credential resolution
//! and process-wide caching (the crate README, core/README.md, has the caching rules, the token
//! kinds and the errors).
//!
//! ## Features
//! - `cli` (default): the `rds-iam` command and its [`cli`] module, built on clap. A program
//!   that only signs tokens turns default features off
//!   (`rds-iam = { version = "…", default-features = false }`) and does not compile clap.
#![deny(missing_docs)]

mod answer;
mod cache;
mod cache_name;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod credentials;
mod endpoint;
mod error;
mod fork;
/// Entry points for the fuzz targets in fuzz/ (the `fuzzing` feature); not a stable API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod identity;
#[cfg(feature = "cli")]
mod json_text;
mod options;
#[cfg(feature = "cli")]
pub mod proxy;
mod region_codes;
mod runtime;
mod sign;
mod signer;
mod sigv4;
pub mod sync;
pub mod tls;
mod tls_file;
mod token_kind;
mod url;

pub use aws_credential_types::Credentials;
pub use cache::clear_caches;
pub use cache::tokens::ReusePolicy;
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use credentials::{AssumeRole, CredentialSource, FetchTimeouts};
pub use endpoint::{host_kind, infer_region, is_region, Endpoint, HostKind, DEFAULT_PORT};
pub use error::{Error, ErrorCode, Result};
pub use fork::init;
pub use identity::{caller_identity_blocking, CallerIdentity};
pub use options::{Argument, Message, Param, SignOptions, SignerOptions, Surface};
pub use sign::{
    sign, TokenKind, TokenSpec, CACHE_TOKEN_LIFETIME, DSQL_DEFAULT_LIFETIME, DSQL_MAX_LIFETIME,
    RDS_TOKEN_LIFETIME,
};
pub use signer::{stats, Signer, SignerBuilder, Stats, TokenInfo};
pub use url::{ConnectionUrl, UrlDriver, UrlOptions};

/// The library version (from Cargo), shared by every distribution.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The repository README's Rust examples, compiled and run as doctests (tests/docs checks that
/// every page with a Rust block is included here).
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The crate README's Rust examples (crates.io shows that page), compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct CrateReadmeDoctests;
