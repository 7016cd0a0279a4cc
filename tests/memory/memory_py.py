"""RSS stays flat over many token() calls (issue 8). Run with the test venv's python (the wheel
installed by `make python-test`); static credentials, no network. Prints one line per scenario
and exits 1 if any grew by more than LIMIT_MB after its warm-up."""

from __future__ import annotations

import os
import sys
import time

import rds_iam

LIMIT_MB = float(os.environ.get("MEMORY_LIMIT_MB", "4"))
HOST = "db.abc123.us-east-1.rds.amazonaws.com"
CREDS = {"access_key_id": "AKIAMEMORYTEST000001", "secret_access_key": "memory/secret/000000000000000000000001"}


def distinct_credentials(n: int) -> dict[str, str]:
    """Credential set number n: rotating keys from a vault, or one set per tenant."""
    return {"access_key_id": f"AKIAMEMORY{n:010d}", "secret_access_key": f"memory/secret/{n:026d}"}


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def scenario(name: str, step, total: int, warmup: int) -> bool:
    for _ in range(warmup):
        step()
    before, t0 = rss_kb(), time.perf_counter()
    for _ in range(total - warmup):
        step()
    after = rss_kb()
    grew = (after - before) / 1024
    ok = grew <= LIMIT_MB
    print(f"python {name}: {total} calls in {time.perf_counter() - t0:.1f} s; RSS after {warmup} warm-up "
          f"{before / 1024:.1f} MB, at the end {after / 1024:.1f} MB, grew {grew:+.2f} MB "
          f"(limit {LIMIT_MB} MB): {'ok' if ok else 'FAILED'}", flush=True)
    return ok


def main() -> int:
    signer = rds_iam.Signer(HOST, 5432, "app", credentials=CREDS)
    ok = scenario("cached signer.token()", signer.token, 1_000_000, 100_000)
    ok &= scenario("Signer(...) per call + token()",
                   lambda: rds_iam.Signer(HOST, 5432, "app", credentials=CREDS).token(), 100_000, 10_000)
    distinct = iter(range(10**9))
    ok &= scenario("Signer(...) with its own credentials + token() (issue 19 item 2)",
                   lambda: rds_iam.Signer(HOST, 5432, "app", credentials=distinct_credentials(next(distinct))).token(),
                   100_000, 10_000)
    ok &= scenario("rds_iam.sign(...)",
                   lambda: rds_iam.sign(HOST, 5432, "app", region="us-east-1", credentials=CREDS), 100_000, 10_000)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
