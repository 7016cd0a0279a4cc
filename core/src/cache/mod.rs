//! The process-wide caches: credentials per credential source, tokens per endpoint and identity.
//! Both live in the fork-aware registry (see `runtime`).

pub(crate) mod credentials;
pub(crate) mod tokens;
