//! `credential_process`, run by us rather than by aws-config, so that a process that hangs is
//! really ended.
//!
//! The contract is the AWS SDKs': the profile's command line runs through the shell (`sh -c` on
//! unix, `cmd.exe /C` on Windows) and prints JSON with `Version: 1`, `AccessKeyId`,
//! `SecretAccessKey`, and optionally `SessionToken`, `Expiration` (RFC 3339) and `AccountId`.
//! A non-zero exit is an error that carries the process's stderr (never its stdout, which may
//! hold secrets).
//!
//! aws-config runs the command without a time limit and leaves it running when the caller stops
//! waiting, so every fetch timeout left one more process behind. Here the command starts in a
//! process group of its own; when the fetch is dropped before the command exits (our fetch
//! timeout, or a caller giving up), the whole group — the shell, the command and anything it
//! started — gets SIGKILL, and the collecting thread reaps the command. On Windows the command
//! runs in a job object instead, which is terminated the same way (process_job.rs).

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};

use super::process_output::parse_output;
use crate::sync::lock;

/// Most stdout kept (credentials JSON is well under 4 KiB); the rest is read and dropped.
const MAX_STDOUT: u64 = 1 << 20;
/// Most stderr kept for the error message.
const MAX_STDERR: u64 = 4096;

/// Credentials from a profile's `credential_process` command.
pub(crate) struct ProcessProvider {
    command: String,
    /// The profile's `aws_account_id`, used when the output names none.
    account_id: Option<String>,
}

impl std::fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Arguments may hold secrets: only the program is shown.
        write!(f, "ProcessProvider({})", self.program())
    }
}

impl ProvideCredentials for ProcessProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.credentials())
    }
}

impl ProcessProvider {
    /// A provider running `command` (a shell command line) for each fetch.
    pub(crate) fn new(command: impl Into<String>, account_id: Option<String>) -> Self {
        ProcessProvider {
            command: command.into(),
            account_id,
        }
    }

    /// The command's first word, for logs (the rest may be secret).
    fn program(&self) -> &str {
        self.command.split_whitespace().next().unwrap_or_default()
    }

    async fn credentials(&self) -> provider::Result {
        log::debug!("running credential_process {}", self.program());
        let running = Running::start(&self.command).map_err(|e| {
            CredentialsError::provider_error(format!(
                "credential_process could not be started: {e}"
            ))
        })?;
        let output = running.output().await?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(CredentialsError::provider_error(format!(
                "credential_process failed with {}; its stderr: {}",
                output.status,
                stderr.trim()
            )));
        }
        parse_output(&output.stdout, self.account_id.as_deref()).map_err(|why| {
            CredentialsError::provider_error(format!(
                "could not parse the credential_process output: {why}"
            ))
        })
    }
}

/// What the process left behind.
struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// A started command. Dropping it before the command exited kills the command's process group.
struct Running {
    /// The command's pid, which is also its process group id.
    pid: u32,
    /// Set (under the lock) once the command has exited and before it is reaped: until then
    /// its pid, and so its process group id, cannot be reused by another process.
    exited: Arc<Mutex<bool>>,
    result: tokio::sync::oneshot::Receiver<std::io::Result<Output>>,
    /// Windows: the job the command runs in (`None` when none could be made: `taskkill /T`).
    #[cfg(windows)]
    job: Option<super::process_job::Job>,
}

impl Running {
    fn start(command_line: &str) -> std::io::Result<Running> {
        let mut command = shell(command_line);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn()?;
        let pid = child.id();
        #[cfg(windows)]
        let job = super::process_job::Job::holding(&child)
            .map_err(|e| log::debug!("credential_process runs outside a job object: {e}"))
            .ok();
        let exited = Arc::new(Mutex::new(false));
        let (tx, result) = tokio::sync::oneshot::channel();
        let running = Running {
            pid,
            exited: exited.clone(),
            result,
            #[cfg(windows)]
            job,
        };
        // A thread of its own: reading the pipes and waiting block, and must go on (to reap the
        // command) after the fetch that started it was dropped.
        std::thread::Builder::new()
            .name("rds-iam-credential-process".into())
            .spawn(move || {
                let _ = tx.send(collect(child, &exited));
            })?;
        Ok(running)
    }

