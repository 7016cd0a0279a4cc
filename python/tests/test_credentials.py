"""Credential fetches: temporary credentials from a local STS, concurrency (threads, asyncio),
fork safety, and logging without secrets."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from conftest import signatures

import rds_iam
import rds_iam.psycopg

ROLE = "arn:aws:iam::123456789012:role/db-connect"


@pytest.fixture
def sts(db: Any, fake: Any, aws_env: pytest.MonkeyPatch) -> Any:
    """The iamdb key as base credentials, STS at the fake endpoint."""
    aws_env.setenv("AWS_ENDPOINT_URL_STS", fake.url)
    return fake


def role_signer(db: Any, session: str, **kw: Any) -> rds_iam.Signer:
    return rds_iam.Signer(
        db.host,
        db.pg_port,
        db.user,
        region=db.region,
        role_arn=ROLE,
        role_session_name=session,
        **kw,
    )


def assumed_credentials(session: str) -> dict[str, str]:
    """What a fresh fake STS issues first for this role session (its own deterministic code)."""
    from fakeaws.fakeaws import State
    from fakeaws.fakeaws_protocols import ACCOUNT

    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE.rsplit('/', 1)[1]}/{session}"
    return State().issue("assumed", arn)


def pg_login(db: Any, signer: rds_iam.Signer) -> Any:
    with rds_iam.psycopg.connect(
        signer, dbname=db.database, connect_timeout=10, ca=db.ca_file
    ) as conn:
        return conn.execute("SELECT current_user").fetchone()[0]


# ---- temporary credentials ------------------------------------------------------------------


def test_assumed_role_session_token_logs_in(db: Any, sts: Any) -> None:
    signer = role_signer(db, "py-sts-login")
    info = signer.token_info()
    issued = assumed_credentials("py-sts-login")
    assert info.access_key_id == issued["AccessKeyId"]
    assert "X-Amz-Security-Token=" in info.token and len(info.token) > 1000
    assert info.expires_at <= info.signed_at + timedelta(hours=1)
    call = sts.calls(service="sts", action="AssumeRole")[0]
    assert call["caller_access_key_id"] == db.access_key_id and call["role_arn"] == ROLE
    db.add_key(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    mark = db.mark()
    assert pg_login(db, signer) == db.user
    (entry,) = db.log_since(mark)
    assert entry["outcome"] == "accept" and entry["access_key_id"] == issued["AccessKeyId"]
    assert entry["token_len"] == len(info.token)


def test_sts_failure_is_a_provider_error(db: Any, sts: Any) -> None:
    sts.configure(sts={"status": 403, "error_code": "AccessDenied"})
    with pytest.raises(rds_iam.RdsIamError) as caught:
        role_signer(db, "py-sts-denied").token()
    assert caught.value.code == "ProviderError" and "assume-role" in (caught.value.provider or "")
    assert db.secret_access_key not in str(caught.value)


def test_slow_sts_times_out(db: Any, sts: Any) -> None:
    sts.configure(sts={"delay_ms": 3000})
    start = time.monotonic()
    with pytest.raises(rds_iam.Timeout) as caught:
        role_signer(db, "py-sts-slow", fetch_timeout=0.5).token()
    assert time.monotonic() - start < 2.5
    assert isinstance(caught.value, TimeoutError) and caught.value.code == "Timeout"


# ---- threads and asyncio --------------------------------------------------------------------


def test_many_threads_one_fetch_one_signature(db: Any, sts: Any) -> None:
    sts.configure(sts={"delay_ms": 500})
    before = signatures()
    barrier = threading.Barrier(32)

    def work(_: int) -> str:
        barrier.wait()
        return role_signer(db, "py-threads").token()

    with ThreadPoolExecutor(32) as pool:
        tokens = set(pool.map(work, range(32)))
    assert len(tokens) == 1
    assert signatures() - before == 1
    assert sts.counts().get("sts_AssumeRole") == 1


def test_token_async_keeps_the_loop_running_and_fetches_once(db: Any, sts: Any) -> None:
    sts.configure(sts={"delay_ms": 1000})
    signer = role_signer(db, "py-async")

    async def main() -> tuple[set[str], int]:
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0.01)

        tick = asyncio.ensure_future(ticker())
        tokens = await asyncio.gather(*(signer.token_async() for _ in range(100)))
        done = True
        await tick
        return set(tokens), ticks

    before = signatures()
    start = time.monotonic()
    tokens, ticks = asyncio.run(main())
    assert time.monotonic() - start >= 0.9
    assert len(tokens) == 1 and signatures() - before == 1
    assert sts.counts().get("sts_AssumeRole") == 1
    assert ticks >= 30  # the event loop ran during the 1 s fetch


def test_token_async_errors_and_cancellation(db: Any, sts: Any) -> None:
    sts.configure(sts={"delay_ms": 300, "status": 403, "error_code": "AccessDenied"})
    signer = role_signer(db, "py-async-fail")

    async def main() -> None:
        cancelled = signer.token_async()
        cancelled.cancel()
        with pytest.raises(rds_iam.ProviderError):
            await signer.token_async()
        await asyncio.sleep(0.1)  # the cancelled future's result arrives and is dropped

    asyncio.run(main())


# ---- fork ----------------------------------------------------------------------------------


def fork_child(work: Any) -> int:
    """Run `work` in a forked child; return its pid. The child reports through its exit code."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded fork" (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            code = 0 if work() else 3
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    return pid


def wait_all(pids: list[int], timeout: float) -> list[int]:
    deadline, codes = time.monotonic() + timeout, {}
    while len(codes) < len(pids) and time.monotonic() < deadline:
        for pid in pids:
            if pid not in codes:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    codes[pid] = os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    for pid in pids:
        if pid not in codes:  # deadlocked: kill it and report
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            codes[pid] = -9
    return [codes[p] for p in pids]


def test_forked_children_get_tokens(db: Any, pg_signer: rds_iam.Signer) -> None:
    parent_token = pg_signer.token()  # warm caches and the runtime in the parent

    def child() -> bool:
        t = pg_signer.token()
        login = pg_login(db, pg_signer) == db.user
        return t.startswith(f"{db.host}:{db.pg_port}/?Action=connect") and login

    assert wait_all([fork_child(child) for _ in range(8)], timeout=60) == [0] * 8
    assert pg_signer.token() == parent_token  # the parent's cache is untouched


def _mp_token(args: tuple[str, int, str, str]) -> str:
    host, port, user, region = args
    return rds_iam.Signer(host, port, user, region=region).token()


def test_multiprocessing_fork_pool(db: Any, pg_signer: rds_iam.Signer) -> None:
    pg_signer.token()
    ctx = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with ctx.Pool(4) as pool:
            args = (db.host, db.pg_port, db.user, db.region)
            tokens = pool.map_async(_mp_token, [args] * 8).get(timeout=60)
    assert len(tokens) == 8 and all(t.startswith(f"{db.host}:") for t in tokens)


def test_fork_during_a_slow_credential_fetch(db: Any, sts: Any) -> None:
    sts.configure(sts={"delay_ms": 1500})
    signer = role_signer(db, "py-fork")
    results: list[Any] = []
    fetching = threading.Thread(target=lambda: results.append(signer.token()))
    fetching.start()
    deadline = time.monotonic() + 5
    while not sts.calls(service="sts", action="AssumeRole") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sts.calls(service="sts", action="AssumeRole"), "the fetch should be in flight"

    def child() -> bool:  # inherits a locked fetch and a runtime without threads
        return "X-Amz-Security-Token=" in signer.token()

    pids = [fork_child(child) for _ in range(2)]
    fetching.join(timeout=20)
    assert results and "X-Amz-Security-Token=" in results[0]
    assert wait_all(pids, timeout=30) == [0, 0]
    assert sts.counts()["sts_AssumeRole"] == 3  # the parent's fetch, one per child


# ---- logging -------------------------------------------------------------------------------


def test_logs_name_the_source_but_no_secret(
    db: Any, sts: Any, caplog: pytest.LogCaptureFixture
) -> None:
    issued = assumed_credentials("py-logging")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger().setLevel(logging.DEBUG)
        signer = role_signer(db, "py-logging")
        token = signer.token()
        signer.token()
        with pytest.raises(rds_iam.RdsIamError):
            rds_iam.Signer(db.host, 1, db.user, region=db.region, profile="absent").token()
    records = caplog.records
    names = {r.name for r in records}
    assert any(n.startswith("rds_iam") for n in names), names
    text = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in records)
    assert "fetched AWS credentials" in text and "signed a new token" in text
    for secret in (
        db.secret_access_key,
        issued["SecretAccessKey"],
        issued["SessionToken"],
        token,
        token.rsplit("X-Amz-Signature=", 1)[1],
    ):
        assert secret not in text
