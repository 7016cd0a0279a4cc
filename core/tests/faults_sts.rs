//! Fault injection: STS, for AssumeRole (the CLI's --role-arn over environment keys) and
//! AssumeRoleWithWebIdentity (EKS IRSA), played by tests/fakeaws.
//!
//! Defaults measured here (aws-config 1.13, 2-core machine, debug build): standard retry,
//! 3 attempts with backoff. Throttling ×2 then success in ~1.8 s; persistent 500 →
//! `ProviderError` after 3 calls, ~1.3-1.8 s; `InvalidIdentityToken` / `ExpiredTokenException`
//! are not retried (1 call). Our fetch timeout bounds a slow STS.

mod support;

use std::time::Duration;

use rds_iam::{AssumeRole, CredentialSource, Credentials, ErrorCode, FetchTimeouts};
use support::child::{child, is_child};
use support::faults::{
    assume_role_env, between, borrow, cli_error, cli_token, fake_with, signer, timed,
    web_identity_env, ROLE,
};
use support::TempDir;

#[test]
fn sts_assume_role_throttling_is_retried() {
    let fake =
        fake_with(r#"{"sts": {"error_code": "Throttling", "status": 400, "fail_times": 2}}"#);
    let home = TempDir::new("sts-throttle");
    let env = assume_role_env(&fake);
    let (v, took) = cli_token(&home, &borrow(&env), &["--role-arn", ROLE]);
    assert!(
        v["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIAASSUMED"),
        "{v}"
    );
    // Measured: 3 calls (2 throttled + 1 good) in ~1.8 s (standard retry, exponential backoff).
    assert_eq!(fake.ctl().count("sts_AssumeRole"), 3);
    between(took, 0, 8_000, "throttled AssumeRole");
}

#[test]
fn sts_web_identity_throttling_is_retried() {
    let fake =
        fake_with(r#"{"sts": {"error_code": "Throttling", "status": 400, "fail_times": 2}}"#);
    let home = TempDir::new("webid-throttle");
    let env = web_identity_env(&fake, &home, None);
    let (v, took) = cli_token(&home, &borrow(&env), &[]);
    assert!(
        v["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIAWEBID"),
        "{v}"
    );
    // Measured: 3 calls in ~1.9 s.
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 3);
    between(took, 0, 8_000, "throttled AssumeRoleWithWebIdentity");
}

#[test]
fn sts_assume_role_500_fails_after_retries() {
    let fake = fake_with(r#"{"sts": {"status": 500}}"#);
    let home = TempDir::new("sts-500");
    let env = assume_role_env(&fake);
    let (code, err, took) = cli_error(&home, &borrow(&env), &["--role-arn", ROLE]);
    // Measured: 3 calls, ~1.3 s.
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("assume-role") && err.contains(ROLE), "{err}");
    assert_eq!(
        fake.ctl().count("sts_AssumeRole"),
        3,
        "retried, then gave up"
    );
    between(took, 0, 8_000, "AssumeRole 500");
}

#[test]
fn sts_web_identity_500_fails_after_retries() {
    let fake = fake_with(r#"{"sts": {"status": 500}}"#);
    let home = TempDir::new("webid-500");
    let env = web_identity_env(&fake, &home, None);
    let (code, err, took) = cli_error(&home, &borrow(&env), &[]);
    // Measured: 3 calls, ~1.7 s.
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("InternalFailure"), "{err}");
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 3);
    between(took, 0, 8_000, "AssumeRoleWithWebIdentity 500");
}

#[test]
fn sts_web_identity_invalid_identity_token() {
    let fake = fake_with(r#"{"sts": {"error_code": "InvalidIdentityToken"}}"#);
    let home = TempDir::new("webid-invalid");
    let env = web_identity_env(&fake, &home, None);
    let (code, err, took) = cli_error(&home, &borrow(&env), &[]);
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("InvalidIdentityToken"), "{err}");
    // Not retried: one call, ~0.05 s.
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 1);
    between(took, 0, 3_000, "InvalidIdentityToken");
}

#[test]
fn sts_web_identity_expired_token() {
    let fake = fake_with(r#"{"sts": {"error_code": "ExpiredTokenException"}}"#);
    let home = TempDir::new("webid-expired");
    let env = web_identity_env(&fake, &home, None);
    let (code, err, took) = cli_error(&home, &borrow(&env), &[]);
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("ExpiredToken"), "{err}");
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 1);
    between(took, 0, 3_000, "ExpiredTokenException");
}

#[test]
fn sts_web_identity_token_file_missing() {
    let fake = fake_with("");
    let home = TempDir::new("webid-nofile");
    let missing = home.0.join("no-such-dir/token");
    let env = web_identity_env(&fake, &home, Some(missing));
    let (code, err, took) = cli_error(&home, &borrow(&env), &[]);
    // ~0.05 s, STS never called. That the message names the file is checked (and currently
    // fails) in `error_messages_name_the_provider_and_say_what_to_do`.
    assert_eq!(code, "ProviderError", "{err}");
    assert_eq!(fake.ctl().count("sts"), 0);
    between(took, 0, 3_000, "missing token file");
}

#[test]
fn sts_slow_answers_hit_the_fetch_timeout() {
    const NAME: &str = "sts_slow_answers_hit_the_fetch_timeout";
    if !is_child(NAME) {
        let fake = fake_with(r#"{"sts": {"delay_ms": 6000}}"#);
        let home = TempDir::new("sts-slow");
        let env = web_identity_env(&fake, &home, None);
        child(NAME, &borrow(&env), Duration::from_secs(30));
        return;
    }
    let timeouts = FetchTimeouts {
        fetch: Duration::from_secs(2),
        ..FetchTimeouts::default()
    };
    let base = Credentials::new("AKIABASEIDENTITY0001", "base-secret", None, None, "test");
    let assume = signer(None)
        .credentials(CredentialSource::Static(base))
        .assume_role(AssumeRole::new(ROLE))
        .timeouts(timeouts)
        .build()
        .unwrap();
    let web_identity = signer(None).timeouts(timeouts).build().unwrap();
    // Both at once: each must end on its own 2 s fetch timeout, not on STS's 6 s.
    let handles: Vec<_> = [("assume-role", assume), ("web identity", web_identity)]
        .into_iter()
        .map(|(label, s)| std::thread::spawn(move || (label, timed(|| s.token_blocking()))))
        .collect();
    for h in handles {
        let (label, (r, took)) = h.join().unwrap();
        let e = r.expect_err(label);
        eprintln!(
            "MEASURED slow STS via {label}: {:?} after {took:?}: {e}",
            e.code()
        );
        assert_eq!(e.code(), ErrorCode::Timeout, "{label}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("2s") && msg.contains("raise the timeout"),
            "{msg}"
        );
        between(took, 1_950, 3_500, label);
    }
}
