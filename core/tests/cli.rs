//! The `rds-iam` command: doctor against local STS/IMDS servers and temp config files, explain's
//! table, docs/troubleshooting.md generated from it, and the psql launcher against iamdb.

mod support;

use std::process::{Command, Output};

use support::{cli, repo, FakeAws, TempDir, ENV_KEYS};

fn doctor(home: &TempDir, env: &[(&str, &str)], extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        "doctor",
        "--host",
        "db.abc123.us-east-1.rds.amazonaws.com",
        "--user",
        "app",
        "--json",
    ];
    args.extend(extra);
    let (out, _) = cli(home, env, &args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), report)
}

/// The detail of the first check called `name` with status `status`.
fn check(report: &serde_json::Value, name: &str, status: &str) -> String {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name && c["status"] == status)
        .unwrap_or_else(|| panic!("no {status} `{name}` check in {report:#}"))["detail"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn doctor_names_the_credential_source_actually_used() {
    let fake = FakeAws::start();
    let sts = ("AWS_ENDPOINT_URL_STS", fake.url.as_str());
    let home = TempDir::new("doctor-src");

    let mut env = ENV_KEYS.to_vec();
    env.push(sts);
    let (code, r) = doctor(&home, &env, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert!(check(&r, "credentials", "ok").contains("AKIAENVIRONMENT00001 from Environment"));
    assert!(check(&r, "identity", "ok").contains("123456789012"));

    home.write(
        ".aws/credentials",
        "[dev]\naws_access_key_id = AKIADEVPROFILE000001\naws_secret_access_key = x\n",
    );
    let (_, r) = doctor(
        &home,
        &[
            ("AWS_PROFILE", "dev"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            sts,
        ],
        &[],
    );
    assert!(
        check(&r, "credentials", "ok").contains("AKIADEVPROFILE000001 from Profile"),
        "{r:#}"
    );

    let script = home.write("creds.sh", "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS000000001\", \"SecretAccessKey\": \"p\", \"SessionToken\": \"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    home.write(
        ".aws/config",
        &format!(
            "[profile proc]\ncredential_process = {}\n",
            script.display()
        ),
    );
    let (_, r) = doctor(
        &home,
        &[
            ("AWS_PROFILE", "proc"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            sts,
        ],
        &[],
    );
    assert!(
        check(&r, "credentials", "ok").contains("ASIAPROCESS000000001"),
        "{r:#}"
    );

    let token = home.write("web-identity", "eyJ.e30.sig");
    let web = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        sts,
    ];
    let (_, r) = doctor(&home, &web, &[]);
    assert!(
        check(&r, "credentials", "ok").contains("ASIAWEBID"),
        "{r:#}"
    );
    assert!(check(&r, "credential chain", "info").contains("web identity"));

    let (_, r) = doctor(
        &home,
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url.as_str()),
            sts,
        ],
        &[],
    );
    let creds = check(&r, "credentials", "ok");
    assert!(
        creds.contains("ASIAIMDS") && creds.contains("temporary"),
        "{r:#}"
    );
}

#[test]
fn doctor_flags_environment_keys_overriding_aws_profile() {
    let fake = FakeAws::start();
    let home = TempDir::new("doctor-override");
    let mut env = ENV_KEYS.to_vec();
    env.extend([
        ("AWS_PROFILE", "prod"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ]);
    let (_, r) = doctor(&home, &env, &[]);
    assert!(check(&r, "credential chain", "warn").contains("AWS_PROFILE=prod is ignored"));
}

#[test]
fn doctor_detects_an_expired_session() {
    let fake = FakeAws::start();
    fake.configure(r#"{"sts": {"status": 403, "error_code": "ExpiredToken"}}"#);
    let home = TempDir::new("doctor-expired");
    let mut env = ENV_KEYS.to_vec();
    env.extend([
        ("AWS_SESSION_TOKEN", "stale"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ]);
    let (code, r) = doctor(&home, &env, &[]);
    assert_eq!(code, 1);
    assert!(
        check(&r, "identity", "FAIL").contains("ExpiredToken"),
        "{r:#}"
    );
}

#[test]
fn doctor_detects_a_twenty_minute_clock_skew() {
    let fake = FakeAws::start();
    fake.configure(r#"{"sts": {"date_skew_s": 1200}}"#);
    let home = TempDir::new("doctor-skew");
    let mut env = ENV_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL_STS", fake.url.as_str()));
    let (code, r) = doctor(&home, &env, &[]);
    assert_eq!(code, 1);
    let detail = check(&r, "clock", "FAIL");
    assert!(
        detail.contains("-1200 s") || detail.contains("-1199 s") || detail.contains("-1201 s"),
        "{detail}"
    );
}

#[test]
fn doctor_flags_a_custom_dns_name_and_a_missing_region() {
    let fake = FakeAws::start();
    let home = TempDir::new("doctor-dns");
    let mut env = ENV_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL_STS", fake.url.as_str()));
    let (out, _) = cli(
        &home,
        &env,
        &[
            "doctor",
            "--host",
            "db.corp.example",
            "--user",
            "app",
            "--region",
            "eu-west-1",
            "--json",
        ],
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(check(&r, "endpoint", "warn").contains("--sign-host"));
    let (out, _) = cli(
        &home,
        &env,
        &["doctor", "--host", "db.corp.example", "--user", "app"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[FAIL] region"));
}

#[test]
fn explain_knows_every_listed_error() {
    let home = TempDir::new("explain");
    let texts = [
        "FATAL:  PAM authentication failed for user \"app\"",
        "ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.1' (using password: YES)",
        "InvalidToken: the token is not valid",
        "ExpiredToken: token has expired",
        "NotAuthorized: not authorized to perform: rds-db:connect",
        "ThrottlingException: Rate exceeded",
        "InternalError",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId: The security token included in the request is invalid",
        "An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired",
        "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation",
    ];
    for text in texts {
        let (out, _) = cli(&home, &[], &["explain", text]);
        assert!(out.status.success(), "no entry for {text:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("fix:"));
    }
    let (out, _) = cli(&home, &[], &["explain", "everything is fine"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn troubleshooting_page_is_explains_table() {
    let home = TempDir::new("readme");
    let (out, _) = cli(&home, &[], &["explain", "--markdown"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let page = std::fs::read_to_string(repo().join("docs/troubleshooting.md")).unwrap();
    assert!(
        page.contains(&table),
        "docs/troubleshooting.md's table differs from `rds-iam explain --markdown`; paste its output into it"
    );
}

/// Holds tests/iamdb up for the life of the guard; tests of this binary running at the same
/// time share one hold (iamdb counts holders by PID), so the last guard out brings it down.
struct Iamdb(serde_json::Value);

static IAMDB_USERS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

impl Iamdb {
    fn up() -> Iamdb {
        let mut users = IAMDB_USERS.lock().unwrap_or_else(|p| p.into_inner());
        *users += 1;
        let db = repo().join("tests/iamdb/iamdb");
        let pid = std::process::id().to_string();
        let up = Command::new(&db)
            .args(["up", "--hold", &pid])
            .output()
            .unwrap();
        assert!(
            up.status.success(),
            "iamdb up: {}",
            String::from_utf8_lossy(&up.stderr)
        );
        let json = Command::new(&db).arg("json").output().unwrap();
        Iamdb(serde_json::from_slice(&json.stdout).unwrap())
    }
    fn get(&self, k: &str) -> String {
        let v = &self.0[k];
        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
    }
}

impl Drop for Iamdb {
    fn drop(&mut self) {
        let mut users = IAMDB_USERS.lock().unwrap_or_else(|p| p.into_inner());
        *users -= 1;
        if *users > 0 {
            return;
        }
        let pid = std::process::id().to_string();
        let _ = Command::new(repo().join("tests/iamdb/iamdb"))
            .args(["down", "--release", &pid])
            .output();
    }
}

#[test]
fn psql_launcher_logs_in_without_the_token_in_argv() {
    let db = Iamdb::up();
    let home = TempDir::new("psql");
    let env = [
        ("AWS_ACCESS_KEY_ID", db.get("IAMDB_ACCESS_KEY_ID")),
        ("AWS_SECRET_ACCESS_KEY", db.get("IAMDB_SECRET_ACCESS_KEY")),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("PGSSLROOTCERT", db.get("IAMDB_CA_FILE")),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let port = db.get("IAMDB_PG_PORT");
    let user = db.get("IAMDB_USER");
    let dbname = db.get("IAMDB_DATABASE");
    // The client sleeps so its command line can be read from /proc while it runs.
    let sql = "select current_user, pg_sleep(1)";
    let args = [
        "psql",
        "--region",
        "us-east-1",
        "--",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-U",
        &user,
        "-d",
        &dbname,
        "-Atc",
        sql,
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rds-iam"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", &home.0)
        .args(args);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut seen_psql = false;
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(900);
    while std::time::Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline);
            assert!(
                !cmdline.contains("X-Amz-Signature"),
                "a token is visible in argv: {}",
                entry.path().display()
            );
            let program = cmdline.split('\0').next().unwrap_or_default();
            seen_psql |= (program == "psql" || program.ends_with("/psql")) && cmdline.contains(sql);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(seen_psql, "psql never showed up in /proc");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{user}|")
    );
}

/// The mysql launcher tests run one at a time: one checks that no option file is left in the
/// shared temp directory, which another test's running mysql would still hold.
static MYSQL_LAUNCHES: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn mysql_launcher_logs_in_with_the_cleartext_plugin() {
    let _one = MYSQL_LAUNCHES.lock().unwrap_or_else(|p| p.into_inner());
    let db = Iamdb::up();
    let home = TempDir::new("mysql");
    let port = db.get("IAMDB_MYSQL_PORT");
    let user = db.get("IAMDB_USER");
    let (key, secret) = (
        db.get("IAMDB_ACCESS_KEY_ID"),
        db.get("IAMDB_SECRET_ACCESS_KEY"),
    );
    let env = [
        ("AWS_ACCESS_KEY_ID", key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let args = [
        "mysql",
        "--region",
        "us-east-1",
        "--",
        "-h",
        "127.0.0.1",
        "-P",
        &port,
        "-u",
        &user,
        &format!("--ssl-ca={}", db.get("IAMDB_CA_FILE")),
        "-N",
        "-e",
        "select current_user()",
    ];
    let (out, _) = cli(&home, &env, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("{user}@")));
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().ends_with(".cnf")
                && e.file_name().to_string_lossy().starts_with("rds-iam-")
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "the option file with the token must be removed: {leftovers:?}"
    );
}

/// The environment of a launcher test: iamdb's static key and nothing else.
fn iamdb_env(db: &Iamdb) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", db.get("IAMDB_ACCESS_KEY_ID")),
        ("AWS_SECRET_ACCESS_KEY", db.get("IAMDB_SECRET_ACCESS_KEY")),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

fn launch(db: &Iamdb, extra_env: &[(&'static str, String)], args: &[&str]) -> Output {
    let home = TempDir::new("launch-tls");
    let mut env = iamdb_env(db);
    env.extend(extra_env.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cli(&home, &env, args).0
}

#[test]
fn launchers_verify_the_server_by_default() {
    let db = Iamdb::up();
    let (pg, my, user) = (
        db.get("IAMDB_PG_PORT"),
        db.get("IAMDB_MYSQL_PORT"),
        db.get("IAMDB_USER"),
    );
    let psql = [
        "psql",
        "--region",
        "us-east-1",
        "--",
        "-h",
        "127.0.0.1",
        "-p",
        &pg,
        "-U",
        &user,
        "-d",
        "iamdb",
        "-Atc",
        "select 1",
    ];
    let out = launch(&db, &[], &psql);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("certificate verify failed"), "{err}");
    let mysql = [
        "mysql",
        "--region",
        "us-east-1",
        "--",
        "-h",
        "127.0.0.1",
        "-P",
        &my,
        "-u",
        &user,
        "-N",
        "-e",
        "select 1",
    ];
    let out = {
        let _one = MYSQL_LAUNCHES.lock().unwrap_or_else(|p| p.into_inner());
        launch(&db, &[], &mysql)
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}

#[test]
fn psql_through_a_tunnel_checks_the_certificate_against_the_sign_host() {
    let db = Iamdb::up();
    let (pg, user, rds) = (
        db.get("IAMDB_PG_PORT"),
        db.get("IAMDB_USER"),
        db.get("IAMDB_RDS_HOST"),
    );
    let ca = [("PGSSLROOTCERT", db.get("IAMDB_CA_FILE"))];
    let run = |sign_host: &str| {
        let sign = format!("{sign_host}:{pg}");
        let args = [
            "psql",
            "--sign-host",
            &sign,
            "--",
            "-h",
            "127.0.0.1",
            "-p",
            &pg,
            "-U",
            &user,
            "-d",
            "iamdb",
            "-Atc",
            "select current_user, inet_server_addr()",
        ];
        launch(&db, &ca, &args)
    };
    let out = run(&rds);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{user}|127.0.0.1")
    );
    let out = run("db.cluster-other.us-east-1.rds.amazonaws.com");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("does not match host name"), "{err}");
}

#[test]
fn doctor_says_which_trust_and_whether_the_endpoint_is_covered() {
    let fake = FakeAws::start();
    let home = TempDir::new("doctor-tls");
    let mut env = ENV_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL_STS", fake.url.as_str()));
    let (_, r) = doctor(&home, &env, &[]);
    let tls = check(&r, "tls", "ok");
    assert!(tls.contains("verify-full against"), "{tls}");
    assert!(tls.contains("RDS certificate: the shipped RDS CA bundle has the us-east-1 roots"));

    let args = [
        "doctor",
        "--host",
        "127.0.0.1",
        "--sign-host",
        "db.abc.cn-north-1.rds.amazonaws.com.cn",
        "--user",
        "app",
        "--json",
    ];
    let (out, _) = cli(&home, &env, &args);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tls = check(&r, "tls", "warn");
    assert!(
        tls.contains(
            "certificate name checked: db.abc.cn-north-1.rds.amazonaws.com.cn (not 127.0.0.1)"
        ),
        "{tls}"
    );
    assert!(
        tls.contains("has no cn-north-1 roots") && tls.contains("pass it as `ca`"),
        "{tls}"
    );
}
