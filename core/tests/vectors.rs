//! Every case in tests/vectors/*.json, signed through the public `sign` function, byte for byte.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};
use rds_iam::{sign, Credentials, Endpoint, TokenKind, TokenSpec};
use serde_json::Value;

fn cases(file: &str) -> Vec<Value> {
    let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn sign_case(case: &Value) -> String {
    let s = |k: &str| case[k].as_str();
    // The vectors spell kinds with the names every binding uses.
    let kind: TokenKind = s("kind").unwrap().parse().unwrap();
    assert_eq!(kind.as_str(), s("kind").unwrap());
    let port = case["port"].as_u64().map_or(443, |p| p as u16);
    let endpoint = Endpoint::new(s("host").unwrap(), port).unwrap();
    let spec = TokenSpec::new(kind, endpoint, s("user"), s("region"))
        .unwrap()
        .with_expires_in(std::time::Duration::from_secs(
            case["expires_in"].as_u64().unwrap(),
        ))
        .unwrap();
    let creds = Credentials::new(
        s("access_key_id").unwrap(),
        s("secret_access_key").unwrap(),
        s("session_token").map(str::to_owned),
        None,
        "vectors",
    );
    let at =
        SystemTime::try_from(DateTime::from_str(s("time").unwrap(), Format::DateTime).unwrap())
            .unwrap();
    sign(&spec, &creds, at).unwrap()
}

fn check(file: &str) -> usize {
    let cases = cases(file);
    let mut failures = vec![];
    for case in &cases {
        let got = sign_case(case);
        if got != case["token"].as_str().unwrap() {
            failures.push(format!(
                "{}:\n  got  {got}\n  want {}",
                case["name"], case["token"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn rds_vectors_match_botocore_byte_for_byte() {
    assert!(check("rds.json") >= 20);
}

#[test]
fn dsql_vectors_match_botocore_byte_for_byte() {
    assert!(check("dsql.json") >= 10);
}

#[test]
fn cache_vectors_match_the_aws_python_sample_byte_for_byte() {
    assert!(check("cache.json") >= 20);
}

/// Issue 17's published check from an independent Java signer (ElastiCache Serverless).
#[test]
fn the_java_signers_serverless_check_holds() {
    let spec = TokenSpec::new(
        TokenKind::ElastiCacheServerless,
        Endpoint::new("my-cache", 6379).unwrap(),
        Some("user123"),
        Some("eu-west-1"),
    )
    .unwrap();
    let creds = Credentials::new("accessKey", "secretKey", None, None, "java");
    let at =
        SystemTime::try_from(DateTime::from_str("2024-08-02T12:11:50Z", Format::DateTime).unwrap())
            .unwrap();
    let token = sign(&spec, &creds, at).unwrap();
    assert!(
        token.starts_with("my-cache/?Action=connect&User=user123&ResourceType=ServerlessCache&")
    );
    assert!(token.ends_with(
        "&X-Amz-Signature=5dda5db919b1337db6596b2a608924bc10197fb39289b933b60bdb114d5a70dc"
    ));
}
