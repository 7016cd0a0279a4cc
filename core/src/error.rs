//! One error type for the whole library, with stable codes that every binding maps 1:1.
//!
//! Messages say what to do next. They never contain a token, a secret access key or a session
//! token: only hosts, users, regions, provider names and access key ids appear in them.

use std::time::Duration;

use crate::options::{Argument, Message, Param, Surface};

/// Stable, language-neutral identifier of an [`Error`] kind.
///
/// Bindings expose it as `.code` (Python exception attribute, Node `Error.code`); the CLI prints
/// it. The string forms never change between releases.
///
/// [`ErrorCode::as_str`] is the one mapping to names: Node's `.code` and Python's exception
/// class names are these strings (the Python tests check every code has its class).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No credential source produced credentials.
    NoCredentials,
    /// The only credentials available have expired and could not be refreshed.
    CredentialsExpired,
    /// No region was given and none could be inferred from the hostname.
    NoRegion,
    /// The host or port cannot be signed for.
    InvalidEndpoint,
    /// Another argument (user, expiry, option combination) is invalid.
    InvalidArgument,
    /// A credential provider (IMDS, STS, SSO, `credential_process`, …) failed.
    ProviderError,
    /// A credential fetch took longer than the configured timeout.
    Timeout,
}

impl ErrorCode {
    /// Every code, in declaration order (for bindings that build one exception class per code).
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::NoCredentials,
        ErrorCode::CredentialsExpired,
        ErrorCode::NoRegion,
        ErrorCode::InvalidEndpoint,
        ErrorCode::InvalidArgument,
        ErrorCode::ProviderError,
        ErrorCode::Timeout,
    ];

    /// The stable string form, e.g. `"NoCredentials"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoCredentials => "NoCredentials",
            ErrorCode::CredentialsExpired => "CredentialsExpired",
            ErrorCode::NoRegion => "NoRegion",
            ErrorCode::InvalidEndpoint => "InvalidEndpoint",
            ErrorCode::InvalidArgument => "InvalidArgument",
            ErrorCode::ProviderError => "ProviderError",
            ErrorCode::Timeout => "Timeout",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong while resolving credentials or producing a token.
///
/// `Display` renders the message with Rust's option names; a binding shows
/// [`Error::render`] with its own [`Surface`] so every option is named as its users spell it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// No credential source produced credentials.
    NoCredentials {
        /// What the credential chain reported (never secret). With more than one line, the
        /// first names the cause and leads the message; the rest become its detail list.
        detail: String,
    },

    /// The credentials on hand expired and a refresh failed.
    CredentialsExpired {
        /// The credential source that produced the expired credentials.
        provider: String,
        /// Why the refresh failed.
        detail: String,
    },

    /// No region given and none inferable from the hostname.
    NoRegion {
        /// The host the region could not be inferred from.
        host: String,
    },

    /// The endpoint cannot be signed for.
    InvalidEndpoint {
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// Another argument is invalid.
    InvalidArgument {
        /// The option (or other argument) at fault.
        argument: Argument,
        /// What is wrong and how to fix it.
        reason: Message,
    },

    /// A credential provider failed.
    ProviderError {
        /// The provider (e.g. `default chain`, `profile "dev"`, `assume-role`).
        provider: String,
        /// The provider's own message (never secret). With more than one line, the first names
        /// the cause and leads the message; the rest become its detail list.
        detail: String,
    },

    /// A credential fetch timed out.
    Timeout {
        /// The provider that did not answer.
        provider: String,
        /// The timeout that elapsed.
        after: Duration,
    },
}

impl Error {
    /// The message, naming every option as `surface` spells it (`role_arn`, `roleArn`,
    /// `--role-arn`).
    pub fn render(&self, surface: Surface) -> String {
        let name = |p: Param| p.spelling(surface);
        match self {
            Error::NoCredentials { detail } => {
                // A known cause leads; otherwise the generic headline, the chain's attempts and
                // what to set.
                let (cause, rest) = split_cause(detail);
                let headline = format!(
                    "no AWS credentials: {}",
                    cause.unwrap_or(NOTHING_CONFIGURED)
                );
                let rest = if cause.is_none() {
                    detail.as_str()
                } else {
                    rest
                };
                if cause.is_some_and(|c| c != NOTHING_CONFIGURED) {
                    return headline_with_details(&headline, rest);
                }
                headline_with_details(
                    &headline,
                    &format!(
                        "{rest}\nset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile \
                         with AWS_PROFILE or `{}`, or run where a role is attached (EC2 instance \
                         profile, ECS task role, EKS IRSA / Pod Identity, Lambda)",
                        name(Param::Profile)
                    ),
                )
            }
            Error::CredentialsExpired { provider, detail } => {
                let (cause, rest) = split_cause(detail);
                let cause = cause.unwrap_or(detail);
                headline_with_details(
                    &format!(
                        "the AWS credentials from {provider} have expired and could not be \
                         refreshed: {cause}"
                    ),
                    &format!(
                        "{rest}\nrenew them (e.g. `aws sso login`, new session keys) or fix the \
                         credential source"
                    ),
                )
            }
            Error::NoRegion { host } => format!(
                "no AWS region for host `{host}`: it is not an RDS/Aurora/RDS Proxy/DSQL/ElastiCache/\
                 MemoryDB endpoint name that spells one, so pass `{}` explicitly (e.g. us-east-1); \
                 if you connect through a custom DNS name or a tunnel, also pass `{}` with the \
                 real RDS endpoint (for a cache, its name)",
                name(Param::Region),
                name(Param::SignHost)
            ),
            Error::InvalidEndpoint { reason } => format!("invalid database endpoint: {reason}"),
            Error::InvalidArgument { argument, reason } => format!(
                "invalid argument `{}`: {}",
                argument.spelling(surface),
                reason.render(surface)
            ),
            Error::ProviderError { provider, detail } => {
                let (cause, rest) = split_cause(detail);
                headline_with_details(
                    &format!(
                        "credential provider {provider} failed: {}",
                        cause.unwrap_or(detail)
                    ),
                    rest,
                )
            }
            Error::Timeout { provider, after } => format!(
                "fetching AWS credentials from {provider} timed out after {after:?}; check network \
                 access to the credential endpoint, or raise the timeout"
            ),
        }
    }

