//! Web identity (EKS IRSA, GitHub OIDC …) against tests/fakeaws: STS failing to reach the
//! identity provider is retried with back-off, every other `InvalidIdentityToken` fails at
//! once, and STS is called on the signer's regional endpoint.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rds_iam::{ErrorCode, FetchTimeouts};
use support::child::{child, is_child};
use support::faults::{borrow, cli_error, cli_token, fake_with, no_imds, signer, web_identity_env};
use support::{cli, Ctl, TempDir};

/// STS's own words when it cannot fetch the issuer's JWKS.
const VERIFICATION_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

fn sts_fails(code: &str, message: &str, times: Option<u32>) -> String {
    let times = times.map_or(String::new(), |n| format!(", \"fail_times\": {n}"));
    format!(r#"{{"sts": {{"error_code": "{code}", "error_message": "{message}"{times}}}}}"#)
}

#[test]
fn verification_key_errors_are_retried_until_sts_answers() {
    let fake = fake_with(&sts_fails(
        "InvalidIdentityToken",
        VERIFICATION_KEY,
        Some(2),
    ));
    let home = TempDir::new("webid-verification-key");
    let env = web_identity_env(&fake, &home, None);
    let (v, _) = cli_token(&home, &borrow(&env), &[]);
    // The first credentials STS issued, on the third call.
    assert_eq!(v["access_key_id"], "ASIAWEBID00000000001", "{v}");
    let calls = fake.calls();
    let statuses: Vec<_> = calls.iter().map(|c| c["status"].as_u64()).collect();
    assert_eq!(statuses, [Some(400), Some(400), Some(200)]);
}

#[test]
fn a_profile_web_identity_token_file_is_retried_too() {
    let fake = fake_with(&sts_fails(
        "InvalidIdentityToken",
        VERIFICATION_KEY,
        Some(2),
    ));
    let home = TempDir::new("webid-profile-retry");
    let token = home.write("token", "eyJhbGciOiJSUzI1NiJ9.e30.sig");
    home.write(
        ".aws/config",
        &format!(
            "[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/irsa-role\nweb_identity_token_file = {}\n",
            token.display()
        ),
    );
    let env = [no_imds(), ("AWS_ENDPOINT_URL_STS", fake.url.clone())];
    let (v, _) = cli_token(&home, &borrow(&env), &["--profile", "irsa"]);
    assert_eq!(v["access_key_id"], "ASIAWEBID00000000001", "{v}");
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 3);
}

#[test]
fn an_audience_error_fails_at_once() {
    let fake = fake_with(&sts_fails(
        "InvalidIdentityToken",
        "Incorrect token audience",
        None,
    ));
    let home = TempDir::new("webid-audience");
    let env = web_identity_env(&fake, &home, None);
    let (code, err, _) = cli_error(&home, &borrow(&env), &[]);
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("Incorrect token audience"), "{err}");
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 1);
}

#[test]
fn persistent_verification_key_errors_stop_after_the_attempts() {
    let fake = fake_with(&sts_fails("InvalidIdentityToken", VERIFICATION_KEY, None));
    let home = TempDir::new("webid-verification-key-persistent");
    let env = web_identity_env(&fake, &home, None);
    let (code, err, _) = cli_error(&home, &borrow(&env), &[]);
    assert_eq!(code, "ProviderError", "{err}");
    assert!(err.contains("verification key"), "{err}");
    // The default: 4 attempts, inside the default 10 s fetch timeout.
    assert_eq!(fake.ctl().count("sts_AssumeRoleWithWebIdentity"), 4);
}

