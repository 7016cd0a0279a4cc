"""Python side of `make bench`: rds_iam next to boto3, in one process, one run.

Prints one JSON object. Run with the interpreter of a venv that has the rds-iam wheel and boto3.
Per-call figures are medians of repeated rounds; whole-process figures are medians of repeated
child processes, each reporting its own peak RSS (ru_maxrss) at exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata

QUICK = "--quick" in sys.argv
ROUNDS = 3 if QUICK else 9
HOST = "db.abc123.us-east-1.rds.amazonaws.com"
KEYS = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret", "session_token": "session"}
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def per_call_us(fn, n: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n * 1e6)
    return statistics.median(samples)


def in_fork_child(measure) -> float:
    """`measure()` run in a forked child (gunicorn --preload: a Signer made in the parent);
    the child's first call looks the caches up in its new registry, later calls reuse them."""
    import warnings

    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded fork" (3.12+)
        pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            os.write(write, repr(measure()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        figure = float(f.read())
    os.waitpid(pid, 0)
    return figure


def calls() -> dict[str, float]:
    import boto3

    import rds_iam

    at = datetime(2026, 11, 23, tzinfo=timezone.utc)
    ours_fresh = per_call_us(
        lambda: rds_iam.sign(HOST, 5432, "app", "us-east-1", credentials=KEYS, at=at), 2000
    )
    client = boto3.client(
        "rds",
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key_id"],
        aws_secret_access_key=KEYS["secret_access_key"],
        aws_session_token=KEYS["session_token"],
    )
    boto_fresh = per_call_us(
        lambda: client.generate_db_auth_token(HOST, 5432, "app"), 300 if QUICK else 2000
    )
    signer = rds_iam.Signer(HOST, 5432, "app", credentials=KEYS)
    signer.token()
    cached = per_call_us(signer.token, 20000 if QUICK else 200000)
    cached_in_fork_child = in_fork_child(
        lambda: per_call_us(signer.token, 20000 if QUICK else 200000)
    )
    # A Signer that never reuses a token: cached credentials, a fresh signature per call.
    no_reuse = rds_iam.Signer(HOST, 5432, "app", credentials=KEYS, reuse_for=0)
    reuse_for_0 = per_call_us(no_reuse.token, 500 if QUICK else 5000)

    async def many(n: int) -> None:
        for _ in range(n):
            await signer.token_async()

    def async_round() -> None:
        asyncio.run(many(2000))

    cached_async = per_call_us(async_round, 1) / 2000
    return {
        "py_fresh_us": ours_fresh,
        "boto3_fresh_us": boto_fresh,
        "py_cached_us": cached,
        "py_cached_fork_child_us": cached_in_fork_child,
        "py_cached_async_us": cached_async,
        "py_reuse_for_0_us": reuse_for_0,
    }


CACHE = "my-cache"


def cache_calls() -> dict[str, float]:
    """An ElastiCache Serverless token: ours (fresh and cached) next to AWS's Python sample,
    which builds an AWSRequest and signs it with botocore's SigV4QueryAuth on every call."""
    from urllib.parse import urlencode

    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    import rds_iam

    creds = Credentials(KEYS["access_key_id"], KEYS["secret_access_key"], KEYS["session_token"])
    query = urlencode({"Action": "connect", "User": "app", "ResourceType": "ServerlessCache"})

    def aws_sample() -> str:
        request = AWSRequest(method="GET", url=f"https://{CACHE}/?{query}")
        SigV4QueryAuth(creds, "elasticache", "us-east-1", expires=900).add_auth(request)
        return request.url.removeprefix("https://")

    kind = "elasticache-serverless"
    at = datetime(2026, 11, 23, tzinfo=timezone.utc)
    fresh = per_call_us(
        lambda: rds_iam.sign(CACHE, None, "app", "us-east-1", credentials=KEYS, at=at, kind=kind),
        2000,
    )
    sample = per_call_us(aws_sample, 300 if QUICK else 2000)
    signer = rds_iam.Signer(CACHE, None, "app", "us-east-1", credentials=KEYS, kind=kind)
    signer.token()
    cached = per_call_us(signer.token, 20000 if QUICK else 200000)
    return {
        "py_cache_fresh_us": fresh,
        "aws_cache_sample_us": sample,
        "py_cache_cached_us": cached,
    }


# Peak RSS from VmHWM: ru_maxrss would carry the forking parent's peak across exec.
CHILD = """
import time
t = time.perf_counter()
{body}
ms = (time.perf_counter() - t) * 1e3
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(ms, hwm)
"""
BODIES = {
    "bare": "pass",
    "ours": f"import rds_iam; rds_iam.Signer({HOST!r}, 5432, 'app').token()",
    "boto3": "import boto3; boto3.client('rds', region_name='us-east-1')"
    f".generate_db_auth_token({HOST!r}, 5432, 'app')",
}


def startup() -> dict[str, float]:
    out: dict[str, float] = {}
    for name, body in BODIES.items():
        walls, rss = [], []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            r = subprocess.run(
                [sys.executable, "-c", CHILD.format(body=body)],
                env=ENV,
                capture_output=True,
                text=True,
                check=True,
            )
            walls.append((time.perf_counter() - t) * 1e3)
            rss.append(int(r.stdout.split()[-1]) / 1024)
        out[f"py_process_{name}_ms"] = statistics.median(walls)
        out[f"py_process_{name}_rss_mb"] = statistics.median(rss)
    return out


IMPORT = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"


def imports() -> dict[str, float]:
    """The import alone, in a fresh interpreter (median of ROUNDS)."""
    out: dict[str, float] = {}
    for key, module in (("py_import_ms", "rds_iam"), ("boto3_import_ms", "boto3")):
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", IMPORT.format(module)],
                    env=ENV,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(ROUNDS)
        ]
        out[key] = statistics.median(runs) * 1e3
    return out


def installed_mb(roots: list[str]) -> float:
    """Size on disk of distributions and their requirements (transitively), from their RECORDs."""
    seen, todo, total = set(), list(roots), 0
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or []:
            p = f.locate()
            if os.path.isfile(p):
                total += os.path.getsize(p)
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(
                    req.split(";")[0]
                    .split("[")[0]
                    .split(" ")[0]
                    .split("<")[0]
                    .split(">")[0]
                    .split("=")[0]
                    .split("!")[0]
                    .strip()
                )
    return total / 1e6


def storm(n: int = 1000) -> dict[str, float]:
    """n concurrent password-hook calls (asyncpg's `password=signer.token_async`) while the
    first credential fetch (local IMDS) takes 500 ms: how many signatures and fetches."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from fakeaws import FakeAws

    import rds_iam

    with FakeAws().start() as fake:
        fake.configure(imds={"delay_ms": 500})
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(k, None)
        os.environ.update(
            AWS_EC2_METADATA_SERVICE_ENDPOINT=fake.url,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_EC2_METADATA_DISABLED="false",
        )
        rds_iam.clear_caches()
        before = rds_iam.stats()["signatures"]
        signer = rds_iam.Signer(HOST, 5432, "storm")

        async def hooks() -> set[str]:
            return set(await asyncio.gather(*[signer.token_async() for _ in range(n)]))

        t = time.perf_counter()
        distinct = asyncio.run(hooks())
        wall = (time.perf_counter() - t) * 1e3
        return {
            "py_storm_calls": n,
            "py_storm_signatures": rds_iam.stats()["signatures"] - before,
            "py_storm_credential_fetches": fake.counts().get("imds_credentials", 0),
            "py_storm_distinct_tokens": len(distinct),
            "py_storm_ms": wall,
        }


if __name__ == "__main__":
    result = {
        **calls(),
        **cache_calls(),
        **startup(),
        **imports(),
        **storm(),
        "py_installed_mb": installed_mb(["rds-iam"]),
        "boto3_installed_mb": installed_mb(["boto3"]),
    }
    print(json.dumps(result))
