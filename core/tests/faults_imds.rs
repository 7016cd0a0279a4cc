//! Fault injection: IMDS (the EC2 instance metadata service) played by tests/fakeaws, through
//! the CLI (the default chain reaches it via AWS_EC2_METADATA_SERVICE_ENDPOINT) and, after a
//! good fetch, through the library in a child process.
//!
//! Defaults measured here (aws-config 1.13, 2-core machine, debug build): 1 s connect/read
//! timeout, 1 attempt (ours). Refused → `NoCredentials` in ~0.07 s; silent → `ProviderError`
//! after ~1.04 s; 500, garbage, token 403 → `ProviderError` in ~0.1 s. Expired IMDS credentials
//! are accepted; aws-config moves their expiry to now + 600..900 s.

mod support;

use std::time::{Duration, SystemTime};

use rds_iam::{Clock, ErrorCode, ManualClock};
use support::child::{child, is_child};
use support::faults::{
    between, cli_error, cli_token, fake_with, now_unix, secs_to_unix, signer, timed,
};
use support::{closed_port_url, Ctl, FakeAws, TempDir};

// ---------------------------------------------------------------------------------------------
// IMDS, through the CLI (the default chain reaches it via AWS_EC2_METADATA_SERVICE_ENDPOINT).

/// The CLI's error when the only credential source is IMDS played by a fake configured with
/// `config`: (the fake, code, stderr, time taken).
fn imds_error(config: &str, name: &str) -> (FakeAws, String, String, Duration) {
    let fake = fake_with(config);
    let home = TempDir::new(name);
    let (code, err, took) = cli_error(
        &home,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &fake.url)],
        &[],
    );
    (fake, code, err, took)
}

#[test]
fn imds_connection_refused() {
    let home = TempDir::new("imds-refused");
    let url = closed_port_url();
    let (code, err, took) = cli_error(&home, &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url)], &[]);
    // Measured ~0.07 s: a refused connect fails at once, and the chain reports "not found".
    assert_eq!(code, "NoCredentials", "{err}");
    assert!(
        err.contains("IMDS") && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    between(took, 0, 1_000 + 1_500, "refused IMDS");
}

#[test]
fn imds_accepts_but_never_answers() {
    let (fake, code, err, took) = imds_error(r#"{"imds": {"hang": true}}"#, "imds-hang");
    // Measured ~1.04 s: the 1 s IMDS read timeout, one attempt.
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("IMDS") && err.contains("timeout"), "{err}");
    between(took, 950, 1_000 + 1_500, "silent IMDS");
    assert_eq!(fake.ctl().count("imds_credentials"), 1, "one attempt");
}

#[test]
fn imds_answers_500() {
    let (fake, code, err, took) = imds_error(r#"{"imds": {"status": 500}}"#, "imds-500");
    // Measured ~0.1 s, one credentials request (max_attempts 1).
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("IMDS") && err.contains("500"), "{err}");
    between(took, 0, 1_000 + 1_500, "IMDS 500");
    assert_eq!(fake.ctl().count("imds_credentials"), 1, "no retry");
}

#[test]
fn imds_answers_garbage_json() {
    let (_fake, code, err, took) = imds_error(r#"{"imds": {"garbage": true}}"#, "imds-garbage");
    // Measured ~0.1 s.
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("invalid JSON"), "{err}");
    between(took, 0, 1_000 + 1_500, "IMDS garbage");
}

#[test]
fn imds_credentials_already_expired_are_extended_by_aws_config() {
    let fake = fake_with(r#"{"imds": {"expiration": "-60"}}"#);
    let home = TempDir::new("imds-expired");
    let before = now_unix();
    let (v, took) = cli_token(
        &home,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &fake.url)],
        &[],
    );
    // What actually happens: aws-config accepts credentials that expired a minute ago and moves
    // their expiry to now + 600..=900 s (10 min + 0-5 min jitter seeded by the current second),
    // so a token IS produced; its life is min(signed + 900 s, extended expiry).
    assert!(
        v["access_key_id"].as_str().unwrap().starts_with("ASIAIMDS"),
        "{v}"
    );
    let left = secs_to_unix(&v["expires_at"]) - before;
    assert!((598..=902).contains(&left), "expires in {left} s: {v}");
    between(took, 0, 2_500, "expired IMDS credentials");
}

#[test]
fn imds_token_endpoint_403_has_no_imdsv1_fallback() {
    let (fake, code, err, took) = imds_error(r#"{"imds": {"imds_token_status": 403}}"#, "imds-403");
    // Measured ~0.04 s. aws-config does not fall back to IMDSv1 (botocore does).
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("IMDS") && err.contains("forbidden"), "{err}");
    between(took, 0, 1_000 + 1_500, "IMDS token 403");
    let ctl = fake.ctl();
    assert_eq!(ctl.count("imds_token"), 1);
    assert_eq!(
        ctl.count("imds_role") + ctl.count("imds_credentials"),
        0,
        "no IMDSv1 GET after the token PUT failed: {}",
        ctl.counts()
    );
}

// ---------------------------------------------------------------------------------------------
// IMDS failing after a good fetch: the library keeps serving (child process, real default chain).

/// Spawns the fake and runs the child test `name` with the fake's IMDS as the only source.
fn imds_child(name: &str, config: &str, limit: Duration) {
    let fake = fake_with(config);
    let port = fake.port.to_string();
    child(
        name,
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &fake.url),
            ("FAKE_PORT", &port),
        ],
        limit,
    );
}

