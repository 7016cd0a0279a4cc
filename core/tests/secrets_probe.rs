//! Secrets probe for the Rust core (issue 8): drives every error path we can reach with KNOWN
//! secrets as inputs, and captures everything the library shows a user — `Display` and `Debug` of
//! each error, `Debug` of signers, token infos and credential sources, every log record at TRACE
//! (the core logs through `log`; the AWS crates' `tracing` events must not reach it), and the
//! CLI's stdout/stderr. It asserts that none of it holds a secret, and writes it all to
//! `$SECRETS_OUT` (default `target/secrets/rust-probe.txt`) for `tests/secrets/scan.py`.
//!
//! The secrets below are the ones the scanner knows too (tests/secrets/scan.py `PROBE_SECRETS`).

mod support;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use rds_iam::{
    AssumeRole, CredentialSource, Credentials, Endpoint, FetchTimeouts, Signer, TokenKind,
    TokenSpec,
};
use support::FakeAws;

const AKID: &str = "AKIAPROBESTATIC00001";
const SECRET: &str = "probe/rust/secret/static-0000000000000001";
const SESSION: &str = "IQoJb3JpZ2luX2Vj++++////probe/rust/session/token/0000000001==";
const PROCESS_SECRET: &str = "probe/rust/secret/process-000000000000002";
const CUSTOM_SECRET: &str = "probe/rust/secret/custom-0000000000000003";
const ENV_SECRET: &str = "probe/rust/secret/env-000000000000000000004";
const HOST: &str = "db.abc123.us-east-1.rds.amazonaws.com";

fn secrets() -> [&'static str; 5] {
    [SECRET, SESSION, PROCESS_SECRET, CUSTOM_SECRET, ENV_SECRET]
}

// --- every log record, at every level ---------------------------------------------------------

static LOG: OnceLock<Mutex<String>> = OnceLock::new();

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        let line = format!("[log {} {}] {}\n", r.level(), r.target(), r.args());
        LOG.get_or_init(Default::default)
            .lock()
            .unwrap()
            .push_str(&line);
    }
    fn flush(&self) {}
}

/// What the probe saw: one section per case.
#[derive(Default)]
struct Seen(String);

impl Seen {
    fn show(&mut self, case: &str, text: impl AsRef<str>) {
        writeln!(self.0, "=== {case}\n{}", text.as_ref()).unwrap();
    }
    fn err<T: std::fmt::Debug>(&mut self, case: &str, r: rds_iam::Result<T>) {
        match r {
            Ok(v) => self.show(case, format!("(no error) {v:?}")),
            Err(e) => self.show(
                case,
                format!("Display: {e}\nDebug: {e:?}\ncode: {}", e.code()),
            ),
        }
    }
}

fn static_creds(expiry: Option<SystemTime>) -> Credentials {
    Credentials::new(AKID, SECRET, Some(SESSION.into()), expiry, "probe")
}

fn builder(host: &str) -> rds_iam::SignerBuilder {
    Signer::builder(host)
        .user("app")
        .credentials(CredentialSource::Static(static_creds(None)))
        .timeouts(FetchTimeouts {
            fetch: Duration::from_secs(5),
            imds: Duration::from_millis(200),
            ..FetchTimeouts::default()
        })
}

/// A provider that hands out credentials with `CUSTOM_SECRET` that expire in 2 s, then fails.
#[derive(Debug)]
struct GiveThenFail(Mutex<u32>);

impl ProvideCredentials for GiveThenFail {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let n = {
            let mut g = self.0.lock().unwrap();
            *g += 1;
            *g
        };
        future::ProvideCredentials::ready(if n == 1 {
            Ok(Credentials::new(
                "ASIAPROBECUSTOM00001",
                CUSTOM_SECRET,
                Some(SESSION.into()),
                Some(SystemTime::now() + Duration::from_secs(2)),
                "probe-custom",
            ))
        } else {
            Err(CredentialsError::provider_error("probe provider is down"))
        })
    }
}

fn cli(seen: &mut Seen, case: &str, args: &[&str], stdout_is_a_token: bool) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["rds-iam"];
    argv.extend(args);
    let code = rds_iam::cli::run(argv, &mut out, &mut err);
    let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    if stdout_is_a_token {
        // `rds-iam token` prints the token on stdout: that is its job (allow-listed, README).
        assert!(out.contains("X-Amz-Signature="), "{case}: {out} {err}");
        seen.show(
            &format!("cli {case} (exit {code}) stdout"),
            "<a token: allow-listed, not kept>",
        );
    } else {
        seen.show(&format!("cli {case} (exit {code}) stdout"), &out);
    }
    seen.show(&format!("cli {case} (exit {code}) stderr"), &err);
}

