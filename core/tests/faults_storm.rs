//! Fault injection under load: 10 000 concurrent callers of one signer while its one credential
//! fetch (the ECS endpoint played by tests/fakeaws) takes 2 s, succeeding or failing.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rds_iam::{ErrorCode, Signer};
use support::child::is_child;
use support::faults::{between, ecs_child, signer};
use support::Ctl;

struct Storm {
    ok: Vec<rds_iam::TokenInfo>,
    errors: Vec<rds_iam::Error>,
    unfinished: usize,
    took: Duration,
}

/// 10 000 tokio tasks asking one signer for a token at once; waits at most `limit`.
fn storm(s: Signer, limit: Duration) -> Storm {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = Arc::new(s);
    let started = Instant::now();
    let (ok, errors, unfinished) = rt.block_on(async {
        let tasks: Vec<_> = (0..10_000)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.token_info().await })
            })
            .collect();
        let deadline = tokio::time::Instant::now() + limit;
        let (mut ok, mut errors, mut unfinished) = (Vec::new(), Vec::new(), 0);
        for task in tasks {
            match tokio::time::timeout_at(deadline, task).await {
                Ok(r) => match r.unwrap() {
                    Ok(t) => ok.push(t),
                    Err(e) => errors.push(e),
                },
                Err(_) => unfinished += 1,
            }
        }
        (ok, errors, unfinished)
    });
    let took = started.elapsed();
    rt.shutdown_background();
    Storm {
        ok,
        errors,
        unfinished,
        took,
    }
}

#[test]
fn storm_of_10000_callers_shares_one_slow_fetch_and_one_signature() {
    const NAME: &str = "storm_of_10000_callers_shares_one_slow_fetch_and_one_signature";
    if !is_child(NAME) {
        return ecs_child(
            NAME,
            r#"{"ecs": {"delay_ms": 2000}}"#,
            Duration::from_secs(40),
        );
    }
    let ctl = Ctl::from_env();
    let signatures = rds_iam::stats().signatures;
    let r = storm(signer(None).build().unwrap(), Duration::from_secs(15));
    let signed = rds_iam::stats().signatures - signatures;
    let fetches = ctl.count("ecs_credentials");
    eprintln!(
        "MEASURED storm: {} ok, {} errors, {} unfinished in {:?}; {fetches} ECS fetch(es), \
         {signed} signature(s)",
        r.ok.len(),
        r.errors.len(),
        r.unfinished,
        r.took
    );
    assert_eq!((r.ok.len(), r.errors.len(), r.unfinished), (10_000, 0, 0));
    assert_eq!(fetches, 1, "one credential fetch");
    assert_eq!(signed, 1, "one signature");
    assert_eq!(r.ok.iter().filter(|t| !t.from_cache).count(), 1);
    assert!(r.ok.iter().all(|t| t.token == r.ok[0].token));
    between(r.took, 1_950, 8_000, "storm");
}

/// A failed fetch is shared with the callers queued behind it: they all get its error at once
/// instead of fetching again one after another.
#[test]
fn storm_of_10000_callers_all_get_the_error_of_one_failing_fetch() {
    const NAME: &str = "storm_of_10000_callers_all_get_the_error_of_one_failing_fetch";
    if !is_child(NAME) {
        return ecs_child(
            NAME,
            r#"{"ecs": {"delay_ms": 2000, "status": 500}}"#,
            Duration::from_secs(40),
        );
    }
    let ctl = Ctl::from_env();
    // One failing fetch takes ~6.5 s (3 attempts of 2 s + backoff); give the storm 1.5× that.
    let r = storm(signer(None).build().unwrap(), Duration::from_secs(10));
    let fetches = ctl.count("ecs_credentials");
    eprintln!(
        "MEASURED failing storm: {} ok, {} errors, {} unfinished after {:?}; {fetches} ECS \
         requests",
        r.ok.len(),
        r.errors.len(),
        r.unfinished,
        r.took
    );
    assert!(r.ok.is_empty());
    assert!(r
        .errors
        .iter()
        .all(|e| e.code() == ErrorCode::ProviderError));
    assert_eq!(
        r.unfinished, 0,
        "callers still waiting after {:?}: a failed fetch must answer everyone who waited for it",
        r.took
    );
    assert!(fetches <= 6, "{fetches} ECS requests for one storm");
}
