//! Errors about an option name it as the caller spells it: the CLI's flags here (the bindings'
//! spellings are tested in python/tests/test_options.py and node/test/options.test.js), and
//! Rust's field names through `SignerOptions` and `SignerBuilder`, which share one set of rules.

use std::time::Duration;

use rds_iam::{Argument, Credentials, Error, Param, Signer, SignerOptions, Surface};

/// Runs the CLI in-process; returns its status and stderr (these cases fail before any I/O).
fn cli(args: &[&str]) -> (i32, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("rds-iam").chain(args.iter().copied());
    let status = rds_iam::cli::run(argv, &mut out, &mut err);
    (status, String::from_utf8(err).unwrap())
}

#[test]
fn cli_cluster_id_needs_a_region() {
    let (status, err) = cli(&["token", "--cluster-id", "abc", "--user", "admin"]);
    assert_eq!(status, 1);
    assert!(
        err.starts_with(
            "error[InvalidArgument]: invalid argument `--region`: `--cluster-id` names"
        ),
        "{err}"
    );
    let (status, _) = cli(&["token"]);
    assert_eq!(
        status, 2,
        "neither --host nor --cluster-id is a usage error"
    );
}

#[test]
fn cli_errors_name_flags() {
    let host = "db.abc123.us-east-1.rds.amazonaws.com";
    let (status, err) = cli(&["token", "--host", host, "--user", "u", "--role-arn", "nope"]);
    assert_eq!(status, 1);
    assert!(
        err.starts_with("error[InvalidArgument]: invalid argument `--role-arn`: `nope` is not"),
        "{err}"
    );

    let (status, err) = cli(&["token", "--host", "db.example.com", "--user", "u"]);
    assert_eq!(status, 1);
    assert!(err.starts_with("error[NoRegion]: "), "{err}");
    assert!(
        err.contains("pass `--region` explicitly") && err.contains("pass `--sign-host` with"),
        "{err}"
    );

    let dsql = "abc.dsql.us-east-1.on.aws";
    let (status, err) = cli(&["token", "--host", dsql, "--dsql", "--expires-in", "0"]);
    assert_eq!(status, 1);
    assert!(
        err.starts_with("error[InvalidArgument]: invalid argument `--expires-in`: "),
        "{err}"
    );
    assert!(
        !err.contains("expires_in") && !err.contains("expiresIn"),
        "{err}"
    );
}

fn options() -> SignerOptions {
    let mut o = SignerOptions::new("db.abc123.us-east-1.rds.amazonaws.com");
    o.user = Some("app".into());
    o.credentials = Some(Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        None,
        None,
        "test",
    ));
    o
}

fn param_of(r: Result<Signer, Error>) -> Param {
    match r {
        Err(Error::InvalidArgument {
            argument: Argument::Param(p),
            ..
        }) => p,
        other => panic!("expected an InvalidArgument about an option, got {other:?}"),
    }
}

#[test]
fn the_builder_and_the_options_share_their_rules() {
    let mut o = options();
    o.fetch_timeout = Some(Duration::ZERO);
    assert_eq!(param_of(o.build()), Param::FetchTimeout);
    let b = Signer::builder("db.abc123.us-east-1.rds.amazonaws.com")
        .user("app")
        .timeouts(rds_iam::FetchTimeouts {
            fetch: Duration::ZERO,
            ..rds_iam::FetchTimeouts::default()
        });
    assert_eq!(param_of(b.build()), Param::FetchTimeout);
    let b = Signer::builder("db.abc123.us-east-1.rds.amazonaws.com")
        .user("app")
        .timeouts(rds_iam::FetchTimeouts {
            web_identity_attempts: 0,
            ..rds_iam::FetchTimeouts::default()
        });
    assert_eq!(param_of(b.build()), Param::WebIdentityAttempts);

    let mut role = rds_iam::AssumeRole::new("arn:aws:iam::123456789012:role/r");
    role.session_name = Some("x".into());
    let b = Signer::builder("db.abc123.us-east-1.rds.amazonaws.com")
        .user("app")
        .assume_role(role);
    let e = b.build().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid argument `role_session_name`: "),
        "{e}"
    );
    assert!(e
        .render(Surface::Node)
        .starts_with("invalid argument `roleSessionName`: "));
}

#[test]
fn rust_errors_name_the_fields() {
    let mut o = options();
    o.reuse_for = Some(Duration::from_secs(400 * 24 * 3600));
    let e = o.build().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid argument `reuse_for`: use at most one year (31536000 seconds)"
    );
    assert_eq!(
        e.render(Surface::Cli),
        "invalid argument `--reuse-for`: use at most one year (31536000 seconds)"
    );
}
