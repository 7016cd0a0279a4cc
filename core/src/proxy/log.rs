//! The proxy's log lines: text or one JSON object per line (`--structured-logs`), on stderr for
//! the command, or through the `log` crate when the proxy runs inside an application (Python's
//! `logging`, Node's debug log). Every line about a client session carries its connection id.
//! Nothing logged here ever holds a token, a secret or a client's password: messages are built
//! from hosts, users, SQLSTATEs and the core's error texts, which hold none.
//!
//! Lines are written by a thread of their own ([`writer`]): a stalled stderr pipe, or a host
//! logger that waits for Python's GIL, must not stall the runtime's workers and with them
//! every session. The queue holds at most [`QUEUE_BYTES`]; past it lines are dropped and counted
//! (`rds_iam_proxy_log_lines_dropped_total`).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::json_text::json_str;
use crate::sync::lock;

/// Where the proxy's log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSink {
    /// Plain lines on stderr: `2026-12-03T14:00:00Z INFO [conn 7] …`.
    Text,
    /// One JSON object per line on stderr.
    Json,
    /// The `log` crate (target `rds_iam::proxy`), for the in-process proxy.
    Library,
}

/// A log line's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// A name a client chose (a user, a database), fit for a log line and an error message:
/// control characters (`\r`, ANSI escapes), invisible direction overrides and backslashes are
/// escaped, so a name cannot forge a line, move a terminal's cursor or hide what follows.
pub(crate) fn shown(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let invisible = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if c.is_control() || invisible || c == '\\' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most the queue holds, in bytes of text: past it a line is dropped (and counted) rather
/// than wait for a writer that is stuck.
const QUEUE_BYTES: usize = 1 << 20;

/// Lines dropped because the queue was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Log lines dropped because the writer could not keep up (its output stalled).
pub(crate) fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

enum Job {
    Text(String),
    Library(log::Level, String),
    /// Answered once every line queued before it is written.
    Flush(std::sync::mpsc::Sender<()>),
}

impl Job {
    fn bytes(&self) -> usize {
        match self {
            Job::Text(t) | Job::Library(_, t) => t.len(),
            Job::Flush(_) => 0,
        }
    }

    fn run(self, stderr: &mut std::io::StderrLock<'_>) {
        match self {
            Job::Text(t) => {
                let _ = stderr.write_all(t.as_bytes());
            }
            Job::Library(level, t) => log::log!(target: "rds_iam::proxy", level, "{t}"),
            Job::Flush(done) => {
                let _ = stderr.flush();
                let _ = done.send(());
            }
        }
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    bytes: usize,
}

struct Writer {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// The writer thread's queue, the thread started on first use; `None` when no thread could be
/// started (lines are then written in place).
fn writer() -> Option<&'static Writer> {
    static WRITER: OnceLock<Option<&'static Writer>> = OnceLock::new();
    *WRITER.get_or_init(|| {
        let w: &'static Writer = Box::leak(Box::new(Writer {
            queue: Mutex::default(),
            ready: Condvar::new(),
        }));
        let started = std::thread::Builder::new()
            .name("rds-iam-proxy-log".into())
            .spawn(move || loop {
                let jobs = {
                    let mut q = lock(&w.queue);
                    while q.jobs.is_empty() {
                        q = w.ready.wait(q).unwrap_or_else(|e| e.into_inner());
                    }
                    q.bytes = 0;
                    std::mem::take(&mut q.jobs)
                };
                let mut stderr = std::io::stderr().lock();
                jobs.into_iter().for_each(|job| job.run(&mut stderr));
            });
        started.ok().map(|_| w)
    })
}

fn submit(job: Job) {
    let Some(w) = writer() else {
        return job.run(&mut std::io::stderr().lock());
    };
    let mut q = lock(&w.queue);
    if !matches!(job, Job::Flush(_)) && q.bytes + job.bytes() > QUEUE_BYTES {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    q.bytes += job.bytes();
    q.jobs.push_back(job);
    w.ready.notify_one();
}

/// Waits up to `within` for the lines queued so far to be written (before the process exits).
pub(crate) fn flush(within: Duration) {
    let deadline = Instant::now() + within;
    let (done, written) = std::sync::mpsc::channel();
    submit(Job::Flush(done));
    let _ = written.recv_timeout(deadline.saturating_duration_since(Instant::now()));
}

/// Queues one line for a session (`conn`) or for the proxy itself (`None`).
pub(crate) fn line(sink: LogSink, level: Level, conn: Option<u64>, instance: &str, msg: &str) {
    match sink {
        LogSink::Library => {
            let level = match level {
                Level::Info => log::Level::Info,
                Level::Warn => log::Level::Warn,
                Level::Error => log::Level::Error,
            };
            let text = match conn {
                Some(c) => format!("[conn {c}] {instance}: {msg}"),
                None if instance.is_empty() => msg.to_owned(),
                None => format!("{instance}: {msg}"),
            };
            submit(Job::Library(level, text));
        }
        LogSink::Text => {
            // One record, one line: a multi-line cause (the credential chain's attempts) is
            // folded, so log shippers keep it together; any other control character is escaped.
            let mut folded = String::with_capacity(msg.len());
            for c in msg.chars() {
                match c {
                    '\n' => folded.push_str(" | "),
                    c if c.is_control() => folded.extend(c.escape_default()),
                    c => folded.push(c),
                }
            }
            let msg = folded;
            let conn = conn.map(|c| format!(" [conn {c}]")).unwrap_or_default();
            let sep = if instance.is_empty() { "" } else { ": " };
            submit(Job::Text(format!(
                "{} {}{conn} {instance}{sep}{msg}\n",
                timestamp(),
                level.as_str()
            )));
        }
        LogSink::Json => {
            let mut text = format!(
                "{{\"time\":\"{}\",\"level\":\"{}\"",
                timestamp(),
                level.as_str().to_ascii_lowercase()
            );
            if let Some(c) = conn {
                text.push_str(&format!(",\"conn\":{c}"));
            }
            if !instance.is_empty() {
                text.push_str(&format!(",\"instance\":{}", json_str(instance)));
            }
            text.push_str(&format!(",\"msg\":{}}}\n", json_str(msg)));
            submit(Job::Text(text));
        }
    }
}

/// RFC 3339 UTC time with milliseconds.
fn timestamp() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_chosen_names_are_shown_escaped() {
        assert_eq!(shown("iam_user"), "iam_user");
        assert_eq!(shown("évé"), "évé");
        assert_eq!(shown("a\rb\x1b[2Jc\nd"), r"a\rb\u{1b}[2Jc\nd");
        assert_eq!(shown("x\u{202e}y\\z"), r"x\u{202e}y\\z");
    }

    #[test]
    fn a_flush_waits_for_the_lines_queued_before_it() {
        line(LogSink::Library, Level::Info, Some(1), "db:5432", "queued");
        let started = Instant::now();
        flush(Duration::from_secs(5));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the writer answered"
        );
    }

    #[test]
    fn dates_and_json_strings() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
