"""What clients see when something is wrong, and how the proxy holds up: no credentials, the
database down, a database certificate for another name, a client that stalls in its startup,
200 clients at once, the connection limit, and SIGTERM with sessions open."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pgwire
import psycopg
import pytest
from conftest import StartProxy
from proxyrun import dead_port, run, upstream, wait_for

FETCH_TIMEOUT = 10.0  # the core's default fetch_timeout


def test_no_credentials_refuses_with_28000_naming_the_cause(
    start_proxy: StartProxy, no_credentials_env: dict[str, str]
) -> None:
    p = start_proxy("--http-address", "127.0.0.1:0", "--structured-logs", env=no_credentials_env)
    assert p.get("/readiness") == (503, "no credentials fetched yet\n")
    started = time.monotonic()
    error = pgwire.refused(p.port)
    took = time.monotonic() - started
    assert error["C"] == "28000"
    assert "no IAM token" in error["M"] and "error[NoCredentials]" in error["M"]
    # The credential chain's details are the operator's: in the log, not told to any client.
    assert "no credential source is configured" not in error["M"]
    assert "IMDS disabled by AWS_EC2_METADATA_DISABLED" not in error["M"]
    assert "rds-iam proxy --doctor" in error["H"]
    assert took < FETCH_TIMEOUT, f"refused after {took:.1f} s"
    out = run(["psql", p.conninfo(sslmode="disable"), "-c", "select 1"], check=False)
    assert out.returncode == 2 and "error[NoCredentials]" in out.stderr
    assert p.get("/startup") == (200, "ok\n")
    assert p.get("/liveness") == (200, "ok\n")
    assert p.get("/readiness") == (503, "no credentials fetched yet\n")
    assert p.stop() == 0
    # The chain's attempts span several lines; each log entry is still one JSON object.
    entries = p.json_lines()
    warm_up = [e for e in entries if e["msg"].startswith("no credentials yet (not ready)")]
    assert warm_up and "\n  - " in warm_up[0]["msg"] and "conn" not in warm_up[0]
    refusals = [e for e in entries if e["msg"].startswith("login refused (28000)")]
    assert len(refusals) == 2 and all(e["level"] == "error" and "conn" in e for e in refusals)
    assert all("IMDS disabled by AWS_EC2_METADATA_DISABLED" in e["msg"] for e in refusals)


def test_the_database_down_gives_08001(start_proxy: StartProxy, iamdb: Any) -> None:
    port = dead_port()
    p = start_proxy(target=upstream(iamdb, port=port))
    error = pgwire.refused(p.port)
    assert error["C"] == "08001"
    assert f"cannot reach the database 127.0.0.1:{port}" in error["M"]
    assert "Connection refused" in error["M"]


def test_a_certificate_for_another_name_is_refused_and_no_token_is_sent(
    start_proxy: StartProxy, iamdb: Any
) -> None:
    other = "db.cluster-other.us-east-1.rds.amazonaws.com"
    p = start_proxy(target=upstream(iamdb, sign_host=other))
    mark = iamdb.mark()
    error = pgwire.refused(p.port)
    assert error["C"] == "08001"
    assert "failed TLS verification (nothing was sent)" in error["M"]
    assert f'certificate not valid for name "{other}"' in error["M"]
    assert "--sign-host" in error["H"]
    assert iamdb.log_since(mark) == [], "the validator saw a login attempt"
    assert "logged in" not in p.text()


def test_a_stalled_client_is_dropped_while_another_logs_in(
    start_proxy: StartProxy, iamdb: Any
) -> None:
    # 3 s: room for the other client's IAM login (~0.3 s, more on a busy machine) inside it.
    p = start_proxy("--client-timeout", "3s", "--http-address", "127.0.0.1:0")
    packet = pgwire.startup_packet({"user": "iam_user", "database": "iamdb"})
    with pgwire.Conn(p.port, timeout=10) as stalled:
        stalled.send(packet[: len(packet) // 2])
        stalled_at = time.monotonic()
        with psycopg.connect(p.url(sslmode="disable")) as other:
            assert other.execute("select current_user").fetchone() == ("iam_user",)
            assert "dropped" not in p.text(), "the other client logged in during the stall"
        assert stalled.closed_by_peer()
        took = time.monotonic() - stalled_at
    assert 2.9 <= took < 5.0, f"dropped after {took:.2f} s"
    # The socket closes first, then the drop is counted and logged.
    dropped = "the client sent no complete startup within 3 s; dropped"
    wait_for("the drop to be logged", lambda: dropped in p.text())
    inst = f'instance="127.0.0.1:{iamdb.pg_port}"'
    assert p.metrics()[f'rds_iam_proxy_logins_failed_total{{{inst},code="timeout"}}'] == 1


def test_200_clients_at_once_cost_one_signature(start_proxy: StartProxy, iamdb: Any) -> None:
    """200 startups sent at the same moment. iamdb's PostgreSQL takes 57 IAM sessions at once
    (max_connections 60, 3 reserved): the rest get its own 53300, relayed as is."""
    p = start_proxy("--http-address", "127.0.0.1:0")
    n = 200
    go, answered = threading.Barrier(n), threading.Barrier(n)

    def client(_: int) -> str:
        with pgwire.Conn(p.port, timeout=60) as c:
            go.wait(30)
            login = c.login("iam_user", "iamdb")
            if login.ok:
                assert c.query("select current_user") == [["iam_user"]]
            answered.wait(60)  # hold the session until every client has its answer
            if not login.ok:
                assert login.error is not None
                return login.error["C"]
            c.terminate()
            return "logged in"

    with ThreadPoolExecutor(n) as pool:
        outcomes = Counter(pool.map(client, range(n)))
    print("outcomes:", dict(outcomes))
    assert set(outcomes) <= {"logged in", "53300"}, outcomes
    assert outcomes["logged in"] >= 20, outcomes
    m = p.metrics()
    inst = f'instance="127.0.0.1:{iamdb.pg_port}"'
    assert m["rds_iam_token_signatures_total"] == 1
    assert m["rds_iam_credential_fetches_total"] == 1
    assert m[f"rds_iam_proxy_connections_total{{{inst}}}"] == n
    assert m[f"rds_iam_proxy_logins_ok_total{{{inst}}}"] == outcomes["logged in"]
    failed = m.get(f'rds_iam_proxy_logins_failed_total{{{inst},code="53300"}}', 0)
    assert failed == outcomes["53300"]


def test_max_connections(start_proxy: StartProxy) -> None:
    p = start_proxy("--max-connections", "1", "--http-address", "127.0.0.1:0")
    wait_for("readiness", lambda: p.get("/readiness")[0] == 200)
    with psycopg.connect(p.url(sslmode="disable"), autocommit=True) as first:
        assert first.execute("select 1").fetchone() == (1,)
        assert p.get("/readiness") == (503, "at --max-connections\n")
        error = pgwire.refused(p.port)
        assert error["C"] == "53300"
        assert "too many connections (1 open, the --max-connections limit)" in error["M"]
        assert first.execute("select 2").fetchone() == (2,)
        assert p.get("/readiness")[0] == 503
    wait_for("readiness after the session closed", lambda: p.get("/readiness")[0] == 200)
    with psycopg.connect(p.url(sslmode="disable")) as again:
        assert again.execute("select current_user").fetchone() == ("iam_user",)


def refused_at_tcp(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_drains_then_closes_and_exits_0(start_proxy: StartProxy) -> None:
    p = start_proxy("--max-sigterm-delay", "3s", "--http-address", "127.0.0.1:0")
    conn = psycopg.connect(p.url(sslmode="disable"), autocommit=True)
    try:
        assert conn.execute("select 1").fetchone() == (1,)
        p.signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert wait_for("readiness 503", lambda: p.get("/readiness")[0] == 503)
        assert p.get("/readiness") == (503, "shutting down\n")
        assert wait_for("the port to close", lambda: refused_at_tcp(p.port))
        for at in (0.5, 2.0):  # the open session goes on inside the delay
            time.sleep(max(0.0, signalled + at - time.monotonic()))
            assert conn.execute("select %s::text", (f"at {at}",)).fetchone() == (f"at {at}",)
        assert p.wait(15) == 0
        took = time.monotonic() - signalled
        assert 3.0 <= took < 7.0, f"exited {took:.1f} s after SIGTERM"
        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")
    finally:
        conn.close()
    text = p.text()
    assert "SIGTERM: not accepting new clients; 1 open session(s)" in text
    assert "closing 1 session(s) still open" in text
    assert "session closed: the shutdown delay (--max-sigterm-delay) ran out" in text


def test_a_second_sigterm_exits_at_once(start_proxy: StartProxy) -> None:
    p = start_proxy("--max-sigterm-delay", "60s")
    conn = psycopg.connect(p.url(sslmode="disable"), autocommit=True)
    try:
        assert conn.execute("select 1").fetchone() == (1,)
        p.signal(signal.SIGTERM)
        wait_for("the drain", lambda: "SIGTERM: not accepting new clients" in p.text())
        assert conn.execute("select 2").fetchone() == (2,)
        p.signal(signal.SIGTERM)
        second = time.monotonic()
        assert p.wait(10) == 0
        took = time.monotonic() - second
        assert took < 3.0, f"exited {took:.1f} s after the second SIGTERM"
        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 3")
    finally:
        conn.close()
    assert "closing 1 session(s) still open" in p.text()


def test_structured_logs_are_one_json_object_per_line(start_proxy: StartProxy) -> None:
    p = start_proxy("--structured-logs")
    with psycopg.connect(p.url(sslmode="disable")) as conn:
        conn.execute("select 1")
    assert pgwire.refused(p.port, user="postgres")["C"] == "28000"
    with pgwire.Conn(p.port) as c:
        c.send(pgwire.startup_packet({"user": "iam_user"}, version=2 << 16))
        assert c.read()[0] == b"E"
    assert p.stop() == 0
    entries = []
    for line in p.lines():
        entry = json.loads(line)  # every line, or this fails
        assert set(entry) >= {"time", "level", "msg"}, entry
        assert entry["level"] in {"info", "warn", "error"}
        entries.append(entry)
    about_sessions = [
        e
        for e in entries
        if e["msg"].startswith(("logged in as", "session ended", "login refused"))
    ]
    assert len(about_sessions) == 4, about_sessions
    assert all(isinstance(e.get("conn"), int) for e in about_sessions), about_sessions
    login = next(e for e in about_sessions if e["msg"].startswith("logged in as iam_user"))
    ended = next(e for e in about_sessions if e["msg"].startswith("session ended"))
    assert login["conn"] == ended["conn"] and login["instance"] == ended["instance"]
    assert len({e["conn"] for e in about_sessions}) == 3
    assert "conn" not in next(e for e in entries if e["msg"].startswith("listening on"))
    assert entries[-1]["msg"] == "stopped"