fn clear_aws_env() {
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            std::env::remove_var(k);
        }
    }
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
}

#[test]
fn nothing_the_library_shows_holds_a_secret() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let home = std::env::temp_dir().join(format!("rds-iam-secrets-probe-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    clear_aws_env();
    std::env::set_var("HOME", &home);
    std::env::set_var("AWS_CONFIG_FILE", home.join(".aws/config"));
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", home.join(".aws/credentials"));
    let mut seen = Seen::default();

    // Invalid input with secret-bearing credentials in hand.
    for (case, b) in [
        (
            "CR/LF in host",
            builder("db.example.com\r\nX: y").region("us-east-1"),
        ),
        ("space in host", builder("bad host").region("us-east-1")),
        ("no region", builder("db.example.com")),
        ("bad region", builder(HOST).region("us-east-1\n")),
        ("LF in user", builder(HOST).user("app\nroot")),
        ("empty user", builder(HOST).user("")),
        ("port 0", builder(HOST).port(0)),
        (
            "DSQL too long",
            builder("abc.dsql.us-east-1.on.aws")
                .kind(TokenKind::DsqlConnect)
                .expires_in(Duration::from_secs(10_000_000)),
        ),
    ] {
        seen.err(case, b.build());
    }

    // A working signer: Debug of the signer, the token info and the source; no token in them.
    let s = builder(HOST).build().unwrap();
    let info = s.token_info_blocking().unwrap();
    let shown = format!(
        "{s:?}\n{info:?}\n{:?}",
        CredentialSource::Static(static_creds(None))
    );
    assert!(!shown.contains(&info.token), "{shown}");
    seen.show("Debug of Signer, TokenInfo, CredentialSource", shown);
    let spec = TokenSpec::new(
        TokenKind::Rds,
        Endpoint::new(HOST, 5432).unwrap(),
        Some("app"),
        None,
    )
    .unwrap();
    seen.show("Debug of TokenSpec", format!("{spec:?}"));
    // rds_iam::sign with the secret-bearing credentials: a bad spec fails before, a good one works.
    seen.err(
        "sign, DSQL lifetime too long",
        spec.clone()
            .with_expires_in(Duration::from_secs(10_000_000))
            .map(|_| ()),
    );
    let signed = rds_iam::sign(&spec, &static_creds(None), SystemTime::now()).unwrap();
    assert!(signed.contains("X-Amz-Signature="));

    // Credentials that already expired / expire mid-way, and a provider that then fails.
    let expired = builder(HOST)
        .credentials(CredentialSource::Static(static_creds(Some(
            SystemTime::now() - Duration::from_secs(60),
        ))))
        .build()
        .unwrap();
    seen.err("expired static credentials", expired.token_blocking());
    let custom = builder(HOST)
        .credentials(CredentialSource::Custom(
            aws_credential_types::provider::SharedCredentialsProvider::new(GiveThenFail(
                Mutex::new(0),
            )),
        ))
        .build()
        .unwrap();
    seen.err("custom provider, first call", custom.token_blocking());
    std::thread::sleep(Duration::from_millis(2100));
    seen.err(
        "custom provider, credentials expired and refresh failed",
        custom.token_blocking(),
    );
    seen.show("Debug of custom signer", format!("{custom:?}"));

    // credential_process: bad JSON that holds a secret, expired credentials, non-zero exit.
    let script = |name: &str, body: &str| {
        let p = home.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&p)
            .status()
            .unwrap();
        p.display().to_string()
    };
    let truncated = script("truncated.sh", &format!("echo '{{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"{PROCESS_SECRET}\", \"SessionToken\": \"{SESSION}\"'"));
    let no_version = script(
        "noversion.sh",
        &format!(
            "echo '{{\"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"{PROCESS_SECRET}\"}}'"
        ),
    );
    let old = script("old.sh", &format!("echo '{{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"{PROCESS_SECRET}\", \"SessionToken\": \"{SESSION}\", \"Expiration\": \"2001-01-01T00:00:00Z\"}}'"));
    std::fs::write(
        home.join(".aws/config"),
        format!("[profile truncated]\ncredential_process = {truncated}\n[profile noversion]\ncredential_process = {no_version}\n[profile old]\ncredential_process = {old}\n[profile keys]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\naws_session_token = {SESSION}\nregion = us-east-1\n"),
    )
    .unwrap();
    for profile in ["truncated", "noversion", "old", "keys", "missing"] {
        let s = Signer::builder(HOST).user("app").profile(profile).build();
        seen.err(
            &format!("profile {profile}: build"),
            s.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        if let Ok(s) = s {
            seen.err(
                &format!("profile {profile}: token"),
                s.token_blocking().map(|_| "<token>"),
            );
            seen.show(&format!("profile {profile}: Debug"), format!("{s:?}"));
        }
    }

    // The default chain with half the environment keys.
    std::env::set_var("AWS_SECRET_ACCESS_KEY", ENV_SECRET);
    let half = Signer::builder(HOST).user("app").build().unwrap();
    seen.err("env: secret without key id", half.token_blocking());
    std::env::remove_var("AWS_SECRET_ACCESS_KEY");

    // STS: assume a role on top of secret-bearing credentials; STS fails in several ways.
    let fake = FakeAws::start();
    std::env::set_var("AWS_ENDPOINT_URL_STS", &fake.url);
    for (i, fault) in [
        r#"{"sts": {"error_code": "AccessDenied", "status": 403}}"#,
        r#"{"sts": {"error_code": "InvalidClientTokenId", "status": 403}}"#,
        r#"{"sts": {"garbage": true}}"#,
        r#"{"sts": {"error_code": null, "status": null, "garbage": null}}"#,
    ]
    .into_iter()
    .enumerate()
    {
        fake.configure(fault);
        let s = builder(HOST)
            .assume_role(AssumeRole::new(format!(
                "arn:aws:iam::123456789012:role/probe-{i}"
            )))
            .build()
            .unwrap();
        seen.err(
            &format!("assume role, fault {fault}"),
            s.token_info_blocking(),
        );
        seen.show(&format!("assume role {i}: Debug"), format!("{s:?}"));
    }

    // The CLI, in-process: every command, with the secrets in its environment. The default
    // chain failed above; changed credentials are what clear_caches is for (without it, its
    // error is served for the back-off window after the failure).
    rds_iam::clear_caches();
    std::env::set_var("AWS_ACCESS_KEY_ID", AKID);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET);
    std::env::set_var("AWS_SESSION_TOKEN", SESSION);
    cli(
        &mut seen,
        "token",
        &["token", "--host", HOST, "--user", "app"],
        true,
    );
    cli(
        &mut seen,
        "token --json",
        &["token", "--host", HOST, "--user", "app", "--json"],
        true,
    );
    cli(
        &mut seen,
        "token bad host",
        &[
            "token",
            "--host",
            "bad\r\nhost",
            "--user",
            "app",
            "--region",
            "us-east-1",
        ],
        false,
    );
    cli(
        &mut seen,
        "token no region",
        &["token", "--host", "db.example.com", "--user", "app"],
        false,
    );
    cli(&mut seen, "token unknown flag", &["token", "--nope"], false);
    cli(
        &mut seen,
        "doctor",
        &["doctor", "--host", HOST, "--user", "app"],
        false,
    );
    cli(
        &mut seen,
        "doctor --json",
        &["doctor", "--host", HOST, "--user", "app", "--json"],
        false,
    );
    cli(
        &mut seen,
        "explain",
        &[
            "explain",
            "FATAL: PAM authentication failed for user \"app\"",
        ],
        false,
    );
    std::env::set_var("PATH", home.join("no-bin"));
    cli(
        &mut seen,
        "psql missing",
        &["psql", "--host", HOST, "--user", "app"],
        false,
    );
    cli(
        &mut seen,
        "mysql missing",
        &["mysql", "--host", HOST, "--user", "app"],
        false,
    );
    cli(
        &mut seen,
        "token --profile truncated",
        &[
            "token",
            "--host",
            HOST,
            "--user",
            "app",
            "--profile",
            "truncated",
        ],
        false,
    );
    drop(fake);

    let logs = LOG.get_or_init(Default::default).lock().unwrap().clone();
    assert!(
        logs.contains("[log "),
        "the log capture saw no record at all"
    );
    let all = format!("{}\n=== log records (all levels)\n{logs}", seen.0);
    let out = std::env::var("SECRETS_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| support::repo().join("target/secrets/rust-probe.txt"));
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &all).unwrap();
    let _ = std::fs::remove_dir_all(&home);
    // Display/Debug/CLI output and every log record (third-party crates included: aws-sigv4
    // logs canonical requests at TRACE, which the core silences) are judged here and again by
    // tests/secrets/scan.py with the rest of the suites' output.
    for secret in secrets() {
        for form in [
            secret.to_owned(),
            secret
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D"),
        ] {
            assert!(
                !all.contains(&form),
                "`{form}` leaked; see {}",
                out.display()
            );
        }
    }
    assert!(
        !all.contains(&info.token),
        "a token leaked; see {}",
        out.display()
    );
}
