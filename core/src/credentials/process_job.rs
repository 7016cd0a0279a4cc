//! Windows: the `credential_process` command runs in a job object of its own, so that a fetch
//! given up ends the command and every process it started, as the process group's SIGKILL does
//! on Unix. Windows has no process group to signal, and `taskkill /T` (the fallback when no job
//! can be made) walks parent process ids: it misses a process whose parent already exited, and
//! wine's taskkill ignores `/T` altogether (the ping a hung `.cmd` ran went on after the fetch
//! gave up; scripts/windows checks this).
//!
//! The job has no kill-on-close limit: a command that exited by itself leaves whatever it
//! started running, as on Unix. A process the command starts in the instant before it is put in
//! the job stays outside it (std cannot start a process suspended and resume it); `cmd.exe`
//! starts nothing that early.

use std::os::windows::io::AsRawHandle;
use std::process::Child;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, TerminateJobObject,
};

/// A job object holding one command and what it starts; dropping it only closes the handle.
pub(super) struct Job(HANDLE);

// SAFETY: a job object handle may be used and closed from any thread; `Job` owns it alone.
unsafe impl Send for Job {}
// SAFETY: `terminate` (the only use through `&Job`) is a thread-safe kernel call.
unsafe impl Sync for Job {}

impl Job {
    /// A new job with `child` in it; the processes `child` starts from now on join it too.
    pub(super) fn holding(child: &Child) -> std::io::Result<Job> {
        // SAFETY: null attributes and name: an unnamed job with the default security.
        let handle = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        if handle.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        let job = Job(handle);
        // SAFETY: both handles are valid: the job's is ours, the child's lives as long as `child`.
        if unsafe { AssignProcessToJobObject(job.0, child.as_raw_handle() as HANDLE) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(job)
    }

    /// Ends every process in the job (exit code 1).
    pub(super) fn terminate(&self) {
        // SAFETY: a valid job handle; terminating a job whose processes exited does nothing.
        unsafe {
            TerminateJobObject(self.0, 1);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: the handle is ours and closed once.
        unsafe {
            CloseHandle(self.0);
        }
    }
}
