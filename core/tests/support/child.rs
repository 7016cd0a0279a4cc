//! Running one library test in a fresh copy of its own test binary, with only the environment
//! it is given: the default credential chain, the process-wide caches and the counters are then
//! the test's alone.

use std::io::Read;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use super::faults::assert_no_secrets;
use super::{isolated, TempDir};

pub const CHILD: &str = "RDS_IAM_FAULTS_CHILD";

/// True inside the child process started by [`child`] for the test `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

/// Runs the test `name` again in a fresh copy of this test binary with ONLY `env` (plus PATH,
/// a temp HOME and empty AWS config files), killing it after `limit`. Its output is shown.
pub fn child(name: &str, env: &[(&str, &str)], limit: Duration) -> Output {
    let home = TempDir::new(name);
    let mut cmd = isolated(std::env::current_exe().unwrap(), &home);
    cmd.env(CHILD, name)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut proc = cmd.spawn().unwrap();
    let mut stdout = proc.stdout.take().unwrap();
    let mut stderr = proc.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = proc.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = proc.kill();
            let _ = proc.wait();
            let err = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
            panic!("child test `{name}` still running after {limit:?} (killed); stderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child test `{name}` failed:\n{text}");
    println!("--- child `{name}` ---\n{text}");
    assert_no_secrets(&text);
    out
}
