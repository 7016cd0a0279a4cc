//! Quick per-call figures for the core: a fresh signature and a cached token.
//! `cargo run --release -p rds-iam --example bench`; the side-by-side benchmarks live in bench/.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use rds_iam::{sign, CredentialSource, Credentials, Endpoint, Signer, TokenKind, TokenSpec};

/// Median ns per call over `rounds` rounds of `n` calls.
fn per_call(rounds: usize, n: u32, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[rounds / 2]
}

fn main() {
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        Some("session".into()),
        None,
        "bench",
    );
    let endpoint = Endpoint::new("db.abc123.us-east-1.rds.amazonaws.com", 5432).unwrap();
    let spec = TokenSpec::new(TokenKind::Rds, endpoint, Some("app"), None).unwrap();
    let at = SystemTime::now();
    let fresh = per_call(15, 20_000, || {
        black_box(sign(black_box(&spec), &creds, at).unwrap());
    });
    let signer = Signer::builder("db.abc123.us-east-1.rds.amazonaws.com")
        .user("app")
        .credentials(CredentialSource::Static(creds.clone()))
        .build()
        .unwrap();
    signer.token_blocking().unwrap();
    let cached = per_call(15, 200_000, || {
        black_box(signer.token_blocking().unwrap());
    });
    let started = Instant::now();
    let build = per_call(15, 20_000, || {
        black_box(
            Signer::builder("db.abc123.us-east-1.rds.amazonaws.com")
                .user("app")
                .build()
                .unwrap(),
        );
    });
    let _ = Duration::ZERO;
    println!("rust fresh signature      {fresh:>9.0} ns/call");
    println!("rust cached token         {cached:>9.0} ns/call");
    println!(
        "rust Signer::build        {build:>9.0} ns/call   ({:?} total)",
        started.elapsed()
    );
}
