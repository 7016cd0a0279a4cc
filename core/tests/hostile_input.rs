//! Hostile input, fuzzed with proptest through every public entry that takes user text:
//! endpoint parsing, region inference, host classification, user encoding, signing, the Signer
//! builder and the CLI. Properties: no panic; no token for an invalid endpoint; an accepted host
//! is DNS characters only or a bracketed IPv6 literal; control characters (CR, LF, NUL, …) are
//! always rejected in host and user; a token starts with the host as given, carries exactly one
//! 64-hex `X-Amz-Signature` and no smuggled query syntax; `DBUser` round-trips.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rds_iam::{
    host_kind, infer_region, is_region, sign, CredentialSource, Credentials, Endpoint, ErrorCode,
    HostKind, Signer, TokenKind, TokenSpec,
};

fn config() -> Config {
    Config {
        cases: 512,
        // Failures print the minimal input; no regression files written into the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Strings built to hurt: arbitrary unicode, URL and header syntax, control characters, hosts
/// that are nearly valid, AWS-shaped names, and very long ones.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "db",
        "abc123",
        "us-east-1",
        "rds",
        "amazonaws",
        "com",
        "dsql",
        "on",
        "aws",
        "proxy-x",
        "cluster-ro-y",
        "master",
        "cache",
        "use1",
        "serverless",
        "memorydb",
        ".",
        ".",
        ".",
        ":",
        "::",
        "[",
        "]",
        "/",
        "?",
        "@",
        "#",
        "%",
        "%0d%0a",
        "&",
        "=",
        " ",
        "\r",
        "\n",
        "\r\n",
        "\t",
        "\0",
        "\u{7f}",
        "\u{85}",
        "\u{2028}",
        "é",
        "ﬁ",
        "💥",
        "https://",
        "http://",
        "5432",
        "443",
        "0",
        "65536",
        "-1",
        "+5432",
        "-",
        "_",
        "..",
        "xn--bcher-kva",
        "127.0.0.1",
        "::1",
        "ffff",
        "Action=connect",
        "X-Amz-Signature=",
    ]);
    prop_oneof![
        3 => prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat()),
        2 => any::<String>(),
        1 => "[a-zA-Z0-9.:_\\-\\[\\]/?@#% \r\n\t\u{0}\u{7f}é]{0,40}",
        4 => "[a-zA-Z0-9]{1,12}(\\.[a-z0-9_-]{1,12}){0,3}\\.(us-east-1|eu-west-3|us-gov-west-1)\\.(rds\\.amazonaws\\.com|rds\\.amazonaws\\.com\\.cn)(\\.)?(:[0-9]{1,6})?",
        2 => "(https://)?[a-z0-9]{1,20}\\.dsql\\.[a-z]{2}-[a-z]{4,7}-[0-9]\\.on\\.aws(\\.)?/?",
        1 => "\\[[0-9a-fA-F:.]{0,45}\\](:[0-9]{1,5})?",
        1 => "[a-z.]{240,300}",
        1 => "[a-z]{1,8}\\.[a-z]{1,8}[\r\n\0\t\u{1b}][a-z]{0,8}(:5432)?",
    ]
}

/// User names: arbitrary text, query/header syntax and control characters.
fn user() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => "[a-zA-Z0-9_.@+=&%?#/ ~!*'();:$,\\[\\]-]{1,40}",
        1 => "[a-z]{0,8}[\r\n\0\t\u{7f}\u{85}][a-z]{0,8}",
        1 => ".{200,400}",
    ]
}

fn port() -> impl Strategy<Value = Option<u16>> {
    prop_oneof![Just(None), any::<u16>().prop_map(Some)]
}

/// An accepted host is DNS characters (no empty label) or a bracketed IPv6-shaped literal.
fn assert_safe_host(host: &str) {
    assert!(!host.is_empty() && host.len() <= 253, "{host:?}");
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        assert!(
            !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'),
            "{host:?}"
        );
    } else {
        assert!(
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
            "{host:?}"
        );
        assert!(!host.split('.').any(str::is_empty), "{host:?}");
    }
}

