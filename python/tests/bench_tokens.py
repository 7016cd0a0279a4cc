"""Per-call cost of rds_iam next to boto3's generate_db_auth_token, in one run (make python-bench).

Prints JSON: wheel-independent numbers in microseconds per call, and `import rds_iam` time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import timeit
from datetime import datetime, timezone

HOST, PORT, USER, REGION = "mydb.abc123.us-east-1.rds.amazonaws.com", 5432, "app", "us-east-1"
KEY = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/EXAMPLEKEY"}


def per_call_us(fn: object, number: int) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))  # type: ignore[arg-type]
    return round(best / number * 1e6, 2)


def import_ms(module: str) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return round(min(runs) * 1e3, 2)


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID=KEY["access_key_id"],
        AWS_SECRET_ACCESS_KEY=KEY["secret_access_key"],
        AWS_EC2_METADATA_DISABLED="true",
    )
    import boto3

    import rds_iam

    client = boto3.client("rds", region_name=REGION)
    signer = rds_iam.Signer(HOST, PORT, USER)
    signer.token()
    now = datetime.now(timezone.utc)
    results = {
        "rds_iam_version": rds_iam.__version__,
        "import_rds_iam_ms": import_ms("rds_iam"),
        "import_boto3_ms": import_ms("boto3"),
        "rds_iam_cached_token_us": per_call_us(signer.token, 20000),
        "rds_iam_fresh_sign_us": per_call_us(
            lambda: rds_iam.sign(HOST, PORT, USER, credentials=KEY, at=now), 5000
        ),
        "rds_iam_reuse_for_0_token_us": per_call_us(
            rds_iam.Signer(HOST, PORT, USER, reuse_for=0).token, 5000
        ),
        "boto3_generate_db_auth_token_us": per_call_us(
            lambda: client.generate_db_auth_token(HOST, PORT, USER), 2000
        ),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
