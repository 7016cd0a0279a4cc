"""Issue 32, defect 1, for MySQL: the upstream leg is always TLS, so the tail of a large upload
went into rustls last. `mysql < a 100 MB dump` and `LOAD DATA LOCAL INFILE` through the proxy
must reach the server whole, to the last row. (The deterministic test of the flush is Rust's,
core/src/proxy/splice.rs; these keep the real clients honest.)"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from mysqlrun import USER, my_env, mysql_cli
from proxyrun import Proxy

pytest_plugins = ["mysql_fixtures"]


def dump(rows: int, per_insert: int, width: int) -> bytes:
    """What mysqldump writes for a table of `rows` rows, into a temporary table, the last row a
    marker; then the query that checks it arrived."""
    filler = "z" * width
    parts = [
        "SET autocommit=0;\n",
        "CREATE TEMPORARY TABLE proxy_bulk (id INT PRIMARY KEY, v TEXT);\n",
    ]
    for start in range(1, rows + 1, per_insert):
        ids = range(start, min(start + per_insert, rows + 1))
        values = ",".join(f"({i},'{'the end' if i == rows else filler}')" for i in ids)
        parts.append(f"INSERT INTO proxy_bulk VALUES {values};\n")
    parts.append("COMMIT;\n")
    parts.append("SELECT COUNT(*), SUM(id) FROM proxy_bulk;\n")
    parts.append("SELECT v FROM proxy_bulk ORDER BY id DESC LIMIT 1;\n")
    return "".join(parts).encode()


def test_mysql_reads_a_100_mb_dump_from_stdin(mysql_proxy: Proxy, iamdb: Any) -> None:
    rows = 10_000
    # 10 kB rows, 1 MB statements (under max_allowed_packet): fewer rows, less server time.
    script = dump(rows, per_insert=100, width=10_000)
    assert len(script) > 100_000_000
    cmd = [
        *("mysql", "--no-defaults", "-h", "127.0.0.1", "-P", str(mysql_proxy.port)),
        *("-u", USER, "-N", "-B", iamdb.database),
    ]
    started = time.monotonic()
    out = subprocess.run(cmd, input=script, capture_output=True, env=my_env(), timeout=180)
    took = time.monotonic() - started
    print(f"=== {' '.join(cmd)} < {len(script) / 1e6:.0f} MB (exit {out.returncode}, {took:.1f} s)")
    print(f"--- stdout\n{out.stdout.decode()}--- stderr\n{out.stderr.decode()}")
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().splitlines() == [f"{rows}\t{rows * (rows + 1) // 2}", "the end"]


def test_load_data_local_infile(mysql_proxy: Proxy, iamdb: Any, tmp_path: Path) -> None:
    rows = 50_000
    data = tmp_path / "rows.tsv"
    filler = "w" * 1000
    text = "".join(f"{i}\t{filler}\n" for i in range(1, rows)) + f"{rows}\tthe end\n"
    data.write_text(text)
    started = time.monotonic()
    out = mysql_cli(
        mysql_proxy.port,
        "--local-infile=1",
        iamdb.database,
        "-e",
        "CREATE TEMPORARY TABLE proxy_load (id INT PRIMARY KEY, v TEXT);"
        f" LOAD DATA LOCAL INFILE '{data}' INTO TABLE proxy_load;"
        " SELECT COUNT(*), SUM(id) FROM proxy_load;"
        " SELECT v FROM proxy_load ORDER BY id DESC LIMIT 1;",
        timeout=120,
    )
    took = time.monotonic() - started
    print(f"LOAD DATA LOCAL INFILE of {len(text) / 1e6:.0f} MB through the proxy: {took:.1f} s")
    assert out.stdout.splitlines() == [f"{rows}\t{rows * (rows + 1) // 2}", "the end"]
