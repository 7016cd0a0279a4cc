//! `rds-iam doctor` with a web identity source: the token's claims (decoded, never printed) and
//! the issuer's documents fetched from tests/fakeaws's OIDC issuer, with its faults.

mod support;

use support::{cli, FakeAws, TempDir};

/// Runs doctor with a web identity token file minted by the fake's issuer with `claims`, the
/// issuer configured with `oidc`; returns the report and the token text.
fn doctor(tag: &str, claims: &str, oidc: &str) -> (serde_json::Value, String, String) {
    let fake = FakeAws::start();
    if !oidc.is_empty() {
        fake.configure(&format!(r#"{{"oidc": {oidc}}}"#));
    }
    let jwt = fake.ctl().oidc_token(claims);
    let home = TempDir::new(tag);
    let file = home.write("token", &jwt);
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", file.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ];
    let args = [
        "doctor",
        "--host",
        "db.abc123.us-east-1.rds.amazonaws.com",
        "--user",
        "app",
        "--json",
    ];
    let (out, _) = cli(&home, &env, &args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (report, jwt, text)
}

/// The web identity lines as (status, detail).
fn lines(report: &serde_json::Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "web identity")
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The one web identity line containing `needle`.
fn line(report: &serde_json::Value, needle: &str) -> (String, String) {
    lines(report)
        .into_iter()
        .find(|(_, d)| d.contains(needle))
        .unwrap_or_else(|| panic!("no web identity line with `{needle}` in {report:#}"))
}

#[test]
fn a_healthy_issuer_is_shown_with_the_claims_and_the_trust_policy() {
    let (r, jwt, text) = doctor("doctor-webid-ok", "{}", "");
    let (status, claims) = line(&r, "token claims");
    assert_eq!(status, "ok", "{claims}");
    assert!(claims.contains("aud sts.amazonaws.com"), "{claims}");
    assert!(
        claims.contains("sub system:serviceaccount:default:app"),
        "{claims}"
    );
    assert!(claims.contains("min left"), "{claims}");
    let (_, trust) = line(&r, "trust policy");
    assert!(
        trust.contains(":sub = \"system:serviceaccount:default:app\""),
        "{trust}"
    );
    let (status, discovery) = line(&r, "discovery document");
    assert_eq!(status, "ok", "{discovery}");
    assert!(discovery.contains("HTTP 200"), "{discovery}");
    let (status, jwks) = line(&r, "JWKS");
    assert_eq!(
        (status.as_str(), jwks.contains("/oidc/keys: HTTP 200")),
        ("ok", true),
        "{jwks}"
    );
    // A loopback issuer is one STS cannot reach.
    let (status, _) = line(&r, "not a public https issuer");
    assert_eq!(status, "warn");
    line(&r, "from the public internet");
    let (role_status, role) = line(&r, "AWS_WEB_IDENTITY_TOKEN_FILE");
    assert_eq!(role_status, "info");
    assert!(
        role.contains("arn:aws:iam::123456789012:role/irsa"),
        "{role}"
    );
    // The token itself is never printed (its signature part would show).
    let signature = jwt.rsplit('.').next().unwrap();
    assert!(
        !text.contains(signature) && !text.contains(&jwt[..40]),
        "{text}"
    );
}

#[test]
fn an_expired_token_file_is_called_out() {
    let (r, _, _) = doctor("doctor-webid-expired", r#"{"exp": -600}"#, "");
    let (status, claims) = line(&r, "token claims");
    assert_eq!(status, "FAIL", "{claims}");
    assert!(claims.contains("EXPIRED 10 min ago"), "{claims}");
}

#[test]
fn a_missing_discovery_document_fails() {
    let (r, _, _) = doctor("doctor-webid-404", "{}", r#"{"discovery_status": 404}"#);
    let (status, d) = line(&r, "discovery document");
    assert_eq!(status, "FAIL", "{d}");
    assert!(d.contains("HTTP 404"), "{d}");
    assert!(
        lines(&r).iter().all(|(_, d)| !d.starts_with("JWKS")),
        "{r:#}"
    );
}

#[test]
fn a_jwks_sent_with_no_cache_is_a_warning() {
    let (r, _, _) = doctor("doctor-webid-nocache", "{}", r#"{"no_cache": true}"#);
    let (status, d) = line(&r, "JWKS");
    assert_eq!(status, "warn", "{d}");
    assert!(
        d.contains("Cache-Control: no-cache") && d.contains("Pragma: no-cache"),
        "{d}"
    );
}

#[test]
fn a_jwks_slower_than_five_seconds_is_a_warning() {
    // The only slow test here: the JWKS answers after 5.2 s (STS waits 5 s).
    let (r, _, _) = doctor("doctor-webid-slow", "{}", r#"{"jwks_delay_ms": 5200}"#);
    let (status, d) = line(&r, "JWKS");
    assert_eq!(status, "warn", "{d}");
    assert!(d.contains("slower than the 5 s"), "{d}");
    let (status, _) = line(&r, "discovery document");
    assert_eq!(status, "ok");
}

#[test]
fn a_profiles_web_identity_token_file_is_examined() {
    let fake = FakeAws::start();
    let home = TempDir::new("doctor-webid-profile");
    let file = home.write("token", &fake.ctl().oidc_token("{}"));
    home.write(
        ".aws/config",
        &format!(
            "[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/from-profile\nweb_identity_token_file = {}\n",
            file.display()
        ),
    );
    let env = [
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ];
    let args = [
        "doctor",
        "--host",
        "db.abc123.us-east-1.rds.amazonaws.com",
        "--user",
        "app",
        "--json",
        "--profile",
        "irsa",
    ];
    let (out, _) = cli(&home, &env, &args);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, d) = line(&r, "from profile \"irsa\"");
    assert!(
        d.contains("role arn:aws:iam::123456789012:role/from-profile"),
        "{d}"
    );
    assert_eq!(line(&r, "JWKS").0, "ok");
}
