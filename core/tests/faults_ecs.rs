//! Fault injection: the ECS container credentials endpoint played by tests/fakeaws, through the
//! CLI, and the cache's refresh semantics with it through the library in a child process.
//!
//! Defaults measured here (aws-config 1.13, 2-core machine, debug build): 2 s connect / 5 s read
//! timeout, 3 attempts. Refused → ~1.3 s; 500 → 3 calls, ~2.1 s. A hung endpoint ends in
//! `Timeout` after exactly our configured fetch timeout (default 10 s).

mod support;

use std::time::{Duration, SystemTime};

use rds_iam::{ErrorCode, ManualClock};
use support::child::is_child;
use support::faults::{
    between, cli_error, ecs_child, fake_with, signer, timed, wait_until, NO_IMDS,
};
use support::{closed_port_url, Ctl, TempDir};

// ---------------------------------------------------------------------------------------------
// ECS container endpoint.

#[test]
fn ecs_endpoint_connection_refused() {
    let home = TempDir::new("ecs-refused");
    let uri = format!("{}/ecs/creds", closed_port_url());
    let (code, err, took) = cli_error(
        &home,
        &[NO_IMDS, ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)],
        &[],
    );
    // Measured ~1.3 s (3 attempts with backoff on a refused connect).
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    between(took, 0, 5_000, "ECS refused");
}

#[test]
fn ecs_endpoint_answers_500() {
    let fake = fake_with(r#"{"ecs": {"status": 500}}"#);
    let home = TempDir::new("ecs-500");
    let uri = format!("{}/ecs/creds", fake.url);
    let (code, err, took) = cli_error(
        &home,
        &[NO_IMDS, ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)],
        &[],
    );
    // Measured: 3 calls, ~2.1 s.
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("500"), "{err}");
    assert_eq!(fake.ctl().count("ecs_credentials"), 3);
    between(took, 0, 6_000, "ECS 500");
}

// ---------------------------------------------------------------------------------------------
// Refresh semantics with a real server: ECS credentials that expire in 6 minutes.

#[test]
fn ecs_refresh_failure_serves_until_the_buffer_then_expires_then_recovers() {
    const NAME: &str = "ecs_refresh_failure_serves_until_the_buffer_then_expires_then_recovers";
    if !is_child(NAME) {
        return ecs_child(
            NAME,
            r#"{"ecs": {"expiration": "+360"}}"#,
            Duration::from_secs(40),
        );
    }
    let ctl = Ctl::from_env();
    // The expiry comes from the fake's wall clock, so the manual clock starts at the real now.
    let start = SystemTime::now();
    let clock = ManualClock::new(start);
    let s = signer(Some(&clock)).build().unwrap();
    let first = s.token_info_blocking().unwrap();
    assert_eq!(first.access_key_id, "ASIAECS0000000000001");
    let expiry = first.expires_at; // capped by the credentials: ~start + 360 s
    let left = expiry.duration_since(start).unwrap().as_secs();
    assert!(
        (358..=361).contains(&left),
        "credentials expire in {left} s"
    );
    ctl.configure(r#"{"ecs": {"status": 500}}"#);

    // +70 s: 290 s left, inside the 5 min refresh-ahead window. Served at once from the cached
    // credentials while the refresh fails in the background (3 attempts, ~2.1 s).
    clock.advance(Duration::from_secs(70));
    let (served, took) = timed(|| s.token_info_blocking().unwrap());
    assert_eq!(served.access_key_id, "ASIAECS0000000000001");
    assert!(took < Duration::from_millis(200), "{took:?}");
    wait_until(
        Duration::from_secs(8),
        "background refresh attempts",
        || ctl.count("ecs_credentials") >= 4,
    );
    std::thread::sleep(Duration::from_millis(300));
    // The failed refresh is backed off (5 s on the cache's clock, frozen here): no new attempts.
    for _ in 0..10 {
        let (r, took) = timed(|| s.token_info_blocking().unwrap());
        assert_eq!(r.access_key_id, "ASIAECS0000000000001");
        assert!(took < Duration::from_millis(200), "{took:?}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        ctl.count("ecs_credentials"),
        4,
        "1 good + 3 failed attempts"
    );

    // Up to 10 s (the expiry buffer) before expiry: still served.
    clock.set(expiry - Duration::from_secs(11));
    assert_eq!(
        s.token_info_blocking().unwrap().access_key_id,
        "ASIAECS0000000000001"
    );

    // Inside the buffer: nothing usable, the fetch fails → CredentialsExpired naming the provider.
    clock.set(expiry - Duration::from_secs(9));
    let (r, took) = timed(|| s.token_info_blocking());
    let e = r.unwrap_err();
    eprintln!(
        "MEASURED ECS refresh failing at expiry: {:?} after {took:?}",
        e.code()
    );
    assert_eq!(e.code(), ErrorCode::CredentialsExpired, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("default credential chain") && msg.contains("500"),
        "{msg}"
    );
    assert!(took < Duration::from_secs(6), "{took:?}");

    // ECS recovers (and hands out 1 h credentials again): service resumes without a restart,
    // once the back-off window after the failure (1 s, then 2 s: on the monotonic clock) ends;
    // until then callers get the last error without a new request.
    ctl.configure(r#"{"ecs": null}"#);
    let retry_until = std::time::Instant::now() + Duration::from_secs(10);
    let back = loop {
        match s.token_info_blocking() {
            Ok(back) => break back,
            Err(e) if std::time::Instant::now() < retry_until => {
                assert_eq!(e.code(), ErrorCode::CredentialsExpired, "{e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("no recovery within 10 s: {e}"),
        }
    };
    assert_eq!(back.access_key_id, "ASIAECS0000000000002");
    assert!(!back.from_cache);
}
