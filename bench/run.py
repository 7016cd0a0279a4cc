"""`make bench`: every figure next to its peer's, measured in this one run, as ratios.

ElastiCache / MemoryDB tokens have no SDK helper; their peer is AWS's own Python sample
(botocore's SigV4QueryAuth on an AWSRequest, signing on every call).

Runs the core's criterion benches, the Python bench (in the venv that has the wheel and boto3),
the Node bench (with @aws-sdk/rds-signer) and the proxy benches (`rds-iam proxy` next to a
direct verify-full connection, on an iamdb of its own: PostgreSQL in proxy_bench.py, MySQL in
proxy_mysql_bench.py), prints the tables and writes bench/results.json;
a full run also draws the proxy's figures into docs/proxy-bench.svg (the README's chart).
Usage: python bench/run.py --python PY [--quick]   (--quick: a smoke run, few iterations)
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

import proxy_chart

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, ours, peer, unit, target): peer/target may be None.
# Ratio = peer / ours (so ×10 means ours is ten times faster or smaller).
ROWS = [
    ("Python fresh signature", "py_fresh_us", "boto3_fresh_us", "µs", "≤ 6 µs"),
    ("Python cached token()", "py_cached_us", "boto3_fresh_us", "µs", "≤ 0.5 µs"),
    (
        "  (in a fork child, Signer from the parent)",
        "py_cached_fork_child_us",
        "boto3_fresh_us",
        "µs",
        None,
    ),
    ("Python cached token_async()", "py_cached_async_us", "boto3_fresh_us", "µs", None),
    ("Python import alone", "py_import_ms", "boto3_import_ms", "ms", None),
    (
        "ElastiCache token, Python fresh sign()",
        "py_cache_fresh_us",
        "aws_cache_sample_us",
        "µs",
        None,
    ),
    (
        "ElastiCache token, Python cached token()",
        "py_cache_cached_us",
        "aws_cache_sample_us",
        "µs",
        None,
    ),
    (
        "ElastiCache token, Node cached tokenSync()",
        "node_cache_cached_sync_us",
        "aws_cache_sample_us",
        "µs",
        None,
    ),
    ("Python token(), reuse_for=0", "py_reuse_for_0_us", "boto3_fresh_us", "µs", None),
    (
        "Python import + first token",
        "py_process_ours_ms",
        "py_process_boto3_ms",
        "ms",
        "≤ 10 ms above bare",
    ),
    ("  (bare interpreter)", "py_process_bare_ms", None, "ms", None),
    (
        "Python peak RSS",
        "py_process_ours_rss_mb",
        "py_process_boto3_rss_mb",
        "MB",
        "≤ 10 MB above bare",
    ),
    ("  (bare interpreter)", "py_process_bare_rss_mb", None, "MB", None),
    ("Python installed size", "py_installed_mb", "boto3_installed_mb", "MB", None),
    ("Python wheel", "py_wheel_mb", None, "MB", "≤ 8 MB"),
    ("Node fresh signature", "node_fresh_us", "aws_sdk_fresh_us", "µs", "≤ 6 µs"),
    ("Node cached token() Promise", "node_cached_us", "aws_sdk_fresh_us", "µs", "≤ 1 µs"),
    ("Node cached tokenSync()", "node_cached_sync_us", "aws_sdk_fresh_us", "µs", "≤ 0.3 µs"),
    ("Node cached password()", "node_cached_password_us", "aws_sdk_fresh_us", "µs", None),
    ("Node token(), reuseFor: 0", "node_reuse_for_0_us", "aws_sdk_fresh_us", "µs", None),
    ("Node require alone", "node_require_ms", "aws_sdk_require_ms", "ms", None),
    ("Node require + first token", "node_process_ours_ms", "node_process_aws_sdk_ms", "ms", None),
    ("  (bare node)", "node_process_bare_ms", None, "ms", None),
    ("Node peak RSS", "node_process_ours_rss_mb", "node_process_aws_sdk_rss_mb", "MB", None),
    ("Node installed size", "node_ours_installed_mb", "node_aws_sdk_installed_mb", "MB", "≤ 8 MB"),
    ("Node packages installed", "node_ours_packages", "node_aws_sdk_packages", "", None),
    ("Rust fresh signature", "rust_fresh_ns", None, "ns", None),
    ("Rust fresh ElastiCache Serverless token", "rust_fresh_cache_ns", None, "ns", None),
    ("Rust cached token", "rust_cached_ns", None, "ns", None),
    ("Rust cached token (async)", "rust_cached_async_ns", None, "ns", None),
    ("SHA-256 + HMAC (physical limit)", "rust_limit_ns", None, "ns", None),
    ("Python storm: 1000 hooks → signatures", "py_storm_signatures", None, "", "1"),
    ("Python storm: credential fetches", "py_storm_credential_fetches", None, "", "1"),
    ("Node storm: 1000 hooks → signatures", "node_storm_signatures", None, "", "1"),
    ("Node storm: credential fetches", "node_storm_credential_fetches", None, "", "1"),
]


# The proxy next to a direct connection (verify-full TLS, a token as the password):
# (label, proxy, direct, unit, target). The ratio is proxy / direct: where both sides ran in
# alternating pairs, the median of the pairs' ratios and their range in brackets.
P, D = "proxy_", "direct_"
PROXY_ROWS = [
    ("Queries/s, pgbench -S, side by side", P + "select_tps", D + "select_tps", "/s", "≥ 0.9×"),
    (
        "  per CPU second (pgbench+server+proxy)",
        P + "select_per_cpu_s",
        D + "select_per_cpu_s",
        "/s",
        None,
    ),
    ("  pgbench CPU per query", P + "select_cpu_client_us", D + "select_cpu_client_us", "µs", None),
    ("  server CPU per query", P + "select_cpu_server_us", D + "select_cpu_server_us", "µs", None),
    ("  proxy CPU per query", P + "select_cpu_proxy_us", None, "µs", None),
    (
        "Queries/s, as deployed (own DB core)",
        P + "select_own_core_tps",
        D + "select_own_core_tps",
        "/s",
        "≥ 0.9×",
    ),
    (
        "  server CPU per query",
        P + "select_own_core_cpu_server_us",
        D + "select_own_core_cpu_server_us",
        "µs",
        None,
    ),
    ("  proxy CPU per query", P + "select_own_core_cpu_proxy_us", None, "µs", None),
    ("New connections/s, pgbench -C -S", P + "connect_per_s", D + "connect_per_s", "/s", "≥ 0.8×"),
    ("  per CPU second", P + "connect_per_cpu_s", D + "connect_per_cpu_s", "/s", None),
    (
        "  pgbench CPU per connection",
        P + "connect_cpu_client_us",
        D + "connect_cpu_client_us",
        "µs",
        None,
    ),
    (
        "  server CPU per connection (PAM)",
        P + "connect_cpu_server_us",
        D + "connect_cpu_server_us",
        "µs",
        None,
    ),
    ("  proxy CPU per connection", P + "connect_cpu_proxy_us", None, "µs", None),
    ("SELECT 1 round trip p50", P + "latency_p50_us", D + "latency_p50_us", "µs", None),
    ("SELECT 1 round trip p99", P + "latency_p99_us", D + "latency_p99_us", "µs", None),
    ("  added by the proxy, p50", P + "added_p50_us", None, "µs", None),
    ("  added by the proxy, p99", P + "added_p99_us", None, "µs", None),
    ("Proxy RSS idle", P + "rss_idle_mb", None, "MB", None),
    ("Proxy RSS with idle sessions", P + "rss_sessions_mb", None, "MB", "≤ 100 MB"),
    ("  sessions", P + "sessions", None, "", None),
    ("  per session", P + "rss_per_session_kb", None, "KB", None),
    ("  peak (VmHWM)", P + "hwm_sessions_mb", None, "MB", None),
]


# The proxy next to the peer a user would pick (pgbouncer in session mode, verify-ca TLS, a token
# as its server password; bench/pgbouncer_peer.py), in the same alternating rounds. The ratio is
# proxy / pgbouncer per round (the keys ending in _vs_pgbouncer); "use once" is pgbouncer with
# server_lifetime = 0, a login upstream per client connection as the proxy does.
B, BO = "pgbouncer_", "pgbouncer_once_"
PGBOUNCER_ROWS = [
    ("Queries/s, pgbench -S, side by side", P + "select_tps", B + "select_tps", "/s", "≥ 1.0×"),
    ("  per CPU second", P + "select_per_cpu_s", B + "select_per_cpu_s", "/s", None),
    ("  proxy CPU per query", P + "select_cpu_proxy_us", B + "select_cpu_proxy_us", "µs", None),
    ("Queries/s, as deployed", P + "select_own_core_tps", B + "select_own_core_tps", "/s", None),
    (
        "  proxy CPU per query",
        P + "select_own_core_cpu_proxy_us",
        B + "select_own_core_cpu_proxy_us",
        "µs",
        None,
    ),
    ("New connections/s (pooled)", P + "connect_per_s", B + "connect_per_s", "/s", "≥ 1.0×"),
    (
        "  proxy CPU per connection",
        P + "connect_cpu_proxy_us",
        B + "connect_cpu_proxy_us",
        "µs",
        None,
    ),
    ("New connections/s (use once)", P + "connect_per_s", BO + "connect_per_s", "/s", None),
    (
        "  proxy CPU per connection",
        P + "connect_cpu_proxy_us",
        BO + "connect_cpu_proxy_us",
        "µs",
        None,
    ),
    ("SELECT 1 round trip p50", P + "latency_p50_us", B + "latency_p50_us", "µs", None),
    ("SELECT 1 round trip p99", P + "latency_p99_us", B + "latency_p99_us", "µs", None),
]


# The same for `--engine mysql` against iamdb's MariaDB (bench/proxy_mysql_bench.py; clients:
# bench/mysql_loop.c, libmariadb threads).
MP, MD = "mysql_proxy_", "mysql_direct_"
MYSQL_PROXY_ROWS = [
    ("Point selects/s, side by side", MP + "select_qps", MD + "select_qps", "/s", "≥ 0.9×"),
    (
        "  per CPU second (clients+server+proxy)",
        MP + "select_per_cpu_s",
        MD + "select_per_cpu_s",
        "/s",
        None,
    ),
    (
        "  client CPU per query",
        MP + "select_cpu_client_us",
        MD + "select_cpu_client_us",
        "µs",
        None,
    ),
    (
        "  server CPU per query",
        MP + "select_cpu_server_us",
        MD + "select_cpu_server_us",
        "µs",
        None,
    ),
    ("  proxy CPU per query", MP + "select_cpu_proxy_us", None, "µs", None),
    (
        "Point selects/s, as deployed",
        MP + "select_own_core_qps",
        MD + "select_own_core_qps",
        "/s",
        "≥ 0.9×",
    ),
    (
        "  server CPU per query",
        MP + "select_own_core_cpu_server_us",
        MD + "select_own_core_cpu_server_us",
        "µs",
        None,
    ),
    ("  proxy CPU per query", MP + "select_own_core_cpu_proxy_us", None, "µs", None),
    ("New connections/s, 8 clients", MP + "connect_per_s", MD + "connect_per_s", "/s", "≥ 0.8×"),
    ("  per CPU second", MP + "connect_per_cpu_s", MD + "connect_per_cpu_s", "/s", None),
    (
        "  server CPU per connection (PAM)",
        MP + "connect_cpu_server_us",
        MD + "connect_cpu_server_us",
        "µs",
        None,
    ),
    ("  proxy CPU per connection", MP + "connect_cpu_proxy_us", None, "µs", None),
    ("Proxy RSS idle", MP + "rss_idle_mb", None, "MB", None),
    ("Proxy RSS with idle sessions", MP + "rss_sessions_mb", None, "MB", "≤ 100 MB"),
    ("  sessions", MP + "sessions", None, "", None),
    ("  per session", MP + "rss_per_session_kb", None, "KB", None),
    ("  peak (VmHWM)", MP + "hwm_sessions_mb", None, "MB", None),
]


def criterion(quick: bool) -> dict[str, float]:
    """The core's criterion benches (core/benches/tokens.rs): each bench's median, in ns."""
    home = os.path.join(ROOT, "target", "criterion-bench")
    shutil.rmtree(home, ignore_errors=True)
    timing = ["--warm-up-time", "0.2", "--measurement-time", "0.5"] if quick else []
    done = subprocess.run(
        ["cargo", "bench", "-q", "-p", "rds-iam", "--bench", "tokens", "--", *timing],
        cwd=ROOT,
        env={**os.environ, "CRITERION_HOME": home},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:  # criterion's progress is noise; its errors are not
        sys.exit(f"cargo bench failed:\n{done.stderr}")
    out = {}
    for name in (
        "rust_fresh",
        "rust_fresh_cache",
        "rust_cached",
        "rust_cached_async",
        "rust_limit",
    ):
        with open(os.path.join(home, name, "new", "estimates.json")) as f:
            out[f"{name}_ns"] = json.load(f)["median"]["point_estimate"]
    return out


def run_json(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def proxy_bench(quick: bool, python: str, script: str = "bench/proxy_bench.py") -> dict[str, float]:
    """bench/proxy_bench.py (or `script`): its progress goes to stderr as it runs, its figures
    to stdout."""
    cmd = [python, script, *(["--quick"] if quick else [])]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"{script} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_proxy(
    res: dict[str, float],
    rows: list = PROXY_ROWS,
    title: str = "proxy vs direct",
    peer_name: str = "direct",
) -> None:
    """A table of proxy figures next to a peer's; the ratio is the paired runs' (proxy/direct:
    KEY_ratio; proxy/pgbouncer: KEY_vs_pgbouncer) where they ran in alternating rounds."""
    print(f"\n{title:40} {'proxy':>12} {peer_name:>12} {'proxy/' + peer_name:>21}  target")
    for label, ours, peer, unit, target in rows:
        if ours not in res or (peer_name != "direct" and peer not in res):
            continue
        o, p = res[ours], res.get(peer) if peer else None
        ratio = ""
        suffix = "_ratio" if peer_name == "direct" else "_vs_" + peer.split("_")[0]
        if peer_name != "direct" and peer.startswith("pgbouncer_once_"):
            suffix = "_vs_pgbouncer_once"
        if f"{ours}{suffix}" in res:  # the paired runs' median ratio and its range
            lo, hi = res[f"{ours}{suffix}_min"], res[f"{ours}{suffix}_max"]
            ratio = f"{res[f'{ours}{suffix}']:.2f}× [{lo:.2f}-{hi:.2f}]"
        elif p:
            ratio = f"{o / p:.2f}×"
        ps = f"{p:10.1f} {unit}" if p is not None else ""
        os_ = f"{o:10.1f}" if unit else f"{o:10.0f}"
        print(f"{label:40} {os_} {unit:2} {ps:>12} {ratio:>21}  {target or ''}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--python", required=True, help="interpreter of a venv with the rds-iam wheel and boto3"
    )
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    q = ["--quick"] if a.quick else []
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    res: dict[str, float] = {}
    res.update(criterion(a.quick))
    res.update(run_json([a.python, "bench/py_bench.py", *q], clean))
    tarballs = sorted(glob.glob(os.path.join(ROOT, "target", "node-test", "*.tgz")))
    node_env = {**clean, **({"RDS_IAM_TARBALL": tarballs[-1]} if tarballs else {})}
    res.update(run_json(["node", "bench/node_bench.js", *q], node_env))
    res.update(proxy_bench(a.quick, a.python))
    res.update(proxy_bench(a.quick, a.python, "bench/proxy_mysql_bench.py"))
    wheels = glob.glob(os.path.join(ROOT, "dist", "rds_iam-*.whl"))
    if wheels:
        res["py_wheel_mb"] = os.path.getsize(wheels[0]) / 1e6

    print(f"{'figure':40} {'rds-iam':>12} {'peer':>12} {'peer/ours':>10}  target")
    for label, ours, peer, unit, target in ROWS:
        if ours not in res:
            continue
        o = res[ours]
        p = res.get(peer) if peer else None
        ratio = f"{p / o:9.1f}×" if p and o else ""
        ps = f"{p:10.2f} {unit}" if p is not None else ""
        print(f"{label:40} {o:10.2f} {unit:2} {ps:>12} {ratio:>10}  {target or ''}")
    print_proxy(res)
    print_proxy(res, PGBOUNCER_ROWS, "proxy vs pgbouncer (session mode)", "pgbouncer")
    print_proxy(res, MYSQL_PROXY_ROWS, "proxy vs direct, MySQL (MariaDB)")
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    if not a.quick:  # a smoke run's figures are too short to draw
        proxy_chart.write(res, os.path.join(ROOT, "docs", "proxy-bench.svg"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
