//! The options model: every option of a [`crate::Signer`] and of [`crate::sign`] as plain data
//! ([`SignerOptions`], [`SignOptions`]) with their rules, and [`Param`], which names each option
//! in the spelling of each [`Surface`] so errors read as the caller wrote them.
//!
//! Bindings and the CLI only convert their values into these types; every rule (which options
//! go together, defaults, bounds, the login user vs the signed user) is checked here.

mod dsql;
mod message;
mod param;
mod sign;
mod signer;

pub(crate) use dsql::token_kind;
pub use message::Message;
pub use param::{Argument, Param, Surface};
pub use sign::SignOptions;
pub(crate) use signer::Checked;
pub use signer::SignerOptions;
