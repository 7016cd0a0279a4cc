"""A standalone `rds-iam` binary through the shared vectors.

    python3 scripts/dist/cli_vectors.py [--runner "qemu-aarch64-static"] BINARY

The CLI signs at the current time (it has no option for a fixed one), so for every case of
tests/vectors/*.json it runs `rds-iam token` with the case's host, port, user, region, kind,
lifetime and (environment) credentials, then rebuilds the whole expected token at the token's
own X-Amz-Date with tests/vectors/check_sigv4.py's independent derivation and compares byte
for byte. Exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
sys.path.insert(0, str(VECTORS))
from check_sigv4 import derive  # noqa: E402


def command(case: dict) -> list[str]:
    args = ["token", "--host", case["host"], "--region", case["region"], "--kind", case["kind"]]
    if case["port"] is not None:
        args += ["--port", str(case["port"])]
    if case["user"] is not None:
        args += ["--user", case["user"]]
    if case["kind"].startswith("dsql"):
        args += ["--expires-in", str(case["expires_in"])]
    return args


def environment(case: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=case["access_key_id"],
        AWS_SECRET_ACCESS_KEY=case["secret_access_key"],
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/nonexistent/rds-iam-cli/config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/rds-iam-cli/credentials",
    )
    if case["session_token"] is not None:
        env["AWS_SESSION_TOKEN"] = case["session_token"]
    return env


def expected_at_signing_time(case: dict, token: str) -> str:
    date = next(
        p.split("=", 1)[1]
        for p in token.split("?", 1)[-1].split("&")
        if p.startswith("X-Amz-Date=")
    )
    at = datetime.strptime(date, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    return derive({**case, "time": at})[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runner", default="", help="command prefix, e.g. qemu-aarch64-static")
    parser.add_argument("binary")
    ns = parser.parse_args()
    cases = [c for f in sorted(VECTORS.glob("*.json")) for c in json.loads(f.read_text())["cases"]]
    # Only DSQL tokens take a lifetime (--expires-in); the others always last 900 s.
    cases = [c for c in cases if c["kind"].startswith("dsql") or c["expires_in"] == 900]
    prefix = [*shlex.split(ns.runner), ns.binary]
    failed = []
    for case in cases:
        run = subprocess.run(
            [*prefix, *command(case)], env=environment(case), capture_output=True, text=True
        )
        token = run.stdout.strip()
        if (
            run.returncode != 0
            or "X-Amz-Date=" not in token
            or token != expected_at_signing_time(case, token)
        ):
            failed.append(case["name"])
            print(
                f"cli_vectors.py: {case['name']}: status {run.returncode}: "
                f"{run.stderr.strip()[:300]}"
            )
    print(
        f"cli_vectors.py: {ns.binary}{' under ' + ns.runner if ns.runner else ''}: "
        f"vectors {len(cases) - len(failed)}/{len(cases)} byte for byte"
        + (f"; MISMATCH: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