    /// An [`Error::InvalidArgument`] about `argument` (a [`Param`], or another argument's name).
    pub fn invalid_argument(argument: impl Into<Argument>, reason: impl Into<Message>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Surface::Rust))
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NoCredentials { .. } => ErrorCode::NoCredentials,
            Error::CredentialsExpired { .. } => ErrorCode::CredentialsExpired,
            Error::NoRegion { .. } => ErrorCode::NoRegion,
            Error::InvalidEndpoint { .. } => ErrorCode::InvalidEndpoint,
            Error::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Error::ProviderError { .. } => ErrorCode::ProviderError,
            Error::Timeout { .. } => ErrorCode::Timeout,
        }
    }

    /// The credential provider the error names (`CredentialsExpired`, `ProviderError`,
    /// `Timeout`), e.g. `profile "dev"`; `None` for the other kinds. Bindings expose it as
    /// `.provider`.
    pub fn provider(&self) -> Option<&str> {
        match self {
            Error::CredentialsExpired { provider, .. }
            | Error::ProviderError { provider, .. }
            | Error::Timeout { provider, .. } => Some(provider),
            _ => None,
        }
    }

    pub(crate) fn endpoint(reason: impl Into<String>) -> Self {
        Error::InvalidEndpoint {
            reason: reason.into(),
        }
    }

    pub(crate) fn argument(argument: impl Into<Argument>, reason: impl Into<Message>) -> Self {
        Error::invalid_argument(argument, reason)
    }
}

/// The cause of a `NoCredentials` when no source is configured at all (then the message also
/// says what to set).
pub(crate) const NOTHING_CONFIGURED: &str =
    "no credential source is configured (the attempts are listed below)";

/// A detail's first line (its cause) and the rest, when it has more than one line.
fn split_cause(detail: &str) -> (Option<&str>, &str) {
    match detail.split_once('\n') {
        Some((cause, rest)) => (Some(cause), rest),
        None => (None, ""),
    }
}

/// One headline, then each non-empty line of `details` as an indented item.
fn headline_with_details(headline: &str, details: &str) -> String {
    let mut out = headline.to_owned();
    for line in details.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str("\n  - ");
        out.push_str(line.trim_start());
    }
    out
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_strings() {
        let names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "NoCredentials",
                "CredentialsExpired",
                "NoRegion",
                "InvalidEndpoint",
                "InvalidArgument",
                "ProviderError",
                "Timeout"
            ]
        );
    }

    #[test]
    fn no_region_says_what_to_do() {
        let e = Error::NoRegion {
            host: "db.example.com".into(),
        };
        let msg = e.to_string();
        assert!(
            msg.contains("db.example.com") && msg.contains("region") && msg.contains("sign_host")
        );
        assert_eq!(e.code(), ErrorCode::NoRegion);
    }

    #[test]
    fn no_region_names_the_options_in_each_surface_spelling() {
        let e = Error::NoRegion {
            host: "db.example.com".into(),
        };
        for (surface, region, sign_host, other) in [
            (Surface::Python, "`region`", "`sign_host`", "signHost"),
            (Surface::Node, "`region`", "`signHost`", "sign_host"),
            (Surface::Cli, "`--region`", "`--sign-host`", "sign_host"),
        ] {
            let msg = e.render(surface);
            assert!(msg.contains(region) && msg.contains(sign_host), "{msg}");
            assert!(!msg.contains(other), "{msg}");
        }
    }

    #[test]
    fn invalid_argument_renders_the_param_and_the_names_in_its_reason() {
        let e = Error::invalid_argument(
            Param::RoleArn,
            Message::name(Param::ExternalId)
                .then(" needs ")
                .then_name(Param::RoleArn),
        );
        assert_eq!(
            e.render(Surface::Node),
            "invalid argument `roleArn`: `externalId` needs `roleArn`"
        );
        assert_eq!(
            e.to_string(),
            "invalid argument `role_arn`: `external_id` needs `role_arn`"
        );
    }
}
