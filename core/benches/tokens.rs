//! Criterion benches for the core's per-call costs, next to the physical limit of a signature.
//!
//! - `rust_fresh`: [`sign`] with explicit credentials (a new signature every call);
//! - `rust_fresh_cache`: the same for an ElastiCache Serverless token;
//! - `rust_cached` / `rust_cached_async`: [`Signer`] serving its cached token;
//! - `rust_limit`: what no signer can beat — one SHA-256 of a canonical request plus one
//!   HMAC-SHA256 with an already derived signing key.
//!
//! `make bench` runs these through `bench/run.py`, which reads each median from criterion's
//! `estimates.json` and puts it in the side-by-side table.

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use rds_iam::{sign, CredentialSource, Credentials, Endpoint, Signer, TokenKind, TokenSpec};
use sha2::{Digest, Sha256};

const HOST: &str = "db.abc123.us-east-1.rds.amazonaws.com";

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        Some("session".into()),
        None,
        "bench",
    )
}

fn fresh(c: &mut Criterion) {
    let creds = credentials();
    let endpoint = Endpoint::new(HOST, 5432).unwrap();
    let spec = TokenSpec::new(TokenKind::Rds, endpoint, Some("app"), None).unwrap();
    let at = SystemTime::now();
    c.bench_function("rust_fresh", |b| {
        b.iter(|| sign(black_box(&spec), &creds, at).unwrap())
    });
    // The cache shape whose parameters are signed in another order than written.
    let cache = Endpoint::new("my-cache", 6379).unwrap();
    let spec = TokenSpec::new(
        TokenKind::ElastiCacheServerless,
        cache,
        Some("app"),
        Some("us-east-1"),
    )
    .unwrap();
    c.bench_function("rust_fresh_cache", |b| {
        b.iter(|| sign(black_box(&spec), &creds, at).unwrap())
    });
}

fn cached(c: &mut Criterion) {
    let signer = Signer::builder(HOST)
        .user("app")
        .credentials(CredentialSource::Static(credentials()))
        .build()
        .unwrap();
    signer.token_blocking().unwrap();
    c.bench_function("rust_cached", |b| {
        b.iter(|| signer.token_blocking().unwrap())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function("rust_cached_async", |b| {
        b.iter(|| rt.block_on(signer.token()).unwrap())
    });
}

fn limit(c: &mut Criterion) {
    let canonical = format!(
        "GET\n/\nAction=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261123T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=session&X-Amz-SignedHeaders=host\nhost:{HOST}:5432\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let key = [7u8; 32];
    c.bench_function("rust_limit", |b| {
        b.iter(|| {
            let hash = Sha256::digest(black_box(canonical.as_bytes()));
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            mac.update(
                b"AWS4-HMAC-SHA256\n20261123T000000Z\n20261123/us-east-1/rds-db/aws4_request\n",
            );
            mac.update(&hash);
            mac.finalize()
        })
    });
}

criterion_group!(benches, fresh, cached, limit);
criterion_main!(benches);