/// The input without the scheme `Endpoint::parse` strips.
fn unschemed(input: &str) -> &str {
    input.strip_prefix("https://").unwrap_or(input)
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn creds(session: bool) -> Credentials {
    Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        session.then(|| "IQoJb3JpZ2luX2Vj+/=session".to_owned()),
        None,
        "hostile-input",
    )
}

fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// Checks a token's shape for the endpoint it was signed for; returns the DBUser (RDS) or
/// User (ElastiCache, MemoryDB) parameter.
fn check_token(token: &str, endpoint: &Endpoint, kind: TokenKind, session: bool) -> Option<String> {
    let authority = if kind == TokenKind::Rds {
        endpoint.to_string()
    } else {
        endpoint.host().to_owned()
    };
    assert!(
        token.starts_with(&format!("{authority}/?Action=")),
        "{token}"
    );
    assert_eq!(token.matches("X-Amz-Signature=").count(), 1, "{token}");
    let (_, sig) = token.rsplit_once("&X-Amz-Signature=").unwrap();
    assert!(
        sig.len() == 64
            && sig
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{token}"
    );
    // No smuggled syntax: one `?`, no `#`, no whitespace or control characters, and exactly the
    // expected parameters.
    assert_eq!(token.matches('?').count(), 1, "{token}");
    assert!(
        !token.contains('#') && !token.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{token}"
    );
    let query = token.split_once('?').unwrap().1;
    let names: Vec<&str> = query
        .split('&')
        .map(|kv| kv.split_once('=').expect("name=value").0)
        .collect();
    let mut want = vec!["Action"];
    match kind {
        TokenKind::Rds => want.push("DBUser"),
        TokenKind::ElastiCacheServerless => want.extend(["User", "ResourceType"]),
        k if k.is_cache() => want.push("User"),
        _ => {}
    }
    want.extend([
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
    ]);
    if session {
        want.push("X-Amz-Security-Token");
    }
    want.push("X-Amz-Signature");
    assert_eq!(names, want, "{token}");
    query
        .split('&')
        .find_map(|kv| {
            kv.strip_prefix("DBUser=")
                .or_else(|| kv.strip_prefix("User="))
        })
        .map(|v| percent_decode_str(v).decode_utf8().unwrap().into_owned())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn endpoint_parsing_accepts_only_safe_hosts(input in hostile(), port in port()) {
        match Endpoint::parse(&input, port) {
            Ok(e) => {
                assert_safe_host(e.host());
                prop_assert!(!has_control(&input), "accepted {input:?}");
                prop_assert_ne!(e.port(), 0);
                if let Some(p) = port {
                    prop_assert_eq!(e.port(), p);
                }
                // The host is kept as given (case included), minus scheme and one trailing dot.
                prop_assert!(unschemed(&input).starts_with(e.host()), "{input:?} → {e}");
            }
            Err(err) => prop_assert_eq!(err.code(), ErrorCode::InvalidEndpoint),
        }
        match Endpoint::parse_with_default(&input, port.unwrap_or(5432).max(1)) {
            Ok(e) => {
                assert_safe_host(e.host());
                prop_assert!(!has_control(&input), "accepted {input:?}");
                prop_assert!(unschemed(&input).starts_with(e.host()), "{input:?} → {e}");
            }
            Err(err) => prop_assert_eq!(err.code(), ErrorCode::InvalidEndpoint),
        }
    }

    #[test]
    fn control_characters_are_always_rejected_in_hosts(
        prefix in "[a-z0-9.]{0,20}",
        bad in prop::sample::select(vec!['\r', '\n', '\0', '\t', '\u{1b}', '\u{7f}', '\u{85}', '\u{2028}']),
        suffix in "[a-z0-9.:]{0,20}",
        scheme in prop::bool::ANY,
    ) {
        let input = format!("{}{prefix}{bad}{suffix}", if scheme { "https://" } else { "" });
        prop_assert!(Endpoint::parse(&input, None).is_err(), "{input:?}");
        prop_assert!(Endpoint::parse_with_default(&input, 5432).is_err(), "{input:?}");
        let built = Signer::builder(input.clone()).user("u").region("us-east-1").build();
        prop_assert!(built.is_err(), "{input:?}");
        let built = Signer::builder("db.local").sign_host(input.clone()).user("u").region("us-east-1").build();
        prop_assert!(built.is_err(), "sign_host {input:?}");
    }

    #[test]
    fn region_inference_and_host_kind_never_panic(input in hostile()) {
        let kind = host_kind(&input);
        match infer_region(&input) {
            Some(region) => {
                prop_assert!(is_region(&region), "{region:?}");
                prop_assert!(input.to_ascii_lowercase().contains(&region), "{input:?} → {region}");
                prop_assert!(kind != HostKind::Custom, "{input:?}");
            }
            None => prop_assert!(matches!(kind, HostKind::Custom | HostKind::IpAddress), "{input:?} → {kind:?}"),
        }
    }

    #[test]
    fn user_encoding_round_trips_and_rejects_control_characters(
        user in user(),
        port in 1u16..,
        session in prop::bool::ANY,
    ) {
        let endpoint = Endpoint::new("MyDB.abc123.us-east-1.rds.amazonaws.com", port).unwrap();
        match TokenSpec::new(TokenKind::Rds, endpoint.clone(), Some(&user), None) {
            Ok(spec) => {
                prop_assert!(!user.is_empty() && !has_control(&user), "accepted {user:?}");
                let token = sign(&spec, &creds(session), at()).unwrap();
                let decoded = check_token(&token, &endpoint, TokenKind::Rds, session);
                prop_assert_eq!(decoded.as_deref(), Some(user.as_str()));
            }
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::InvalidArgument);
                prop_assert!(user.is_empty() || has_control(&user), "rejected {user:?}: {e}");
            }
        }
    }

    #[test]
    fn signing_any_accepted_endpoint_gives_a_well_formed_token(
        input in hostile(),
        user in user(),
        kind in prop::sample::select(TokenKind::ALL.to_vec()),
        region in prop_oneof![Just(None), Just(Some("us-east-1".to_owned())), "[a-zA-Z0-9-]{0,15}".prop_map(Some)],
        session in prop::bool::ANY,
    ) {
        let Ok(endpoint) = Endpoint::parse(&input, None) else { return Ok(()) };
        let Ok(spec) = TokenSpec::new(kind, endpoint.clone(), Some(&user), region.as_deref()) else {
            return Ok(());
        };
        prop_assert!(is_region(spec.region()));
        assert_safe_host(spec.endpoint().host());
        let token = sign(&spec, &creds(session), at()).unwrap();
        let decoded = check_token(&token, spec.endpoint(), kind, session);
        if !kind.is_dsql() {
            prop_assert_eq!(decoded.as_deref(), Some(user.as_str()));
        }
        prop_assert!(unschemed(&input).starts_with(endpoint.host()));
    }

    #[test]
    fn signer_builder_never_panics_and_never_signs_an_invalid_endpoint(
        host in hostile(),
        sign_host in prop_oneof![3 => Just(None), 1 => hostile().prop_map(Some)],
        user in user(),
        port in port(),
        region in prop_oneof![Just(None), Just(Some("eu-west-1".to_owned())), hostile().prop_map(Some)],
    ) {
        let mut b = Signer::builder(host.clone())
            .user(user.clone())
            .credentials(CredentialSource::Static(creds(false)));
        if let Some(p) = port { b = b.port(p) }
        if let Some(h) = &sign_host { b = b.sign_host(h.clone()) }
        if let Some(r) = &region { b = b.region(r.clone()) }
        let Ok(signer) = b.build() else { return Ok(()) };
        prop_assert!(Endpoint::parse(&host, port).is_ok(), "built for host {host:?}");
        prop_assert!(!has_control(&user) && !user.is_empty());
        let signed = signer.spec().endpoint().clone();
        assert_safe_host(signed.host());
        // Static credentials: no I/O, the token comes straight from the cache layer.
        let token = signer.token_blocking().unwrap();
        let decoded = check_token(&token, &signed, TokenKind::Rds, false);
        prop_assert_eq!(decoded.as_deref(), Some(user.as_str()));
    }

    #[test]
    fn cli_never_panics_and_prints_no_token_for_bad_input(
        host in hostile(),
        user in user(),
        region in prop_oneof![Just(None), Just(Some("us-east-1".to_owned())), hostile().prop_map(Some)],
        sign_host in prop_oneof![3 => Just(None), 1 => hostile().prop_map(Some)],
        role in prop_oneof![3 => Just(None), 1 => hostile().prop_map(Some)],
        json in prop::bool::ANY,
    ) {
        // A profile that does not exist: valid input ends in a credential error without any
        // network I/O, so every exit is 1 (library error) or 2 (usage error), never a token.
        let mut args: Vec<String> = ["rds-iam", "token", "--host", &host, "--user", &user]
            .map(String::from)
            .to_vec();
        args.extend(["--profile".into(), "rds-iam-proptest-no-such-profile".into()]);
        for (flag, v) in [("--region", &region), ("--sign-host", &sign_host), ("--role-arn", &role)] {
            if let Some(v) = v {
                args.push(format!("{flag}={v}"));
            }
        }
        if json {
            args.push("--json".into());
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = rds_iam::cli::run(args.clone(), &mut out, &mut err);
        let err = String::from_utf8_lossy(&err);
        prop_assert!(status == 1 || status == 2, "status {status} for {args:?}: {err}");
        prop_assert!(out.is_empty(), "printed {:?} for {args:?}", String::from_utf8_lossy(&out));
        prop_assert!(!err.contains("X-Amz-Credential=AKIA"), "a token in stderr: {err}");
        if status == 1 {
            prop_assert!(err.starts_with("error["), "{err}");
            let endpoint_ok = Endpoint::parse(&host, None).is_ok();
            if !endpoint_ok {
                prop_assert!(err.starts_with("error[InvalidEndpoint]"), "{host:?}: {err}");
            }
        }
    }

    #[test]
    fn cli_explain_and_arbitrary_arguments_never_panic(
        args in prop::collection::vec(hostile(), 0..6),
        sub in prop::sample::select(vec!["explain", "token", "--help", "--version", "help", "bogus"]),
    ) {
        // No subcommand here runs a client or touches the network: `token` fails on its
        // missing required arguments or on the profile below, `explain` only matches text.
        let mut argv = vec!["rds-iam".to_owned(), sub.to_owned()];
        if sub == "token" {
            argv.extend(["--profile=rds-iam-proptest-no-such-profile".to_owned()]);
        }
        argv.extend(args);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = rds_iam::cli::run(argv.clone(), &mut out, &mut err);
        prop_assert!((0..=2).contains(&status), "{status} for {argv:?}");
        if sub == "token" {
            // Never a token; a stray `-h…`/`-V…` legitimately prints help or the version.
            let printed = String::from_utf8_lossy(&out);
            prop_assert!(!printed.contains("X-Amz-Signature"), "{argv:?}");
            prop_assert!(status != 0 || printed.starts_with("Usage") || printed.contains("rds-iam") , "{argv:?}");
        }
    }
}

/// A bracketed host is accepted only when it is an IPv6 address (not `[:]`, `[::::::::::]`,
/// `[1:2:3:4:5:6:7:8:9]` or `[.:.]`).
#[test]
fn accepted_ipv6_literals_are_ipv6_addresses() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let result = runner.run(&"\\[[0-9a-fA-F:.]{1,45}\\]", |input| {
        if let Ok(e) = Endpoint::parse(&input, None) {
            let inner = &e.host()[1..e.host().len() - 1];
            prop_assert!(
                inner.parse::<std::net::Ipv6Addr>().is_ok(),
                "accepted {input:?}, which is not an IPv6 address"
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
