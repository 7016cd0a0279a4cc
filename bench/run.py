"""`make bench`: every figure next to its peer's, measured in this one run, as ratios.

ElastiCache / MemoryDB tokens have no SDK helper; their peer is AWS's own Python sample
(botocore's SigV4QueryAuth on an AWSRequest, signing on every call).

Runs the core's criterion benches, the Python bench (in the venv that has the wheel and boto3)
and the Node bench (with @aws-sdk/rds-signer), prints one table and writes bench/results.json.
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
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
