"""The MySQL proxy under hostile or careless clients (issue 32): port probes and refused users
never reach the database (each would be an aborted handshake there, and past
max_connect_errors the server blocks the proxy's address for everyone), a handshake response
with sequence id 255, what a refused client is told and what only the log says, a database
that answers with an ERR before TLS (its unauthenticated text never reaches the client), and
--client-tls-required.

The issue asks for the probe test against a MariaDB on a non-loopback address in a network
namespace with max_connect_errors=10. iamdb's MariaDB listens on 127.0.0.1 only and runs with
skip-name-resolve (no host cache: it never blocks a host), so that setup would need a second
MariaDB; the test counts the server's Aborted_connects on loopback instead, which every probe
that reaches the server raises by one."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Any, Callable, Iterator

import pymysql
import pytest
from mysqlrun import USER, admin_connect, mysql_upstream, one, pymysql_connect
from mywire import RawClient, encode_response, packet, parse_err, read_packet
from proxyrun import Proxy, wait_for

pytest_plugins = ["mysql_fixtures"]

StartMysql = Callable[..., Proxy]


def aborted_connects(iamdb: Any) -> int:
    with admin_connect(iamdb) as admin:
        (_, value) = one(admin, "SHOW GLOBAL STATUS LIKE 'Aborted_connects'")
    return int(value)


def settled(p: Proxy, iamdb: Any) -> None:
    """Until every session the proxy had is over (and the server has had a moment to count)."""
    inst = f'instance="127.0.0.1:{iamdb.mysql_port}"'
    open_now = f"rds_iam_proxy_connections_open{{{inst}}}"
    wait_for("the sessions to end", lambda: p.metrics()[open_now] == 0)
    time.sleep(0.5)


def test_port_probes_and_refused_users_never_reach_the_database(
    start_mysql: StartMysql, iamdb: Any
) -> None:
    p = start_mysql("--http-address", "127.0.0.1:0")
    # Its first client: from then on the proxy greets from what it learned of the server.
    with pymysql_connect(p.port) as first:
        assert one(first, "SELECT 1") == (1,)
    settled(p, iamdb)
    before = aborted_connects(iamdb)
    for _ in range(20):  # nc -z: connect, close
        socket.create_connection(("127.0.0.1", p.port), timeout=5).close()
    with RawClient(p.port) as reader:  # reads the greeting, then leaves
        assert reader.greeting is not None
    with RawClient(p.port) as refused:  # a user --users does not list
        _, answer = refused.login("someone_else")
        assert parse_err(answer)[0] == 1045
    settled(p, iamdb)
    assert aborted_connects(iamdb) == before, "a probe reached the database"
    with pymysql_connect(p.port) as conn:
        assert one(conn, "SELECT CURRENT_USER()") == (f"{USER}@%",)


def test_a_handshake_response_with_sequence_id_255(mysql_proxy: Proxy) -> None:
    """The client chooses the sequence id; 255 + 1 wraps to 0 (a debug build would panic on
    the overflow and drop the session)."""
    with RawClient(mysql_proxy.port) as c:
        c.sock.sendall(packet(255, encode_response(0, USER)))
        seq, ok = read_packet(c.sock)
        assert (seq, ok[:1]) == (0, b"\x00"), ok[:40]
        c.sock.sendall(packet(0, b"\x03SELECT 1"))
        _, columns = read_packet(c.sock)
        assert columns == b"\x01", columns  # one column: the session task is alive


def test_a_refused_user_is_not_told_who_may_log_in(mysql_proxy: Proxy, iamdb: Any) -> None:
    with RawClient(mysql_proxy.port) as c:
        _, answer = c.login("someone_else")
    code, state, message = parse_err(answer)
    assert (code, state) == (1045, "28000")
    assert 'user "someone_else" may not log in through this proxy' in message
    assert USER not in message and "allowed" not in message, message
    wait_for("the log line", lambda: "allowed: iam_user" in mysql_proxy.text())


def test_control_characters_in_a_user_name_are_escaped_in_the_log(
    mysql_proxy: Proxy, iamdb: Any
) -> None:
    name = "evil\r\x1b[2Jforged"
    with RawClient(mysql_proxy.port) as c:
        _, answer = c.login(name)
    assert parse_err(answer)[0] == 1045
    line = wait_for(
        "the refusal's log line",
        lambda: next((x for x in mysql_proxy.lines() if "forged" in x), None),
    )
    assert "\x1b" not in mysql_proxy.text() and "\r" not in mysql_proxy.text()
    assert r"evil\r\u{1b}[2Jforged" in line, line


class ErrGreeter:
    """A 'database' that answers every connection with an ERR packet before any TLS, as a
    network attacker (or a blocked host's server) can."""

    TEXT = b"FORGED: reinstall your client from http://evil.example"

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.sendall(packet(0, b"\xff" + (1129).to_bytes(2, "little") + self.TEXT))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def err_greeter() -> Iterator[ErrGreeter]:
    g = ErrGreeter()
    try:
        yield g
    finally:
        g.close()


def test_an_err_greeting_before_tls_is_not_passed_on(
    start_mysql: StartMysql, iamdb: Any, err_greeter: ErrGreeter
) -> None:
    p = start_mysql(target=mysql_upstream(iamdb, port=err_greeter.port))
    with RawClient(p.port) as c:
        if c.greeting is None:
            code, state, message = parse_err(c.first)
        else:
            code, state, message = parse_err(c.login(USER)[1])
    assert err_greeter.accepted == 1
    assert (code, state) == (1429, "08001")
    assert "FORGED" not in message and "evil" not in message, message
    assert "before TLS" in message, message
    wait_for("the log line", lambda: "FORGED" in p.text())


def test_client_tls_required_refuses_a_plaintext_client(
    start_mysql: StartMysql, iamdb: Any
) -> None:
    p = start_mysql("--client-tls", "auto", "--client-tls-required")
    with pytest.raises(pymysql.err.OperationalError) as e:
        pymysql_connect(p.port)
    assert e.value.args[0] == 1045, e.value.args
    assert "requires TLS" in e.value.args[1], e.value.args
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with pymysql_connect(p.port, ssl_disabled=False, ssl=context) as conn:
        assert one(conn, "SELECT CURRENT_USER()") == (f"{USER}@%",)
    assert "login refused (1045)" in p.text()


def test_client_tls_required_needs_client_tls(start_mysql: StartMysql) -> None:
    p = start_mysql("--client-tls-required", wait=False)
    assert p.wait(20) == 1, p.text()
    assert "--client-tls-required needs --client-tls" in p.text()
