"""The proxy under floods and hostile clients (issue 32): thousands of idle sockets on each port
(the soft NOFILE limit raised to the hard one, a hard cap past --max-connections, the HTTP
listener capped), the health address's loopback guard, keepalive on both legs, what a refused
client is told and what only the log says, control characters in client-chosen names, a log
pipe nobody reads, and --client-tls-required."""

from __future__ import annotations

import json
import re
import resource
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pgwire
import psycopg
import pytest
from conftest import StartProxy
from proxyrun import BIN, LOG_DIR, client_env, http_get, run, upstream, wait_for

# ---- open sockets ------------------------------------------------------------------------------


@pytest.fixture
def low_soft_nofile() -> Iterator[int]:
    """Processes started during the test inherit a soft NOFILE of 1024 (the hard limit kept);
    the test process itself gets its soft limit raised to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        yield hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def idle_sockets(port: int, n: int) -> list[socket.socket]:
    """`n` connections to `port` that never send a byte (not waited for: non-blocking)."""
    out = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        out.append(s)
    return out


def nofile(pid: int) -> tuple[int, int]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no 'Max open files' line")


def test_5000_idle_sockets_on_each_port_then_psql_logs_in_within_2_s(
    start_proxy: StartProxy, low_soft_nofile: int
) -> None:
    hard = low_soft_nofile
    # A flood past the accept queue leaves a few half-open connections (a FIN the proxy never
    # saw): they wait out --client-timeout, and the drain need not wait for them.
    p = start_proxy("--http-address", "127.0.0.1:0", "--max-sigterm-delay", "1s")
    assert nofile(p.proc.pid) == (hard, hard), "the soft limit was raised to the hard one"
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = min(5000, (hard - 2000) // 2)
    http_port = int(p.http.rsplit(":", 1)[1])
    flood = idle_sockets(p.port, n) + idle_sockets(http_port, n)
    try:
        time.sleep(1)  # let the proxy accept what it will
        started = time.monotonic()
        out = run(["psql", p.conninfo(sslmode="disable"), "-c", "select 1"], check=False)
        took = time.monotonic() - started
        assert out.returncode == 0, out.stderr
        assert took < 2.0, f"psql took {took:.2f} s"
    finally:
        for s in flood:
            s.close()
    wait_for("/liveness", lambda: http_get(p.http, "/liveness") == (200, "ok\n"))
    assert "accept failed" not in p.text()


def test_past_max_connections_and_a_margin_sockets_are_closed_at_once(
    start_proxy: StartProxy, iamdb: Any
) -> None:
    p = start_proxy("--max-connections", "4", "--http-address", "127.0.0.1:0")
    flood = idle_sockets(p.port, 100)
    try:

        def closed() -> int:
            n = 0
            for s in flood:
                try:
                    if s.recv(1) == b"":
                        n += 1
                except ConnectionResetError:
                    n += 1
                except BlockingIOError:
                    pass
            return n

        time.sleep(1.5)
        shut = closed()
        assert 100 - 4 - 32 <= shut < 100 - 4, shut  # the limit and a small margin held
        inst = f'instance="127.0.0.1:{iamdb.pg_port}"'
        m = p.metrics()
        assert m[f"rds_iam_proxy_connections_closed_at_cap_total{{{inst}}}"] == shut
    finally:
        for s in flood:
            s.close()
    open_now = f'rds_iam_proxy_connections_open{{instance="127.0.0.1:{iamdb.pg_port}"}}'
    wait_for("the held sockets' sessions to end", lambda: p.metrics()[open_now] == 0)
    with psycopg.connect(p.url(sslmode="disable")) as conn:
        assert conn.execute("select current_user").fetchone() == ("iam_user",)


# ---- the health address ------------------------------------------------------------------------


def test_a_health_address_beyond_loopback_needs_allow_non_loopback(
    start_proxy: StartProxy,
) -> None:
    p = start_proxy("--http-address", "0.0.0.0:0", wait=False)
    assert p.wait(20) == 1, p.text()
    assert "--allow-non-loopback" in p.text() and "http_address" in p.text()
    allowed = start_proxy("--http-address", "0.0.0.0:0", "--allow-non-loopback")
    assert re.search(r"health and metrics on http://0\.0\.0\.0:\d+/", allowed.text())
    assert allowed.get("/liveness") == (200, "ok\n")


# ---- keepalive ---------------------------------------------------------------------------------


def keepalive_seconds(ss_line: str) -> float:
    m = re.search(r"timer:\(keepalive,(?:(\d+)min)?(?:(\d+)sec)?(?:(\d+)ms)?,", ss_line)
    assert m, f"no keepalive timer: {ss_line}"
    minutes, seconds, ms = (int(g or 0) for g in m.groups())
    return minutes * 60 + seconds + ms / 1000


def test_keepalive_60_s_on_the_client_and_upstream_sockets(
    start_proxy: StartProxy, iamdb: Any
) -> None:
    p = start_proxy()
    with psycopg.connect(p.url(sslmode="disable")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)

        def sockets() -> list[str] | None:
            """The proxy's two sockets of the session, once ss shows each one's keepalive timer
            (an ACK or retransmit timer, while one runs, is shown in its place)."""
            ss = run(["ss", "-tnopH", "state", "established"]).stdout.splitlines()
            mine = [line for line in ss if f"pid={p.proc.pid}," in line]
            client = [x for x in mine if re.search(rf"127\.0\.0\.1:{p.port}\s", x)]
            up = [x for x in mine if re.search(rf"127\.0\.0\.1:{iamdb.pg_port}\s", x)]
            assert len(client) == 1 and len(up) == 1, mine
            both = client + up
            return both if all("timer:(keepalive," in x for x in both) else None

        for line in wait_for("keepalive timers on both legs", sockets, every=0.2):
            assert 0 < keepalive_seconds(line) <= 60, line


# ---- what a refused client learns, and the log -------------------------------------------------


def test_a_refused_user_is_not_told_who_may_log_in(start_proxy: StartProxy) -> None:
    p = start_proxy()
    error = pgwire.refused(p.port, user="someone_else")
    assert error["C"] == "28000"
    assert 'user "someone_else" may not log in through this proxy' in error["M"]
    assert "iam_user" not in error["M"] and "allowed" not in error["M"], error["M"]
    wait_for("the log line", lambda: "allowed: iam_user" in p.text())


def test_control_characters_in_a_user_name_are_escaped_in_both_log_formats(
    start_proxy: StartProxy,
) -> None:
    name = "evil\r\x1b[2Jforged"
    for flags in ((), ("--structured-logs",)):
        p = start_proxy(*flags)
        assert pgwire.refused(p.port, user=name)["C"] == "28000"
        wait_for("the refusal's log line", lambda p=p: "forged" in p.text())
        assert p.stop() == 0
        text = p.text()
        assert "\x1b" not in text and "\r" not in text
        [line] = [x for x in p.lines() if "forged" in x]
        msg = json.loads(line)["msg"] if flags else line
        assert "\x1b" not in msg and "\r" not in msg, msg
        assert r"evil\r\u{1b}[2Jforged" in msg, msg


def test_a_log_pipe_nobody_reads_stalls_no_session(iamdb: Any, proxy_env: dict[str, str]) -> None:
    """stderr is a pipe nobody reads: once it is full (64 KiB), lines are dropped and counted,
    and logins go on."""
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    args = [*upstream(iamdb), "--users", "iam_user", "--listen", f"127.0.0.1:{ports[0]}"]
    args += ["--http-address", f"127.0.0.1:{ports[1]}"]
    proc = subprocess.Popen(
        [str(BIN), "proxy", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=proxy_env,
    )
    base = f"http://127.0.0.1:{ports[1]}"
    try:
        wait_for("the health address", lambda: _answers(base), timeout=20)
        long_name = "x" * 8000
        # 300 refusals' log lines of 8 KB: past the pipe's 64 KiB and the proxy's 1 MiB queue
        for _ in range(300):
            with socket.create_connection(("127.0.0.1", ports[0]), timeout=5) as s:
                s.sendall(pgwire.startup_packet({"user": long_name, "database": "iamdb"}))
                assert s.recv(1) == b"E", "the refusal came"
        started = time.monotonic()
        conninfo = f"host=127.0.0.1 port={ports[0]} user=iam_user dbname=iamdb sslmode=disable"
        out = run(["psql", conninfo, "-c", "select 1"], check=False, env=client_env())
        assert out.returncode == 0, out.stderr
        assert time.monotonic() - started < 5
        _, text = http_get(base, "/metrics")
        dropped = re.search(r"^rds_iam_proxy_log_lines_dropped_total (\d+)$", text, re.M)
        assert dropped and int(dropped.group(1)) > 0, text
    finally:
        proc.terminate()
        captured: list[bytes] = []
        reader = threading.Thread(target=lambda: captured.append(proc.stderr.read()))  # type: ignore[union-attr]
        reader.start()
        proc.wait(20)
        reader.join(20)
        proc.stderr.close()  # type: ignore[union-attr]
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        (LOG_DIR / "a_log_pipe_nobody_reads.txt").write_bytes(b"".join(captured))


def _answers(base: str) -> bool:
    try:
        return http_get(base, "/liveness")[0] == 200
    except OSError:
        return False


# ---- --client-tls-required ---------------------------------------------------------------------


def test_client_tls_required_refuses_a_plaintext_startup_with_28000_and_a_hint(
    start_proxy: StartProxy,
) -> None:
    p = start_proxy("--client-tls", "auto", "--client-tls-required")
    error = pgwire.refused(p.port)
    assert error["C"] == "28000", error
    assert "requires TLS" in error["M"] and "sslmode=require" in error["H"], error
    out = run(["psql", p.conninfo(sslmode="disable"), "-c", "select 1"], check=False)
    assert out.returncode == 2 and "requires TLS" in out.stderr
    out = run(["psql", p.conninfo(sslmode="require"), "-c", "select current_user"])
    assert out.stdout.split()[2] == "iam_user"
    with psycopg.connect(p.url(sslmode="prefer")) as conn:
        assert conn.info.pgconn.ssl_in_use


def test_client_tls_required_needs_client_tls(start_proxy: StartProxy) -> None:
    p = start_proxy("--client-tls-required", wait=False)
    assert p.wait(20) == 1, p.text()
    assert "--client-tls-required needs --client-tls" in p.text()