#[test]
fn attempts_and_the_fetch_timeout_bound_the_retries() {
    const NAME: &str = "attempts_and_the_fetch_timeout_bound_the_retries";
    if !is_child(NAME) {
        let fake = fake_with(&sts_fails("InvalidIdentityToken", VERIFICATION_KEY, None));
        let home = TempDir::new("webid-bounds");
        let mut env = web_identity_env(&fake, &home, None);
        env.push(("FAKE_PORT", fake.port.to_string()));
        child(NAME, &borrow(&env), Duration::from_secs(60));
        return;
    }
    let ctl = Ctl::from_env();
    let calls = || ctl.count("sts_AssumeRoleWithWebIdentity");
    // One attempt: no retry.
    let once = FetchTimeouts {
        web_identity_attempts: 1,
        ..FetchTimeouts::default()
    };
    let e = signer(None)
        .timeouts(once)
        .build()
        .unwrap()
        .token_blocking();
    assert_eq!(e.unwrap_err().code(), ErrorCode::ProviderError);
    assert_eq!(calls(), 1);
    // Many attempts in a short fetch timeout: retries stop while the next one would still end
    // inside it, so the caller gets STS's error, not a timeout.
    let short = FetchTimeouts {
        fetch: Duration::from_millis(900),
        web_identity_attempts: 20,
        ..FetchTimeouts::default()
    };
    let s = signer(None).timeouts(short).build().unwrap();
    let e = s.token_blocking().unwrap_err();
    assert_eq!(e.code(), ErrorCode::ProviderError, "{e}");
    assert!(e.to_string().contains("verification key"), "{e}");
    let made = calls() - 1;
    // The waits are at least 200, 400, 800 ms: a fourth call cannot start inside 900 ms.
    assert!((1..=3).contains(&made), "{made} calls");
}

/// An HTTP proxy that records each CONNECT target and refuses it.
fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut first = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            record.lock().unwrap().push(first.trim_end().to_owned());
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, seen)
}

/// The CONNECT targets the CLI asked the proxy for, signing for `host` with `env` and `args`.
fn sts_targets(
    host: &str,
    home: &TempDir,
    env: &[(&'static str, String)],
    args: &[&str],
) -> Vec<String> {
    let (proxy, seen) = recording_proxy();
    let mut env = env.to_vec();
    env.push(("HTTPS_PROXY", proxy));
    let mut argv = vec!["token", "--host", host, "--user", "app", "--port=5432"];
    argv.extend(args);
    let (out, _) = cli(home, &borrow(&env), &argv);
    assert!(!out.status.success(), "the proxy refuses every tunnel");
    let seen = seen.lock().unwrap().clone();
    assert!(
        !seen.is_empty(),
        "STS was not called through the proxy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    seen
}

#[test]
fn sts_is_called_on_the_signers_regional_endpoint() {
    let home = TempDir::new("webid-regional");
    let token = home.write("token", "eyJhbGciOiJSUzI1NiJ9.e30.sig");
    let env = vec![
        no_imds(),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/irsa-role".into(),
        ),
        // Another region in the environment: the signer's region wins.
        ("AWS_REGION", "ap-southeast-2".into()),
    ];
    for (host, sts) in [
        (
            "db.abc123.eu-west-1.rds.amazonaws.com",
            "sts.eu-west-1.amazonaws.com:443",
        ),
        // us-east-1 is a "legacy global" region: still its regional name, not sts.amazonaws.com.
        (
            "db.abc123.us-east-1.rds.amazonaws.com",
            "sts.us-east-1.amazonaws.com:443",
        ),
    ] {
        let seen = sts_targets(host, &home, &env, &[]);
        for line in &seen {
            assert_eq!(line, &format!("CONNECT {sts} HTTP/1.1"), "{host}");
        }
    }
    // A profile's web identity, with its own region setting: still the signer's region.
    home.write(
        ".aws/config",
        &format!(
            "[profile irsa]\nregion = us-west-2\nrole_arn = arn:aws:iam::123456789012:role/irsa-role\nweb_identity_token_file = {}\n",
            token.display()
        ),
    );
    let seen = sts_targets(
        "db.abc123.eu-central-1.rds.amazonaws.com",
        &home,
        &[no_imds()],
        &["--profile", "irsa"],
    );
    for line in &seen {
        assert_eq!(line, "CONNECT sts.eu-central-1.amazonaws.com:443 HTTP/1.1");
    }
}
