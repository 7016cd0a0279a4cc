//! Per-call figures for the core, printed as one JSON object (bench/run.py puts them in the
//! side-by-side table): a fresh signature, a cached token (blocking and async), and the
//! physical limit of a signature — one SHA-256 of a canonical request plus one HMAC-SHA256 with
//! an already derived signing key.
//! `cargo run --release -p rds-iam --example bench`

use std::hint::black_box;
use std::time::{Instant, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use rds_iam::{sign, CredentialSource, Credentials, Endpoint, Signer, TokenKind, TokenSpec};
use sha2::{Digest, Sha256};

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
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, scale) = if quick { (3, 1) } else { (15, 10) };
    let host = "db.abc123.us-east-1.rds.amazonaws.com";
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        Some("session".into()),
        None,
        "bench",
    );
    let spec = TokenSpec::new(
        TokenKind::Rds,
        Endpoint::new(host, 5432).unwrap(),
        Some("app"),
        None,
    )
    .unwrap();
    let at = SystemTime::now();
    let fresh = per_call(rounds, 2_000 * scale, || {
        black_box(sign(black_box(&spec), &creds, at).unwrap());
    });

    let signer = Signer::builder(host)
        .user("app")
        .credentials(CredentialSource::Static(creds.clone()))
        .build()
        .unwrap();
    signer.token_blocking().unwrap();
    let cached = per_call(rounds, 20_000 * scale, || {
        black_box(signer.token_blocking().unwrap());
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cached_async = per_call(rounds, 20_000 * scale, || {
        black_box(rt.block_on(signer.token()).unwrap());
    });

    let canonical = format!(
        "GET\n/\nAction=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261123T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=session&X-Amz-SignedHeaders=host\nhost:{host}:5432\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let key = [7u8; 32];
    let limit = per_call(rounds, 20_000 * scale, || {
        let hash = Sha256::digest(black_box(canonical.as_bytes()));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(b"AWS4-HMAC-SHA256\n20261123T000000Z\n20261123/us-east-1/rds-db/aws4_request\n");
        mac.update(&hash);
        black_box(mac.finalize());
    });
    println!(
        "{{\"rust_fresh_ns\": {fresh:.0}, \"rust_cached_ns\": {cached:.0}, \"rust_cached_async_ns\": {cached_async:.0}, \"rust_limit_ns\": {limit:.0}}}"
    );
}
