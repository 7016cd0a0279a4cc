//! The proxy's Prometheus metrics: plain atomics, rendered in the text exposition format on
//! `/metrics`. Counters per instance are labelled `instance="host:port"`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::lock;

/// Upper bounds (seconds) of the upstream dial + login latency histogram.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// One instance's counters.
#[derive(Default)]
pub(crate) struct InstanceMetrics {
    pub open: AtomicU64,
    pub total: AtomicU64,
    /// Connections closed at once, unread: past `--max-connections` and its margin.
    pub closed_at_cap: AtomicU64,
    pub logins_ok: AtomicU64,
    /// Failed logins by the code the client was sent (SQLSTATE, or a MySQL error number).
    failed: Mutex<Vec<(String, u64)>>,
    pub bytes_from_client: AtomicU64,
    pub bytes_from_upstream: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
}

impl InstanceMetrics {
    /// Counts a failed login under the code the client was sent.
    pub(crate) fn login_failed(&self, code: &str) {
        let mut failed = lock(&self.failed);
        match failed.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += 1,
            None => failed.push((code.to_owned(), 1)),
        }
    }

    /// Records one upstream dial + login.
    pub(crate) fn observe_login(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Renders every instance's metrics and the process-wide ones.
pub(crate) fn render(instances: &[(String, &InstanceMetrics)]) -> String {
    let mut out = String::new();
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let series = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    type Field = fn(&InstanceMetrics) -> &AtomicU64;
    let simple: [(&str, &str, &str, Field); 6] = [
        (
            "rds_iam_proxy_connections_open",
            "gauge",
            "Client connections open now.",
            |m| &m.open,
        ),
        (
            "rds_iam_proxy_connections_total",
            "counter",
            "Client connections accepted.",
            |m| &m.total,
        ),
        (
            "rds_iam_proxy_connections_closed_at_cap_total",
            "counter",
            "Client connections closed at once: past --max-connections and its margin, or the open-file limit.",
            |m| &m.closed_at_cap,
        ),
        (
            "rds_iam_proxy_logins_ok_total",
            "counter",
            "Client sessions logged in upstream.",
            |m| &m.logins_ok,
        ),
        (
            "rds_iam_proxy_client_bytes_total",
            "counter",
            "Bytes from clients to the database, after login.",
            |m| &m.bytes_from_client,
        ),
        (
            "rds_iam_proxy_upstream_bytes_total",
            "counter",
            "Bytes from the database to clients, after login.",
            |m| &m.bytes_from_upstream,
        ),
    ];
    for (name, kind, help, field) in simple {
        series(&mut out, name, kind, help);
        for (instance, m) in instances {
            let _ = writeln!(out, "{name}{{instance=\"{instance}\"}} {}", get(field(m)));
        }
    }
    let name = "rds_iam_proxy_logins_failed_total";
    series(
        &mut out,
        name,
        "counter",
        "Failed logins, by the SQLSTATE (or MySQL error) sent to the client.",
    );
    for (instance, m) in instances {
        for (code, n) in lock(&m.failed).iter() {
            let _ = writeln!(out, "{name}{{instance=\"{instance}\",code=\"{code}\"}} {n}");
        }
    }
    let name = "rds_iam_proxy_upstream_login_seconds";
    series(
        &mut out,
        name,
        "histogram",
        "Upstream dial, TLS handshake and login, per client session.",
    );
    for (instance, m) in instances {
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&m.latency_buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{instance=\"{instance}\",le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&m.latency_count);
        let _ = writeln!(
            out,
            "{name}_bucket{{instance=\"{instance}\",le=\"+Inf\"}} {count}"
        );
        let sum = get(&m.latency_micros) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{instance=\"{instance}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{instance=\"{instance}\"}} {count}");
    }
    series(
        &mut out,
        "rds_iam_proxy_log_lines_dropped_total",
        "counter",
        "Log lines dropped because their output (stderr, the host's logger) stalled.",
    );
    let _ = writeln!(
        out,
        "rds_iam_proxy_log_lines_dropped_total {}",
        super::log::dropped()
    );
    let stats = crate::stats();
    series(
        &mut out,
        "rds_iam_token_signatures_total",
        "counter",
        "Tokens signed by this process (a cached token is not counted).",
    );
    let _ = writeln!(out, "rds_iam_token_signatures_total {}", stats.signatures);
    series(
        &mut out,
        "rds_iam_credential_fetches_total",
        "counter",
        "Credential fetches and refreshes that returned credentials.",
    );
    let _ = writeln!(
        out,
        "rds_iam_credential_fetches_total {}",
        stats.credential_fetches
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_failures_are_labelled() {
        let m = InstanceMetrics::default();
        m.observe_login(Duration::from_millis(3));
        m.observe_login(Duration::from_millis(300));
        m.login_failed("28000");
        m.login_failed("28000");
        m.login_failed("08001");
        let text = render(&[("db:5432".into(), &m)]);
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
                .to_owned()
        };
        assert!(line(
            "rds_iam_proxy_upstream_login_seconds_bucket{instance=\"db:5432\",le=\"0.005\"}"
        )
        .ends_with(" 1"));
        assert!(line(
            "rds_iam_proxy_upstream_login_seconds_bucket{instance=\"db:5432\",le=\"0.5\"}"
        )
        .ends_with(" 2"));
        assert!(line("rds_iam_proxy_upstream_login_seconds_count").ends_with(" 2"));
        assert!(
            line("rds_iam_proxy_logins_failed_total{instance=\"db:5432\",code=\"28000\"}")
                .ends_with(" 2")
        );
        assert!(
            line("rds_iam_proxy_logins_failed_total{instance=\"db:5432\",code=\"08001\"}")
                .ends_with(" 1")
        );
    }
}
