"""Issue 32, defect 1, through the real proxy: a large COPY each way must arrive whole, to its
last row. The upstream leg is always TLS (the tail of a `\\copy ... from` went into rustls last),
and with --client-tls a result going to a slow client goes out through TLS too. The deterministic
test of the flush is Rust's (core/src/proxy/splice.rs); these keep the real clients honest."""

from __future__ import annotations

import subprocess
import time

import psycopg
from proxyrun import Proxy, client_env

ROWS = 200_000
WIDTH = 1000  # bytes of `v` per row: 200 000 rows of ~1 kB, 201 MB


def rows() -> tuple[bytes, int]:
    """COPY text of ROWS rows `id<TAB>v`, the last one a marker; and the sum of the ids."""
    filler = "x" * WIDTH
    text = "".join(f"{i}\t{filler}\n" for i in range(1, ROWS)) + f"{ROWS}\tthe end\n"
    return text.encode(), ROWS * (ROWS + 1) // 2


def test_psql_copy_200_mb_in(proxy: Proxy) -> None:
    """sslmode=require: TLS on both legs. The rows come from psql's stdin (`pstdin`)."""
    data, id_sum = rows()
    assert len(data) > 200_000_000
    cmd = [
        *("psql", proxy.conninfo(sslmode="require"), "-X", "-At", "-v", "ON_ERROR_STOP=1"),
        *("-c", "create temp table bulk (id int, v text)"),
        *("-c", r"\copy bulk from pstdin"),
        *("-c", "select count(*), sum(id) from bulk"),
        *("-c", "select v from bulk order by id desc limit 1"),
    ]
    started = time.monotonic()
    out = subprocess.run(cmd, input=data, capture_output=True, env=client_env(), timeout=120)
    took = time.monotonic() - started
    print(f"=== {' '.join(cmd)} (exit {out.returncode}, {took:.2f} s)")
    print(f"--- stdout\n{out.stdout.decode()}--- stderr\n{out.stderr.decode()}")
    print(f"\\copy of {len(data) / 1e6:.0f} MB in through the proxy: {took:.1f} s")
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().splitlines()[-2:] == [f"{ROWS}|{id_sum}", "the end"]


def test_copy_to_stdout_to_a_slow_client_over_tls(proxy: Proxy) -> None:
    """50 MB out through client TLS, read in pauses so that the proxy's writes to the client
    find its socket full; the last row must come."""
    rows, width = 50_000, 1000
    sql = (
        f"copy (select i, case when i = {rows} then 'the end' else repeat('y', {width}) end"
        f" from generate_series(1, {rows}) i) to stdout"
    )
    got, last, pauses = 0, b"", 0
    started = time.monotonic()
    with psycopg.connect(proxy.url(sslmode="require"), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        with conn.cursor() as cur, cur.copy(sql) as copy:
            for n, chunk in enumerate(copy):
                got += len(chunk)
                last = bytes(chunk)
                if n % 1000 == 0:
                    time.sleep(0.02)  # the slow client: 50 pauses, each long enough to fill
                    pauses += 1
    took = time.monotonic() - started
    print(
        f"COPY TO STDOUT of {got / 1e6:.0f} MB to a slow TLS client ({pauses} pauses): {took:.1f} s"
    )
    assert last == f"{rows}\tthe end\n".encode()
    assert got == sum(len(f"{i}\t".encode()) + 1 for i in range(1, rows + 1)) + (
        rows - 1
    ) * width + len("the end")
