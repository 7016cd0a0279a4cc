//! Each credential source, against real files, a real `credential_process` script and local
//! servers speaking IMDSv2, ECS container credentials, STS and SSO. Each test asserts which
//! identity signed the token.

mod support;

use std::time::Duration;

use support::{cli, closed_port_url, token_json, FakeAws, TempDir, TOKEN_ARGS};

const NO_IMDS: (&str, &str) = ("AWS_EC2_METADATA_DISABLED", "true");

fn akid(v: &serde_json::Value) -> String {
    v["access_key_id"].as_str().unwrap().to_owned()
}

fn signed_with_session_token(v: &serde_json::Value) -> bool {
    v["token"]
        .as_str()
        .unwrap()
        .contains("&X-Amz-Security-Token=")
}

#[test]
fn environment_variables() {
    let home = TempDir::new("env");
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        NO_IMDS,
    ];
    let (out, _) = cli(&home, &env, &TOKEN_ARGS);
    let v = token_json(&out);
    assert_eq!(akid(&v), "AKIAENVIRONMENT00001");
    assert!(v["token"]
        .as_str()
        .unwrap()
        .contains("X-Amz-Credential=AKIAENVIRONMENT00001%2F"));
    assert!(!signed_with_session_token(&v));
}

#[test]
fn named_profile_and_aws_profile() {
    let home = TempDir::new("profile");
    home.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIADEFAULTPROFILE01\naws_secret_access_key = d\n\n\
         [dev]\naws_access_key_id = AKIADEVPROFILE000001\naws_secret_access_key = x\naws_session_token = devsession\n",
    );
    let (out, _) = cli(&home, &[NO_IMDS], &TOKEN_ARGS);
    assert_eq!(akid(&token_json(&out)), "AKIADEFAULTPROFILE01");
    let (out, _) = cli(&home, &[NO_IMDS, ("AWS_PROFILE", "dev")], &TOKEN_ARGS);
    let v = token_json(&out);
    assert_eq!(akid(&v), "AKIADEVPROFILE000001");
    assert!(signed_with_session_token(&v));
    // An explicit profile wins even over environment credentials.
    let env = [
        NO_IMDS,
        ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ];
    let mut args = TOKEN_ARGS.to_vec();
    args.extend(["--profile", "dev"]);
    assert_eq!(
        akid(&token_json(&cli(&home, &env, &args).0)),
        "AKIADEVPROFILE000001"
    );
    let mut args = TOKEN_ARGS.to_vec();
    args.extend(["--profile", "missing"]);
    let (out, _) = cli(&home, &[NO_IMDS], &args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing") && err.starts_with("error["),
        "{err}"
    );
}

#[test]
fn credential_process_script() {
    let home = TempDir::new("process");
    let script = home.write(
        "creds.sh",
        "#!/bin/sh\ncat <<'JSON'\n{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS000000001\", \"SecretAccessKey\": \"p\", \
         \"SessionToken\": \"processsession\", \"Expiration\": \"2099-01-01T00:00:00Z\"}\nJSON\n",
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    home.write(
        ".aws/config",
        &format!("[default]\ncredential_process = {}\n", script.display()),
    );
    let (out, _) = cli(&home, &[NO_IMDS], &TOKEN_ARGS);
    let v = token_json(&out);
    assert_eq!(akid(&v), "ASIAPROCESS000000001");
    assert!(signed_with_session_token(&v));
}

#[test]
fn imds_v2() {
    let fake = FakeAws::start();
    let home = TempDir::new("imds");
    let (out, _) = cli(
        &home,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &fake.url)],
        &TOKEN_ARGS,
    );
    let v = token_json(&out);
    assert!(akid(&v).starts_with("ASIAIMDS"), "{v}");
    assert!(signed_with_session_token(&v));
    let calls = fake.calls();
    assert!(
        calls
            .iter()
            .any(|c| c["method"] == "PUT" || c.to_string().contains("api/token")),
        "IMDSv2 token PUT: {calls:?}"
    );
}

