"""``async with rds_iam.Proxy(...)`` and ``await proxy.aclose()`` (issue 33, item 4): the drain
runs on a worker thread, so the event loop keeps running while the proxy closes."""

from __future__ import annotations

import asyncio
import socket
import time

import rds_iam

CREDS = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret"}


def signer() -> rds_iam.Signer:
    return rds_iam.Signer("db.abc.us-east-1.rds.amazonaws.com", 5432, "app", credentials=CREDS)


def test_async_with_closes_the_proxy() -> None:
    async def run() -> rds_iam.Proxy:
        async with rds_iam.Proxy(signer(), database="app") as p:
            assert not p.closed and p.port > 0
            assert p.url.startswith("postgresql://app@127.0.0.1:")
        return p

    p = asyncio.run(run())
    assert p.closed


def test_aclose_keeps_the_event_loop_running_during_the_drain() -> None:
    async def run() -> tuple[int, float, bool]:
        p = rds_iam.Proxy(signer(), database="app")
        # A client that connects and says nothing: its session is open, so close() drains
        # (up to 5 s) before it returns.
        client = socket.create_connection((p.host, p.port))
        try:
            deadline = time.monotonic() + 5
            while p.open_sessions == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert p.open_sessions == 1
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.05)
                    ticks += 1

            task = asyncio.create_task(ticker())
            start = time.monotonic()
            await p.aclose()
            took = time.monotonic() - start
            task.cancel()
            return ticks, took, p.closed
        finally:
            client.close()

    ticks, took, closed = asyncio.run(run())
    assert closed
    # The loop ticked all through the drain: about one tick per 50 ms it took.
    assert took > 0.2, f"the drain took {took:.2f} s: nothing was drained"
    assert ticks >= int(took / 0.05) // 2, (ticks, took)
