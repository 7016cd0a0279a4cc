//! Retrying the web identity link (`AssumeRoleWithWebIdentity`) when STS says the identity
//! provider could not be reached: `InvalidIdentityToken` "Couldn't retrieve verification key
//! from your identity provider" and `IDPCommunicationError`. STS's troubleshooting guide calls
//! both intermittent and advises exponential back-off with more retries.
//!
//! This wraps whole providers (the default chain, a named profile) rather than replacing
//! aws-config's `WebIdentityTokenCredentialsProvider`: the web identity call is then found in
//! every place aws-config makes it — `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` in the
//! chain, a profile's `web_identity_token_file`, with any `role_arn` hops above it — and keeps
//! aws-config's order, its session names and its rereading of the (rotated) token file. The
//! links before web identity answer "not configured" at once, so a new attempt costs one STS
//! call. Which error it was is read from the typed STS error in the error's `source()` chain,
//! never from text.
//!
//! The STS client's own standard retry stays underneath (3 attempts for throttling, 5xx and
//! `IDPCommunicationError`; it does not retry `InvalidIdentityToken`).

use std::time::{Duration, Instant};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError;

/// The default number of attempts (the first call and its retries).
pub const DEFAULT_WEB_IDENTITY_ATTEMPTS: u32 = 4;

/// The wait before the first retry; it doubles per retry and is jittered into [w/2, w].
const FIRST_DELAY: Duration = Duration::from_millis(400);

/// A provider whose transient web identity failures are retried with jittered exponential
/// back-off, for at most `attempts` calls and only while the next attempt fits in `budget`
/// (the fetch timeout), so the caller gets STS's own error rather than a timeout.
#[derive(Debug)]
pub(crate) struct WebIdentityRetry<P> {
    inner: P,
    attempts: u32,
    budget: Duration,
}

impl<P> WebIdentityRetry<P> {
    pub(crate) fn new(inner: P, attempts: u32, budget: Duration) -> Self {
        WebIdentityRetry {
            inner,
            attempts: attempts.max(1),
            budget,
        }
    }
}

impl<P: ProvideCredentials> ProvideCredentials for WebIdentityRetry<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let started = Instant::now();
            let mut attempt = 1;
            loop {
                let attempt_started = Instant::now();
                let result = self.inner.provide_credentials().await;
                let err = match result {
                    Err(e) if attempt < self.attempts && is_transient_web_identity(&e) => e,
                    other => return other,
                };
                let delay = delay(attempt);
                // The next attempt is predicted to take as long as this one did.
                let predicted = started.elapsed() + delay + attempt_started.elapsed();
                if predicted >= self.budget {
                    log::debug!(
                        "web identity: not retrying after attempt {attempt}: the next one would end past the fetch timeout ({:?})",
                        self.budget
                    );
                    return Err(err);
                }
                log::debug!(
                    "web identity: attempt {attempt} of {} failed ({}); retrying in {delay:?}",
                    self.attempts,
                    reason(&err).unwrap_or("transient")
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
        })
    }
}

/// The wait after failed attempt `attempt` (1-based): [`FIRST_DELAY`] doubled per attempt,
/// then a random point in its upper half, so pods that failed together do not retry together.
fn delay(attempt: u32) -> Duration {
    crate::clock::jittered(FIRST_DELAY.saturating_mul(1 << attempt.saturating_sub(1).min(10)))
}

/// Whether `err` is STS failing to reach the identity provider (worth another attempt).
pub(crate) fn is_transient_web_identity(err: &CredentialsError) -> bool {
    reason(err).is_some()
}

/// Which transient web identity failure `err` carries, if it is one.
fn reason(err: &CredentialsError) -> Option<&'static str> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(sts) = e.downcast_ref::<AssumeRoleWithWebIdentityError>() {
            return transient_sts_error(sts);
        }
        next = e.source();
    }
    None
}

/// `IDPCommunicationError`, or `InvalidIdentityToken` whose message says the verification key
/// could not be retrieved; every other `InvalidIdentityToken` (audience, expiry, unknown
/// provider) is final.
fn transient_sts_error(err: &AssumeRoleWithWebIdentityError) -> Option<&'static str> {
    match err {
        AssumeRoleWithWebIdentityError::IdpCommunicationErrorException(_) => {
            Some("IDPCommunicationError")
        }
        AssumeRoleWithWebIdentityError::InvalidIdentityTokenException(e) => e
            .message()
            .filter(|m| m.to_ascii_lowercase().contains("verification key"))
            .map(|_| "InvalidIdentityToken: verification key not retrieved"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sts::types::error::{
        ExpiredTokenException, IdpCommunicationErrorException, InvalidIdentityTokenException,
    };

    use super::*;

    fn wrapped(e: AssumeRoleWithWebIdentityError) -> CredentialsError {
        // As aws-config's profile provider wraps the web identity provider's error.
        CredentialsError::provider_error(CredentialsError::provider_error(e))
    }

    fn invalid(message: &str) -> CredentialsError {
        wrapped(
            AssumeRoleWithWebIdentityError::InvalidIdentityTokenException(
                InvalidIdentityTokenException::builder()
                    .message(message)
                    .build(),
            ),
        )
    }

    #[test]
    fn only_unreachable_identity_providers_are_transient() {
        let key = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
        assert!(is_transient_web_identity(&invalid(key)));
        let idp = AssumeRoleWithWebIdentityError::IdpCommunicationErrorException(
            IdpCommunicationErrorException::builder().build(),
        );
        assert!(is_transient_web_identity(&wrapped(idp)));
        for message in [
            "Incorrect token audience",
            "Token expired: current date/time 1700000000 must be before the expiration date/time 1690000000",
            "No OpenIDConnect provider found in your account for https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        ] {
            assert!(!is_transient_web_identity(&invalid(message)), "{message}");
        }
        let expired = AssumeRoleWithWebIdentityError::ExpiredTokenException(
            ExpiredTokenException::builder().build(),
        );
        assert!(!is_transient_web_identity(&wrapped(expired)));
        assert!(!is_transient_web_identity(&CredentialsError::not_loaded(
            "verification key"
        )));
    }

    #[test]
    fn delays_double_with_jitter_in_the_upper_half() {
        for (attempt, window_ms) in [(1, 400), (2, 800), (3, 1600)] {
            let d = delay(attempt);
            let window = Duration::from_millis(window_ms);
            assert!(d >= window / 2 && d <= window, "attempt {attempt}: {d:?}");
        }
    }
}
