//! The proxy's log lines: text or one JSON object per line (`--structured-logs`), on stderr for
//! the command, or through the `log` crate when the proxy runs inside an application (Python's
//! `logging`, Node's debug log). Every line about a client session carries its connection id.
//! Nothing logged here ever holds a token, a secret or a client's password: messages are built
//! from hosts, users, SQLSTATEs and the core's error texts, which hold none.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::json_text::json_str;

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

/// Writes one line for a session (`conn`) or for the proxy itself (`None`).
pub(crate) fn line(sink: LogSink, level: Level, conn: Option<u64>, instance: &str, msg: &str) {
    match sink {
        LogSink::Library => {
            let level = match level {
                Level::Info => log::Level::Info,
                Level::Warn => log::Level::Warn,
                Level::Error => log::Level::Error,
            };
            match conn {
                Some(c) => {
                    log::log!(target: "rds_iam::proxy", level, "[conn {c}] {instance}: {msg}")
                }
                None if instance.is_empty() => log::log!(target: "rds_iam::proxy", level, "{msg}"),
                None => log::log!(target: "rds_iam::proxy", level, "{instance}: {msg}"),
            }
        }
        LogSink::Text => {
            // One record, one line: a multi-line cause (the credential chain's attempts) is
            // folded, so log shippers keep it together.
            let msg = msg.replace('\n', " | ");
            let conn = conn.map(|c| format!(" [conn {c}]")).unwrap_or_default();
            let sep = if instance.is_empty() { "" } else { ": " };
            let text = format!(
                "{} {}{conn} {instance}{sep}{msg}\n",
                timestamp(),
                level.as_str()
            );
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
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
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
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
    fn dates_and_json_strings() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
