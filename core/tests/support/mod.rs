//! Test support: the fake AWS credential server (tests/fakeaws) and the CLI under a clean env;
//! [`child`] runs a test in a fresh process, [`faults`] holds the `faults_*` tests' helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Static environment keys for the CLI tests, with IMDS off.
pub const ENV_KEYS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001"),
    ("AWS_SECRET_ACCESS_KEY", "s"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `tests/fakeaws/fakeaws.py`, stopped on drop.
pub struct FakeAws {
    child: Child,
    pub port: u16,
    pub url: String,
}

impl FakeAws {
    pub fn start() -> FakeAws {
        let mut child = Command::new("python3")
            .arg(repo().join("tests/fakeaws/fakeaws.py"))
            .args(["--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start tests/fakeaws/fakeaws.py with python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&line).expect("fakeaws prints one JSON line");
        let port = v["port"].as_u64().unwrap() as u16;
        FakeAws {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The control client of this fake.
    pub fn ctl(&self) -> Ctl {
        Ctl(self.port)
    }

    /// Merges behaviour settings, e.g. `{"sts": {"delay_ms": 500}}`.
    pub fn configure(&self, json: &str) {
        self.ctl().configure(json);
    }

    /// Every recorded request.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        self.ctl().calls()
    }
}

/// Talks to a running fakeaws's `/_fake/*` control API by port (also from child processes).
#[derive(Clone, Copy)]
pub struct Ctl(pub u16);

impl Ctl {
    /// The fake whose port a parent test put in `FAKE_PORT`.
    pub fn from_env() -> Ctl {
        Ctl(std::env::var("FAKE_PORT").unwrap().parse().unwrap())
    }

    fn request(self, method: &str, path: &str, body: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.0)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.contains(" 200 "), "fakeaws {method} {path}: {resp}");
        body.to_owned()
    }

    /// Merges fault settings, e.g. `{"ecs": {"status": 500}}` (`null` removes a setting).
    pub fn configure(self, json: &str) {
        self.request("POST", "/_fake/config", json);
    }

    /// Every recorded request.
    pub fn calls(self) -> Vec<serde_json::Value> {
        let v: serde_json::Value =
            serde_json::from_str(&self.request("GET", "/_fake/calls", "")).unwrap();
        match v {
            serde_json::Value::Array(a) => a,
            other => other["calls"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// Calls per `<service>` and `<service>_<action>` (failed and retried ones included).
    pub fn counts(self) -> serde_json::Value {
        serde_json::from_str(&self.request("GET", "/_fake/counts", "")).unwrap()
    }

    /// A JWT from the fake's OIDC issuer (`/oidc`), e.g. `{"exp": -600}` (seconds from now).
    pub fn oidc_token(self, claims: &str) -> String {
        let v: serde_json::Value =
            serde_json::from_str(&self.request("POST", "/_fake/oidc/token", claims)).unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    /// One entry of [`Self::counts`], 0 when absent.
    pub fn count(self, key: &str) -> u64 {
        self.counts()[key].as_u64().unwrap_or(0)
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL of a local port nothing listens on (connections are refused).
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    drop(l);
    url
}

/// A scratch directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!("rds-iam-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(p.join(".aws")).unwrap();
        TempDir(p)
    }
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `program` with an empty environment but PATH, `home` as HOME and its (possibly absent) AWS
/// config files: nothing from the machine's own AWS setup leaks in.
pub fn isolated(program: impl AsRef<std::ffi::OsStr>, home: &TempDir) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .env("AWS_CONFIG_FILE", home.0.join(".aws/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.0.join(".aws/credentials"),
        );
    cmd
}

/// Runs the `rds-iam` binary with ONLY the given environment (plus PATH and a temp HOME), so
/// nothing from the machine's own AWS setup leaks in.
pub fn cli(home: &TempDir, env: &[(&str, &str)], args: &[&str]) -> (Output, Duration) {
    let mut cmd = isolated(env!("CARGO_BIN_EXE_rds-iam"), home);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    (out, started.elapsed())
}

/// The JSON printed by `rds-iam token --json`, or a panic showing stderr.
pub fn token_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "rds-iam failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The standard arguments: a token for an RDS endpoint, as JSON.
pub const TOKEN_ARGS: [&str; 7] = [
    "token",
    "--host",
    "db.abc123.us-east-1.rds.amazonaws.com",
    "--user",
    "app",
    "--json",
    "--port=5432",
];

pub mod child;
pub mod faults;
