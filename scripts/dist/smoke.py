"""The installed rds_iam wherever it runs (the arm64 root under qemu, the workflow's runners).

    python scripts/dist/smoke.py

Checks every shared vector (tests/vectors/*.json) byte for byte through rds_iam.sign(), then a
Signer with credentials from the environment (the default chain's first provider) against
sign() at the token's own X-Amz-Date. Prints what ran where; exits 1 on any mismatch.
Standard library only, Python 3.9+.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

import rds_iam

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"


def cases() -> list[dict]:
    return [c for f in sorted(VECTORS.glob("*.json")) for c in json.loads(f.read_text())["cases"]]


def credentials(c: dict) -> dict:
    return {
        "access_key_id": c["access_key_id"],
        "secret_access_key": c["secret_access_key"],
        "session_token": c["session_token"],
    }


def sign(c: dict, at: datetime) -> str:
    return rds_iam.sign(
        c["host"],
        c["port"],
        c["user"],
        c["region"],
        credentials=credentials(c),
        at=at,
        kind=c["kind"],
        expires_in=c["expires_in"],
    )


def signing_time(token: str) -> datetime:
    date = next(
        p.split("=", 1)[1] for p in token.split("?", 1)[1].split("&") if p.startswith("X-Amz-Date=")
    )
    return datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def main() -> int:
    all_cases = cases()
    failed = [
        c["name"]
        for c in all_cases
        if sign(c, datetime.fromisoformat(c["time"].replace("Z", "+00:00"))) != c["token"]
    ]

    # A Signer through the default chain: environment credentials, nothing else reachable.
    c = next(
        c for c in all_cases if c["kind"] == "rds" and c["session_token"] and c["expires_in"] == 900
    )
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    os.environ.update(
        AWS_ACCESS_KEY_ID=c["access_key_id"],
        AWS_SECRET_ACCESS_KEY=c["secret_access_key"],
        AWS_SESSION_TOKEN=c["session_token"],
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/nonexistent/rds-iam-smoke/config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/rds-iam-smoke/credentials",
    )
    token = rds_iam.Signer(c["host"], c["port"], c["user"], c["region"]).token()
    signer_ok = token == sign(c, signing_time(token))

    where = f"Python {platform.python_version()} on {platform.machine()} ({sys.platform})"
    print(f"smoke.py: rds_iam {rds_iam.__version__} from {Path(rds_iam.__file__).parent}, {where}")
    print(
        f"smoke.py: vectors {len(all_cases) - len(failed)}/{len(all_cases)} byte for byte"
        + (f"; MISMATCH: {', '.join(failed)}" if failed else "")
    )
    print(
        f"smoke.py: Signer with environment credentials: {'matches' if signer_ok else 'MISMATCH'} "
        f"sign() at its X-Amz-Date"
    )
    return 0 if signer_ok and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
