//! What a provider's failure says to the user: which provider (for the default chain, which
//! link) failed, the error's own words, and what to check.

use aws_credential_types::provider::error::CredentialsError;

use super::selection::{Cause, CauseKind};
use crate::error::Error;
use crate::options::Argument;

/// Maps a provider failure to our error: the provider (for the default chain, the link that
/// failed), the error's own words (its `source()` chain, not the Debug dump of HTTP responses)
/// and what to check.
pub(crate) fn map_provider_error(
    provider: &str,
    is_default_chain: bool,
    err: CredentialsError,
) -> Error {
    if let Some(cause) = find_cause(&err) {
        let detail = std::iter::once(cause.headline.as_str())
            .chain(cause.details.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\n");
        return match cause.kind {
            CauseKind::NoCredentials => Error::NoCredentials { detail },
            CauseKind::Provider => Error::ProviderError {
                provider: provider.to_owned(),
                detail,
            },
            CauseKind::Setting(name) => Error::InvalidArgument {
                argument: Argument::Named(name),
                reason: detail.replace('\n', "; ").into(),
            },
        };
    }
    // "Not loaded" lists every link the chain tried: worth keeping whole.
    let max_part = match err {
        CredentialsError::CredentialsNotLoaded(_) => 1200,
        _ => 240,
    };
    let detail = error_chain(&err, max_part);
    if let CredentialsError::ProviderTimedOut(t) = &err {
        return Error::Timeout {
            provider: provider.to_owned(),
            after: t.timeout_duration(),
        };
    }
    if matches!(err, CredentialsError::CredentialsNotLoaded(_)) {
        return Error::NoCredentials {
            detail: format!("{}\n{provider}: {detail}", crate::error::NOTHING_CONFIGURED),
        };
    }
    let (link, hint) = failed_link(provider, is_default_chain, &detail);
    // The headline is the innermost cause (e.g. "invalid peer certificate: UnknownIssuer");
    // the whole chain and the hint follow it.
    let root = root_cause(&err);
    Error::ProviderError {
        provider: link,
        detail: format!("{root}\n{detail}\n{hint}"),
    }
}

/// A [`Cause`] anywhere in the error's source chain (a role on top wraps its base's error).
fn find_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Cause> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(cause) = e.downcast_ref::<Cause>() {
            return Some(cause);
        }
        next = e.source();
    }
    None
}

/// The innermost error's own words, on one line and short.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(e) = last.source() {
        last = e;
    }
    let text = last.to_string();
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// The `Display` of an error and of each of its sources, without repeats.
fn error_chain(err: &(dyn std::error::Error + 'static), max_part: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        // Some errors print whole HTTP responses (headers, bodies): keep the start only.
        let mut text = e.to_string();
        if text.len() > max_part {
            let cut = (0..=max_part)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A link of the credential chain, as the diagnosis names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Link {
    AssumeRole,
    Imds,
    WebIdentity,
    Container,
    Process,
    Sso,
    Profile,
    /// Not known: a profile source, static or custom credentials, or nothing recognisable.
    Unknown,
}

impl Link {
    /// The name added to the default chain's name, e.g. "the default credential chain (SSO)".
    fn name(self) -> &'static str {
        match self {
            Link::Imds => "EC2 instance metadata (IMDS)",
            Link::WebIdentity => "web identity",
            Link::Container => "ECS / EKS Pod Identity container endpoint",
            Link::Process => "credential_process",
            Link::Sso => "SSO",
            Link::Profile => "profile",
            Link::AssumeRole | Link::Unknown => "",
        }
    }

    /// What to check for this link.
    fn hint(self) -> String {
        match self {
            Link::AssumeRole => "check the role ARN, its trust policy, and that the base credentials may call sts:AssumeRole".into(),
            Link::Imds => "check the instance profile of this instance and that IMDS answers (in containers set the IMDSv2 hop limit to 2); off EC2 set AWS_EC2_METADATA_DISABLED=true".into(),
            Link::WebIdentity => {
                let file = env("AWS_WEB_IDENTITY_TOKEN_FILE").map_or_else(String::new, |f| format!(" `{f}`"));
                format!("check the token file{file} named by AWS_WEB_IDENTITY_TOKEN_FILE (EKS: the projected service-account token), AWS_ROLE_ARN and the role's trust policy")
            }
            Link::Container => "check the task role or Pod Identity association and that AWS_CONTAINER_CREDENTIALS_FULL_URI (or _RELATIVE_URI) is reachable".into(),
            Link::Process => "run the credential_process command from your AWS config by hand and fix its output (JSON with Version 1, AccessKeyId, SecretAccessKey)".into(),
            Link::Sso => "run `aws sso login` for the profile".into(),
            Link::Profile => "check the profile in ~/.aws/config and ~/.aws/credentials".into(),
            Link::Unknown => "check the credential source".into(),
        }
    }
}

/// A non-empty environment variable.
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Which provider failed (named from the error text, then from the environment in the default
/// chain's order) and what to check for it.
fn failed_link(provider: &str, is_default_chain: bool, detail: &str) -> (String, String) {
    let lower = detail.to_lowercase();
    let link = if provider.starts_with("assume-role") {
        Link::AssumeRole
    } else if lower.contains("imds") || lower.contains("instance metadata") {
        Link::Imds
    } else if lower.contains("web identity")
        || lower.contains("webidentity")
        || (is_default_chain
            && env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
            && !lower.contains("process"))
    {
        Link::WebIdentity
    } else if lower.contains("container") || lower.contains("ecs") {
        Link::Container
    } else if lower.contains("process") {
        Link::Process
    } else if lower.contains("sso") {
        Link::Sso
    } else if provider.starts_with("profile")
        || (is_default_chain && super::selection::env_profile().is_some())
    {
        Link::Profile
    } else if is_default_chain
        && (env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some())
    {
        Link::Container
    } else if is_default_chain {
        // Nothing else configured: the chain's last link.
        Link::Imds
    } else {
        Link::Unknown
    };
    let name = if is_default_chain && !link.name().is_empty() {
        format!("{provider} ({})", link.name())
    } else {
        provider.to_owned()
    };
    (name, link.hint())
}
