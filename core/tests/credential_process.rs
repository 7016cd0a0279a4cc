//! `credential_process`, run by the core itself: real scripts printing credentials, failing and
//! hanging; the role chain on top of one (against tests/fakeaws's STS); and, for a hung script,
//! that its whole process group is ended and nothing is left running, checked by PID.
//!
//! CLI cases run the real `rds-iam` binary with an isolated environment. The in-process case
//! points `AWS_CONFIG_FILE` at this binary's own config file (set once, before any fetch).

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rds_iam::{ErrorCode, FetchTimeouts, Signer};
use support::{cli, token_json, FakeAws, TempDir, TOKEN_ARGS};

const NO_IMDS: (&str, &str) = ("AWS_EC2_METADATA_DISABLED", "true");
const HOST: &str = "db.abc123.us-east-1.rds.amazonaws.com";
const PROCESS_SECRET: &str = "process-secret-never-shown";

/// An executable script `name` in `home`.
fn script(home: &TempDir, name: &str, body: &str) -> PathBuf {
    let path = home.write(name, &format!("#!/bin/sh\n{body}\n"));
    let status = std::process::Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

/// A script printing credentials as the contract says; `extra` adds JSON fields.
fn printing(home: &TempDir, name: &str, akid: &str, extra: &str) -> PathBuf {
    script(
        home,
        name,
        &format!(
            "cat <<'JSON'\n{{\"Version\": 1, \"AccessKeyId\": \"{akid}\", \
             \"SecretAccessKey\": \"{PROCESS_SECRET}\"{extra}}}\nJSON"
        ),
    )
}

fn akid(v: &serde_json::Value) -> &str {
    v["access_key_id"].as_str().unwrap()
}

fn has_session_token(v: &serde_json::Value) -> bool {
    v["token"]
        .as_str()
        .unwrap()
        .contains("&X-Amz-Security-Token=")
}

#[test]
fn a_script_that_prints_credentials_signs_with_and_without_expiration() {
    let home = TempDir::new("process-prints");
    let temporary = printing(
        &home,
        "temporary.sh",
        "ASIAPROCESSTEMP00001",
        ", \"SessionToken\": \"session\", \"Expiration\": \"2099-01-01T00:00:00+02:00\"",
    );
    let long_term = printing(&home, "long-term.sh", "AKIAPROCESSLONG00001", "");
    home.write(
        ".aws/config",
        &format!(
            "[default]\ncredential_process = {}\n[profile long]\ncredential_process = {}\n",
            temporary.display(),
            long_term.display()
        ),
    );
    // The default chain's profile link.
    let v = token_json(&cli(&home, &[NO_IMDS], &TOKEN_ARGS).0);
    assert_eq!(akid(&v), "ASIAPROCESSTEMP00001");
    assert!(has_session_token(&v));
    // The profile AWS_PROFILE selects, and the same profile named explicitly.
    let v = token_json(&cli(&home, &[NO_IMDS, ("AWS_PROFILE", "long")], &TOKEN_ARGS).0);
    assert_eq!(akid(&v), "AKIAPROCESSLONG00001");
    assert!(!has_session_token(&v));
    let mut args = TOKEN_ARGS.to_vec();
    args.extend(["--profile", "long"]);
    let v = token_json(&cli(&home, &[NO_IMDS], &args).0);
    assert_eq!(akid(&v), "AKIAPROCESSLONG00001");
}

#[test]
fn a_script_that_exits_1_gives_its_stderr_and_never_its_stdout() {
    let home = TempDir::new("process-exit-1");
    let failing = script(
        &home,
        "failing.sh",
        &format!(
            "echo '{{\"Version\": 1, \"AccessKeyId\": \"AKIASTDOUT\", \"SecretAccessKey\": \
             \"{PROCESS_SECRET}\"}}'\necho 'token for helen expired; run login-helper' >&2\nexit 1"
        ),
    );
    home.write(
        ".aws/config",
        &format!("[default]\ncredential_process = {}\n", failing.display()),
    );
    let (out, _) = cli(&home, &[NO_IMDS], &TOKEN_ARGS);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error[ProviderError]"), "{err}");
    assert!(err.contains("exit status: 1"), "{err}");
    assert!(
        err.contains("token for helen expired; run login-helper"),
        "{err}"
    );
    assert!(
        !err.contains(PROCESS_SECRET) && !err.contains("AKIASTDOUT"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_role_is_assumed_with_the_credentials_of_a_source_profile_process() {
    let fake = FakeAws::start();
    let home = TempDir::new("process-role");
    let base = printing(
        &home,
        "base.sh",
        "ASIAPROCESSBASE00001",
        ", \"SessionToken\": \"base-session\"",
    );
    home.write(
        ".aws/config",
        &format!(
            "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/from-process\n\
             source_profile = base\nrole_session_name = process-chain\n\
             [profile base]\ncredential_process = {}\n",
            base.display()
        ),
    );
    let env = [
        NO_IMDS,
        ("AWS_PROFILE", "app"),
        ("AWS_ENDPOINT_URL_STS", fake.url.as_str()),
    ];
    let v = token_json(&cli(&home, &env, &TOKEN_ARGS).0);
    assert!(akid(&v).starts_with("ASIAASSUMED"), "{v}");
    let call = fake
        .calls()
        .into_iter()
        .find(|c| c["service"] == "sts")
        .expect("an STS call");
    let text = call.to_string();
    assert!(
        text.contains("from-process") && text.contains("process-chain"),
        "{text}"
    );
    // STS was called with the process's credentials.
    assert!(
        call["headers"]["authorization"]
            .as_str()
            .is_some_and(|a| a.contains("Credential=ASIAPROCESSBASE00001/")),
        "{call}"
    );
}

/// This binary's AWS config file, with the profiles of the in-process tests; set once.
fn config_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rds-iam-process-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pids = dir.join("hang.pids");
        let hang = dir.join("hang.sh");
        // The script starts a grandchild that hangs too, writes both PIDs, then hangs.
        std::fs::write(
            &hang,
            format!(
                "#!/bin/sh\nsleep 300 &\necho $$ $! > {}\nsleep 300\n",
                pids.display()
            ),
        )
        .unwrap();
        let status = std::process::Command::new("chmod")
            .arg("+x")
            .arg(&hang)
            .status()
            .unwrap();
        assert!(status.success());
        let config = dir.join("config");
        std::fs::write(
            &config,
            format!("[profile hang]\ncredential_process = {}\n", hang.display()),
        )
        .unwrap();
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"));
        std::env::set_var(NO_IMDS.0, NO_IMDS.1);
        dir
    })
}

/// `/proc/<pid>/stat`'s state letter, or `None` once the process is gone (reaped).
fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// Waits (up to a generous bound, not a timing assertion) until `done(pid)` holds.
fn eventually(pid: i32, what: &str, done: impl Fn(i32) -> bool) {
    for _ in 0..1000 {
        if done(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("process {pid} {what}: state {:?}", state(pid));
}

#[cfg(target_os = "linux")]
#[test]
fn a_hung_script_and_its_grandchild_are_killed_on_timeout() {
    let dir = config_dir();
    let signer = Signer::builder(HOST)
        .user("app")
        .profile("hang")
        .timeouts(FetchTimeouts {
            fetch: Duration::from_secs(1),
            ..FetchTimeouts::default()
        })
        .build()
        .unwrap();
    let err = signer.token_blocking().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    let pids = std::fs::read_to_string(dir.join("hang.pids")).unwrap();
    let pids: Vec<i32> = pids
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let [script, grandchild] = pids[..] else {
        panic!("two PIDs expected: {pids:?}");
    };
    // SIGKILL went to the whole group: neither runs any more. `kill(pid, 0)` fails once a
    // process is reaped; the grandchild, orphaned, is left for init to reap.
    eventually(
        grandchild,
        "still runs",
        |pid| !matches!(state(pid), Some(s) if s != 'Z'),
    );
    // The script itself is reaped by the core, not left a zombie.
    eventually(script, "was not reaped", |pid| {
        // SAFETY: signal 0 only checks whether the pid exists.
        let exists = unsafe { libc::kill(pid, 0) } == 0;
        !exists && state(pid).is_none()
    });
    // The next fetch starts a new script (and it is ended the same way).
    let err = signer.token_blocking().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