    async fn output(mut self) -> Result<Output, CredentialsError> {
        match (&mut self.result).await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(e)) => Err(CredentialsError::provider_error(format!(
                "credential_process could not be read: {e}"
            ))),
            Err(_) => Err(CredentialsError::provider_error(
                "credential_process: its reader stopped without an answer",
            )),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let killed = {
            let exited = lock(&self.exited);
            if !*exited {
                self.kill();
            }
            !*exited
        };
        // Logged after the lock is released: a log bridge (the Python binding's) may need the GIL.
        if killed {
            log::warn!(
                "ended credential_process (pid {}) and everything it started: its fetch was given up",
                self.pid
            );
        }
    }
}

impl Running {
    /// Ends the command and everything it started.
    fn kill(&self) {
        #[cfg(windows)]
        if let Some(job) = &self.job {
            job.terminate();
            return;
        }
        kill_group(self.pid);
    }
}

/// The command line run through the platform's shell, as the AWS SDKs do.
fn shell(command_line: &str) -> Command {
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        let mut command = Command::new("cmd.exe");
        command.arg("/C").raw_arg(format!("\"{command_line}\""));
        command
    }
    #[cfg(not(windows))]
    {
        let mut command = Command::new("sh");
        command.arg("-c").arg(command_line);
        command
    }
}

/// Reads the command's output to the end, waits for it to exit and reaps it.
fn collect(mut child: Child, exited: &Mutex<bool>) -> std::io::Result<Output> {
    let stderr = child.stderr.take().map(|pipe| {
        std::thread::spawn(move || {
            let mut pipe = pipe;
            read_capped(&mut pipe, MAX_STDERR)
        })
    });
    let stdout = match child.stdout.take() {
        Some(mut pipe) => read_capped(&mut pipe, MAX_STDOUT),
        None => Vec::new(),
    };
    let stderr = stderr
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default();
    wait_without_reaping(&child);
    *lock(exited) = true;
    let status = child.wait()?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Up to `limit` bytes of `pipe`; the rest is read and dropped, so the writer never blocks.
fn read_capped(pipe: &mut impl Read, limit: u64) -> Vec<u8> {
    let mut kept = Vec::new();
    let _ = pipe.take(limit).read_to_end(&mut kept);
    let _ = std::io::copy(pipe, &mut std::io::sink());
    kept
}

/// Blocks until `child` has exited, leaving it a zombie: its pid stays taken until `wait`.
#[cfg(unix)]
fn wait_without_reaping(child: &Child) {
    loop {
        // SAFETY: waitid only writes the siginfo_t it is given.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: a plain syscall on our own child's pid, with a valid out-pointer.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

#[cfg(not(unix))]
fn wait_without_reaping(_child: &Child) {}

/// SIGKILL to every process in the group `pgid`.
#[cfg(unix)]
fn kill_group(pgid: u32) {
    // SAFETY: a plain syscall; `pgid` is our command's group, which `Running` keeps valid.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}

/// Windows has no process groups here: `taskkill /T` ends the command's process tree.
#[cfg(not(unix))]
fn kill_group(pid: u32) {
    let _ = Command::new("taskkill")
        .args(["/F", "/T", "/PID", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Dropping a fetch before the command exits kills its process group (the shell and the
    /// command it started) and reaps the shell.
    #[test]
    fn a_dropped_fetch_kills_the_process_group() {
        let dir = std::env::temp_dir().join(format!("rds-iam-drop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pids = dir.join("pids");
        let command = format!("sleep 300 & echo $$ $! > {}; wait", pids.display());
        let provider = ProcessProvider::new(command, None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (leader, grandchild) = rt.block_on(async {
            let fetch = provider.provide_credentials();
            tokio::pin!(fetch);
            loop {
                tokio::select! {
                    _ = &mut fetch => panic!("the command never exits by itself"),
                    _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                }
                let text = std::fs::read_to_string(&pids).unwrap_or_default();
                let ids: Vec<i32> = text
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect();
                if let [leader, grandchild] = ids[..] {
                    break (leader, grandchild);
                }
            }
            // `fetch` is dropped here, with the command still running.
        });
        for pid in [leader, grandchild] {
            let mut waited = 0;
            while running(pid) {
                assert!(
                    waited < 500,
                    "process {pid} still runs after its fetch was dropped"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
                waited += 1;
            }
        }
        // The shell is reaped, not left a zombie (the grandchild is init's to reap).
        let mut waited = 0;
        while std::path::Path::new(&format!("/proc/{leader}")).exists() {
            assert!(waited < 500, "the shell {leader} was not reaped");
            std::thread::sleep(std::time::Duration::from_millis(20));
            waited += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Whether `pid` is a live process (not gone, not a zombie).
    fn running(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
            .unwrap_or(false)
    }
}
