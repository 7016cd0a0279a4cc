//! Fault injection, what the user reads: every provider failure (IMDS, ECS, AssumeRole, web
//! identity, credential_process) names the failing source, says what to do next and stays short.

mod support;

use support::closed_port_url;
use support::faults::{
    assume_role_env, borrow, cli_error, credential_process, fake_with, no_imds, web_identity_env,
    ROLE,
};
use support::TempDir;

/// Words that tell the user what to do next (the design: "Messages say what to do next").
const REMEDIES: [&str; 12] = [
    "check ",
    "set ",
    "run ",
    "renew",
    "raise ",
    "remove ",
    "pass ",
    "make sure",
    "fix ",
    "verify",
    "log in",
    "attach ",
];

/// Every provider failure names the failing source (for the default chain, the link: IMDS, ECS,
/// web identity, credential_process), names a missing web-identity token file, says what to
/// check, and stays short (no Debug dumps of HTTP responses).
#[test]
fn error_messages_name_the_provider_and_say_what_to_do() {
    type Scenario = (&'static str, &'static str, &'static [&'static str]);
    // (label, fake config, words of which one must appear to name the source)
    let scenarios: [Scenario; 12] = [
        (
            "IMDS 500",
            r#"{"imds": {"status": 500}}"#,
            &["IMDS", "instance metadata"],
        ),
        (
            "IMDS garbage",
            r#"{"imds": {"garbage": true}}"#,
            &["IMDS", "instance metadata"],
        ),
        (
            "IMDS token 403",
            r#"{"imds": {"imds_token_status": 403}}"#,
            &["IMDS"],
        ),
        ("ECS refused", "", &["ECS", "container"]),
        (
            "ECS 500",
            r#"{"ecs": {"status": 500}}"#,
            &["ECS", "container"],
        ),
        (
            "AssumeRole 500",
            r#"{"sts": {"status": 500}}"#,
            &["assume-role"],
        ),
        (
            "web identity 500",
            r#"{"sts": {"status": 500}}"#,
            &["web identity", "WebIdentity"],
        ),
        (
            "InvalidIdentityToken",
            r#"{"sts": {"error_code": "InvalidIdentityToken"}}"#,
            &["web identity", "WebIdentity"],
        ),
        (
            "ExpiredTokenException",
            r#"{"sts": {"error_code": "ExpiredTokenException"}}"#,
            &["web identity", "WebIdentity"],
        ),
        ("missing token file", "", &["no-such-dir/token"]),
        ("credential_process exit 3", "", &["credential_process"]),
        ("credential_process bad JSON", "", &["credential_process"]),
    ];
    let results: Vec<(String, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = scenarios
            .iter()
            .map(|&(label, config, _)| {
                scope.spawn(move || {
                    let fake = fake_with(config);
                    let home = TempDir::new("messages");
                    let ecs = format!("{}/ecs/creds", fake.url);
                    let (env, extra): (Vec<(&'static str, String)>, &[&str]) = match label {
                        l if l.starts_with("IMDS") => (
                            vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url.clone())],
                            &[],
                        ),
                        "ECS refused" => (
                            vec![
                                no_imds(),
                                (
                                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                    format!("{}/ecs/creds", closed_port_url()),
                                ),
                            ],
                            &[],
                        ),
                        "ECS 500" => (
                            vec![no_imds(), ("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs)],
                            &[],
                        ),
                        "AssumeRole 500" => (assume_role_env(&fake), &["--role-arn", ROLE]),
                        "missing token file" => (
                            web_identity_env(&fake, &home, Some(home.0.join("no-such-dir/token"))),
                            &[],
                        ),
                        "credential_process exit 3" => {
                            credential_process(
                                &home,
                                "#!/bin/sh\necho 'role not found' >&2\nexit 3\n",
                            );
                            (vec![no_imds()], &[])
                        }
                        "credential_process bad JSON" => {
                            credential_process(&home, "#!/bin/sh\necho '{\"Version\": 1,'\n");
                            (vec![no_imds()], &[])
                        }
                        _ => (web_identity_env(&fake, &home, None), &[]),
                    };
                    let (code, err, _) = cli_error(&home, &borrow(&env), extra);
                    (label.to_owned(), code, err)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    for ((label, code, err), (_, _, names)) in results.iter().zip(scenarios.iter()) {
        let lower = err.to_lowercase();
        if !names.iter().any(|n| lower.contains(&n.to_lowercase())) {
            problems.push(format!("{label}: does not name the source ({names:?})"));
        }
        if !REMEDIES.iter().any(|r| lower.contains(&format!(" {r}"))) {
            problems.push(format!("{label}: says nothing about what to do"));
        }
        if err.len() > 1_000 {
            problems.push(format!(
                "{label}: {} characters long (Debug dumps)",
                err.len()
            ));
        }
        println!(
            "{label} → error[{code}] ({} chars): {}",
            err.len(),
            err.lines().next().unwrap_or_default()
        );
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
