//! `rds-iam token --kind elasticache|elasticache-serverless|memorydb` and `rds-iam doctor
//! --kind …`: the real binary, environment keys, a local STS for doctor's identity check.

mod support;

use support::{cli, token_json, FakeAws, TempDir, ENV_KEYS};

fn token(home: &TempDir, args: &[&str]) -> String {
    let mut all = vec!["token", "--json"];
    all.extend(args);
    let (out, _) = cli(home, &ENV_KEYS, &all);
    token_json(&out)["token"].as_str().unwrap().to_owned()
}

fn error(home: &TempDir, args: &[&str]) -> String {
    let mut all = vec!["token"];
    all.extend(args);
    let (out, _) = cli(home, &ENV_KEYS, &all);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "printed a token on failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn token_prints_each_cache_kind_for_a_name_or_an_endpoint() {
    let home = TempDir::new("cli-cache-token");
    let serverless = token(
        &home,
        &[
            "--kind",
            "elasticache-serverless",
            "--host",
            "My-Cache",
            "--user",
            "app-user",
            "--region",
            "eu-west-1",
        ],
    );
    assert!(
        serverless.starts_with("my-cache/?Action=connect&User=app-user&ResourceType=ServerlessCache&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAENVIRONMENT00001%2F"),
        "{serverless}"
    );
    assert!(serverless.contains("%2Feu-west-1%2Felasticache%2Faws4_request&"));
    assert!(serverless.contains("&X-Amz-Expires=900&"));

    // The region comes from the endpoint's short code; the port never reaches the token.
    let node_based = token(
        &home,
        &[
            "--kind",
            "elasticache",
            "--host",
            "master.my-rg.abc123.apse2.cache.amazonaws.com:6379",
            "--user",
            "app-user",
        ],
    );
    assert!(
        node_based.starts_with("my-rg/?Action=connect&User=app-user&X-Amz-Algorithm="),
        "{node_based}"
    );
    assert!(node_based.contains("%2Fap-southeast-2%2Felasticache%2F"));

    let memorydb = token(
        &home,
        &[
            "--kind",
            "memorydb",
            "--host",
            "clustercfg.orders.xyz789.memorydb.us-west-2.amazonaws.com",
            "--user",
            "orders-app",
        ],
    );
    assert!(
        memorydb.starts_with("orders/?Action=connect&User=orders-app&X-Amz-Algorithm="),
        "{memorydb}"
    );
    assert!(memorydb.contains("%2Fus-west-2%2Fmemorydb%2Faws4_request&"));
}

#[test]
fn token_says_what_to_pass_for_a_cache_it_cannot_sign() {
    let home = TempDir::new("cli-cache-errors");
    let no_region = error(
        &home,
        &["--kind", "elasticache", "--host", "my-cache", "--user", "u"],
    );
    assert!(
        no_region.starts_with("error[NoRegion]:") && no_region.contains("--region"),
        "{no_region}"
    );
    let no_user = error(
        &home,
        &[
            "--kind",
            "memorydb",
            "--host",
            "c1",
            "--region",
            "us-east-1",
        ],
    );
    assert!(no_user.contains("MemoryDB user name"), "{no_user}");
    let wrong_kind = error(
        &home,
        &[
            "--kind",
            "elasticache",
            "--host",
            "my-cache-abc123.serverless.use1.cache.amazonaws.com",
            "--user",
            "u",
        ],
    );
    assert!(
        wrong_kind.starts_with("error[InvalidEndpoint]:")
            && wrong_kind.contains("use kind `elasticache-serverless`"),
        "{wrong_kind}"
    );
    let bad_kind = error(&home, &["--kind", "redis", "--host", "c", "--user", "u"]);
    assert!(
        bad_kind.contains("`--kind`") && bad_kind.contains("\"elasticache-serverless\""),
        "{bad_kind}"
    );
}

#[test]
fn doctor_knows_the_cache_kinds() {
    let fake = FakeAws::start();
    let home = TempDir::new("cli-cache-doctor");
    let mut env = ENV_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL_STS", fake.url.as_str()));
    let (out, _) = cli(
        &home,
        &env,
        &[
            "doctor",
            "--kind",
            "memorydb",
            "--host",
            "clustercfg.orders.xyz789.memorydb.eu-west-1.amazonaws.com",
            "--user",
            "orders-app",
            "--json",
        ],
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    let detail = |name: &str| -> String {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no `{name}` check in {r:#}"))["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(detail("endpoint").contains("MemoryDB cluster `orders`"));
    assert!(detail("region").starts_with("eu-west-1"));
    let policy = detail("iam policy");
    assert!(
        policy
            .contains("memorydb:Connect on arn:aws:memorydb:eu-west-1:123456789012:cluster/orders")
            && policy.contains("arn:aws:memorydb:eu-west-1:123456789012:user/orders-app"),
        "{policy}"
    );
    assert!(detail("tls").starts_with("TLS required"));
    assert!(detail("user").contains("MemoryDB user name `orders-app`"));

    // ElastiCache: the user id rule; a cache name without --region fails the region check.
    let (out, _) = cli(
        &home,
        &env,
        &[
            "doctor",
            "--kind",
            "elasticache",
            "--host",
            "my-rg",
            "--user",
            "app",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[FAIL] region"), "{text}");
    assert!(text.contains("replication group `my-rg`"), "{text}");
}
