//! Fault-injection helpers shared by the `faults_*` tests: the fake AWS servers
//! (tests/fakeaws) started and configured, the CLI's error or token under an isolated
//! environment, the environments of each credential source, and wall-time checks.
//!
//! CLI cases run the real `rds-iam` binary with an isolated environment; library cases run in a
//! fresh copy of their test binary (see [`super::child`]) so that their environment and the
//! process-wide caches and counters are theirs alone.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rds_iam::{ManualClock, Signer};

use super::child::child;
use super::{cli, FakeAws, TempDir, TOKEN_ARGS};

pub const HOST: &str = "db.abc123.us-east-1.rds.amazonaws.com";
pub const NO_IMDS: (&str, &str) = ("AWS_EC2_METADATA_DISABLED", "true");
pub const ROLE: &str = "arn:aws:iam::123456789012:role/db-connect";
pub const IRSA_ROLE: &str = "arn:aws:iam::123456789012:role/irsa-role";

/// The fake, started and configured.
pub fn fake_with(config: &str) -> FakeAws {
    let fake = FakeAws::start();
    if !config.is_empty() {
        fake.ctl().configure(config);
    }
    fake
}

/// Runs the CLI's `token` command; returns (error code, stderr, wall time). Panics on success.
pub fn cli_error(
    home: &TempDir,
    env: &[(&str, &str)],
    extra: &[&str],
) -> (String, String, Duration) {
    let mut args = TOKEN_ARGS.to_vec();
    args.extend(extra);
    let (out, took) = cli(home, env, &args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "expected a failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    let code = err
        .strip_prefix("error[")
        .and_then(|r| r.split_once(']'))
        .map(|(c, _)| c.to_owned())
        .unwrap_or_else(|| panic!("no `error[Code]:` prefix: {err}"));
    assert_no_secrets(&err);
    (code, err, took)
}

/// Runs the CLI's `token` command and expects a token; returns the JSON and the wall time.
pub fn cli_token(
    home: &TempDir,
    env: &[(&str, &str)],
    extra: &[&str],
) -> (serde_json::Value, Duration) {
    let mut args = TOKEN_ARGS.to_vec();
    args.extend(extra);
    let (out, took) = cli(home, env, &args);
    (super::token_json(&out), took)
}

/// Nothing secret in text shown to users: fakeaws secrets are `fakeaws/<source>/secret/…`,
/// its session tokens start with `IQoJb3JpZ2luX2Vj`, and a token carries `X-Amz-Signature`.
pub fn assert_no_secrets(text: &str) {
    for secret in [
        "/secret/",
        "IQoJb3JpZ2luX2Vj",
        "X-Amz-Signature",
        "scripted-secret",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
    }
}

pub fn between(took: Duration, low_ms: u64, high_ms: u64, what: &str) {
    assert!(
        took >= Duration::from_millis(low_ms) && took < Duration::from_millis(high_ms),
        "{what}: took {took:?}, expected {low_ms}..{high_ms} ms"
    );
}

pub fn signer(clock: Option<&Arc<ManualClock>>) -> rds_iam::SignerBuilder {
    let b = Signer::builder(HOST).user("app");
    match clock {
        Some(c) => b.clock(c.clone()),
        None => b,
    }
}

pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let v = f();
    (v, started.elapsed())
}

pub fn wait_until(limit: Duration, what: &str, cond: impl Fn() -> bool) {
    let until = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < until, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn secs_to_unix(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap()
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---------------------------------------------------------------------------------------------
// Environments: AssumeRole over environment keys, web identity (IRSA), credential_process.

pub fn assume_role_env(fake: &FakeAws) -> Vec<(&'static str, String)> {
    vec![
        no_imds(),
        ("AWS_ACCESS_KEY_ID", "AKIABASEIDENTITY0001".into()),
        ("AWS_SECRET_ACCESS_KEY", "base-secret".into()),
        ("AWS_ENDPOINT_URL_STS", fake.url.clone()),
    ]
}

pub fn no_imds() -> (&'static str, String) {
    (NO_IMDS.0, NO_IMDS.1.into())
}

/// Environment for web identity (EKS IRSA); the token file lives in `home` unless `file` is given.
pub fn web_identity_env(
    fake: &FakeAws,
    home: &TempDir,
    file: Option<PathBuf>,
) -> Vec<(&'static str, String)> {
    let file =
        file.unwrap_or_else(|| home.write("web-identity-token", "eyJhbGciOiJSUzI1NiJ9.e30.sig"));
    vec![
        no_imds(),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", file.display().to_string()),
        ("AWS_ROLE_ARN", IRSA_ROLE.into()),
        ("AWS_ROLE_SESSION_NAME", "irsa-test".into()),
        ("AWS_ENDPOINT_URL_STS", fake.url.clone()),
    ]
}

pub fn borrow<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A `credential_process` script in `home`, set as the default profile's source.
pub fn credential_process(home: &TempDir, script: &str) -> PathBuf {
    let path = home.write("creds.sh", script);
    let status = Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    assert!(status.success());
    home.write(
        ".aws/config",
        &format!("[default]\ncredential_process = {}\n", path.display()),
    );
    path
}

/// Spawns the fake and runs the child test `name` with the fake's ECS endpoint as the source.
pub fn ecs_child(name: &str, config: &str, limit: Duration) {
    let fake = fake_with(config);
    let port = fake.port.to_string();
    let uri = format!("{}/ecs/creds", fake.url);
    child(
        name,
        &[
            NO_IMDS,
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ("FAKE_PORT", &port),
        ],
        limit,
    );
}