#[test]
fn imds_failing_keeps_serving_cached_credentials() {
    const NAME: &str = "imds_failing_keeps_serving_cached_credentials";
    if !is_child(NAME) {
        return imds_child(
            NAME,
            r#"{"imds": {"expiration": "+400"}}"#,
            Duration::from_secs(30),
        );
    }
    let ctl = Ctl::from_env();
    // The credentials' expiry comes from the fake's wall clock: the manual clock starts at now.
    let clock = ManualClock::new(SystemTime::now());
    let s = signer(Some(&clock)).build().unwrap();
    let first = s.token_info_blocking().unwrap();
    assert_eq!(first.access_key_id, "ASIAIMDS000000000001");
    assert_eq!(ctl.count("imds_credentials"), 1);
    // 250 s left: inside the 5 min refresh-ahead window, so every call wants a refresh.
    clock.advance(Duration::from_secs(150));
    for (fault, label) in [
        (r#"{"imds": {"status": 500}}"#, "IMDS 500"),
        (r#"{"imds": {"status": null, "hang": true}}"#, "IMDS silent"),
    ] {
        ctl.configure(fault);
        // Past the back-off the previous phase's failed refreshes started: it runs on the
        // monotonic clock (issue 19 item 8), at most 1 s then 2 s after failures ~1 s apart.
        std::thread::sleep(Duration::from_secs(2));
        clock.advance(Duration::from_secs(6));
        let before = ctl.count("imds_credentials");
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let (info, took) = timed(|| s.token_info_blocking());
            let info = info.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(info.access_key_id, "ASIAIMDS000000000001", "{label}");
            slowest = slowest.max(took);
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(1_100)); // let a pending refresh finish
        let tried = ctl.count("imds_credentials") - before;
        eprintln!(
            "MEASURED {label}: 20 token calls over ~1 s in the refresh window: slowest {slowest:?}, \
             {tried} IMDS credential requests"
        );
        assert!(slowest < Duration::from_millis(200), "{label}: {slowest:?}");
        assert!(tried >= 1, "{label}: a background refresh was attempted");
    }
}

/// During an IMDS outage aws-config's IMDS provider answers with the credentials it fetched last
/// (its "static stability" fallback) instead of an error. The cache must not take that as a
/// refresh: IMDS is asked once per back-off window (1 s, then 2 s, ... on the monotonic clock),
/// not at the callers' rate.
#[test]
fn imds_outage_refreshes_are_backed_off() {
    const NAME: &str = "imds_outage_refreshes_are_backed_off";
    if !is_child(NAME) {
        return imds_child(
            NAME,
            r#"{"imds": {"expiration": "+400"}}"#,
            Duration::from_secs(30),
        );
    }
    let ctl = Ctl::from_env();
    let clock = ManualClock::new(SystemTime::now());
    let s = signer(Some(&clock)).build().unwrap();
    s.token_info_blocking().unwrap();
    clock.advance(Duration::from_secs(150)); // refresh-ahead window
    ctl.configure(r#"{"imds": {"status": 500}}"#);
    let before = ctl.count("imds_credentials");
    for _ in 0..20 {
        s.token_info_blocking().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let tried = ctl.count("imds_credentials") - before;
    eprintln!("MEASURED IMDS credential requests for 20 calls in ~1 s of outage: {tried}");
    assert!(
        tried <= 2,
        "a failing IMDS was asked {tried} times in ~1 s (manual clock frozen): refreshes that \
         return the same, still-expiring credentials must count as failures and back off"
    );
}

/// When the cached IMDS credentials are within the 10 s expiry buffer and IMDS is down,
/// aws-config hands back the same old credentials as a "success": the caller must get
/// `CredentialsExpired` naming the provider, not a token with seconds to live.
#[test]
fn imds_outage_at_expiry_reports_credentials_expired() {
    const NAME: &str = "imds_outage_at_expiry_reports_credentials_expired";
    if !is_child(NAME) {
        return imds_child(
            NAME,
            r#"{"imds": {"expiration": "+400"}}"#,
            Duration::from_secs(30),
        );
    }
    let ctl = Ctl::from_env();
    let start = SystemTime::now();
    let clock = ManualClock::new(start);
    let s = signer(Some(&clock)).build().unwrap();
    s.token_info_blocking().unwrap();
    ctl.configure(r#"{"imds": {"status": 500}}"#);
    let mut problems = Vec::new();
    for at in [395, 405] {
        // 395: ~4-5 s left, inside the 10 s buffer; 405: expired.
        clock.set(start + Duration::from_secs(at));
        let (r, took) = timed(|| s.token_info_blocking());
        assert!(took < Duration::from_millis(2_500), "{took:?}");
        match r {
            Ok(info) => problems.push(format!(
                "at +{at} s: got a token that expires in {:?}",
                info.expires_at
                    .duration_since(clock.now())
                    .unwrap_or_default()
            )),
            Err(e) if e.code() != ErrorCode::CredentialsExpired => {
                problems.push(format!("at +{at} s: {:?}: {e}", e.code()))
            }
            Err(e) if !e.to_string().contains("default credential chain") => {
                problems.push(format!("at +{at} s: does not name the provider: {e}"))
            }
            Err(_) => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
