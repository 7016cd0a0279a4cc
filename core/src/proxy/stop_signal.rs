//! The command's stop requests: SIGTERM and SIGINT on Unix; Ctrl-C, Ctrl-Break, the console
//! closing and a system shutdown on Windows (what a service manager or `taskkill` sends to a
//! console program). Each drains as SIGTERM does; a second request cuts the drain short.

use std::io;

/// Waits for stop requests, once installed.
pub(crate) struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(windows)]
    c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    brk: tokio::signal::windows::CtrlBreak,
    #[cfg(windows)]
    close: tokio::signal::windows::CtrlClose,
    #[cfg(windows)]
    shutdown: tokio::signal::windows::CtrlShutdown,
}

impl StopSignals {
    /// Installs the handlers (inside a tokio runtime).
    #[cfg(unix)]
    pub(crate) fn install() -> io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Installs the handlers (inside a tokio runtime).
    #[cfg(windows)]
    pub(crate) fn install() -> io::Result<StopSignals> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown};
        Ok(StopSignals {
            c: ctrl_c()?,
            brk: ctrl_break()?,
            close: ctrl_close()?,
            shutdown: ctrl_shutdown()?,
        })
    }

    /// The next stop request's name, as the log line says it.
    #[cfg(unix)]
    pub(crate) async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }

    /// The next stop request's name, as the log line says it.
    #[cfg(windows)]
    pub(crate) async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.c.recv() => "Ctrl-C",
            _ = self.brk.recv() => "Ctrl-Break",
            _ = self.close.recv() => "console close",
            _ = self.shutdown.recv() => "system shutdown",
        }
    }
}