#[test]
fn ecs_container_credentials() {
    let fake = FakeAws::start();
    let home = TempDir::new("ecs");
    let uri = format!("{}/ecs/creds", fake.url);
    let env = [
        NO_IMDS,
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.as_str()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth"),
    ];
    let v = token_json(&cli(&home, &env, &TOKEN_ARGS).0);
    assert!(akid(&v).starts_with("ASIAECS"), "{v}");
}

#[test]
fn web_identity_via_sts() {
    let fake = FakeAws::start();
    let home = TempDir::new("webid");
    let token_file = home.write("web-identity-token", "eyJhbGciOiJSUzI1NiJ9.e30.sig");
    let env = [
        NO_IMDS,
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa-role"),
        ("AWS_ROLE_SESSION_NAME", "irsa-test"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ];
    let v = token_json(&cli(&home, &env, &TOKEN_ARGS).0);
    assert!(akid(&v).starts_with("ASIAWEBID"), "{v}");
    let call = fake
        .calls()
        .into_iter()
        .find(|c| c.to_string().contains("AssumeRoleWithWebIdentity"))
        .expect("STS call");
    assert!(call.to_string().contains("irsa-role"), "{call}");
}

#[test]
fn assume_role_on_top_of_environment_credentials() {
    let fake = FakeAws::start();
    let home = TempDir::new("assume");
    let env = [
        NO_IMDS,
        ("AWS_ACCESS_KEY_ID", "AKIABASEIDENTITY0001"),
        ("AWS_SECRET_ACCESS_KEY", "base"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ];
    let mut args = TOKEN_ARGS.to_vec();
    args.extend(["--role-arn", "arn:aws:iam::123456789012:role/db-connect"]);
    let v = token_json(&cli(&home, &env, &args).0);
    assert!(akid(&v).starts_with("ASIAASSUMED"), "{v}");
    assert!(signed_with_session_token(&v));
    let call = fake
        .calls()
        .into_iter()
        .find(|c| c.to_string().contains("\"AssumeRole\""))
        .expect("AssumeRole call");
    let text = call.to_string();
    assert!(
        text.contains("db-connect") && text.contains("AKIABASEIDENTITY0001"),
        "the base identity called STS: {text}"
    );
}

#[test]
fn sso_profile_with_cached_login() {
    let fake = FakeAws::start();
    let home = TempDir::new("sso");
    home.write(
        ".aws/config",
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = DbRole\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    );
    // The SDKs find the cached login under the SHA-1 of the sso-session name.
    let cache = sha1_smol::Sha1::from("corp").digest().to_string();
    home.write(&format!(".aws/sso/cache/{cache}.json"), "{\"accessToken\": \"sso-access\", \"expiresAt\": \"2099-01-01T00:00:00Z\", \"region\": \"us-east-1\", \"startUrl\": \"https://corp.awsapps.com/start\"}");
    let env = [
        NO_IMDS,
        ("AWS_PROFILE", "sso"),
        ("AWS_ENDPOINT_URL_SSO", fake.url.as_str()),
    ];
    let v = token_json(&cli(&home, &env, &TOKEN_ARGS).0);
    assert!(akid(&v).starts_with("ASIASSO"), "{v}");
}

#[test]
fn no_credentials_fails_fast_with_imds_unreachable() {
    let home = TempDir::new("none");
    // A port nothing listens on stands in for 169.254.169.254 off EC2.
    let url = closed_port_url();
    let (out, took) = cli(
        &home,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url)],
        &TOKEN_ARGS,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error[NoCredentials]") && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_silent_imds_is_bounded_by_the_imds_timeout() {
    let fake = FakeAws::start();
    fake.configure(r#"{"imds": {"hang": true}}"#);
    let home = TempDir::new("silent");
    let (out, took) = cli(
        &home,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &fake.url)],
        &TOKEN_ARGS,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // The chain reached IMDS and it did not answer: a provider failure that names IMDS.
    assert!(
        err.starts_with("error[ProviderError]") && err.contains("IMDS"),
        "{err}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}
