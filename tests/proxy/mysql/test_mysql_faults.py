"""What MySQL clients see when something is wrong, in MySQL's terms: no credentials (1045,
naming the cause), the database down or its certificate for another name (1429 / 08001), the
--max-connections limit (1040), a client that never answers the greeting (dropped after
--client-timeout while another logs in), a user not set up for IAM or not allowed (1045). Every
proxy these tests start is checked at its end for tokens and secrets in its output
(mysql_fixtures.py), and `make secrets-scan` reads it all again."""

from __future__ import annotations

import time
from typing import Any, Callable

import pymysql
import pytest
from mysqlrun import USER, mysql_cli, mysql_upstream, one, pymysql_connect
from mywire import RawClient, parse_err
from proxyrun import Proxy, dead_port, wait_for

pytest_plugins = ["mysql_fixtures"]

StartMysql = Callable[..., Proxy]
FETCH_TIMEOUT = 10.0  # the core's default fetch_timeout


def refused(port: int, user: str = USER) -> tuple[int, str, str]:
    """A raw login as `user`: the ERR's (code, SQLSTATE, message), whenever it comes (before
    the greeting or after the handshake response)."""
    with RawClient(port) as c:
        if c.greeting is None:
            return parse_err(c.first)
        _, answer = c.login(user)
        return parse_err(answer)


def cli_error(port: int, *args: str) -> str:
    """What the mysql CLI says when its login is refused."""
    res = mysql_cli(port, *args, "-e", "SELECT 1", check=False)
    assert res.returncode == 1, res.stdout
    return res.stderr.strip()


def test_no_credentials_gives_1045_naming_the_cause(
    start_mysql: StartMysql, no_credentials_env: dict[str, str]
) -> None:
    p = start_mysql("--http-address", "127.0.0.1:0", env=no_credentials_env)
    assert p.get("/readiness") == (503, "no credentials fetched yet\n")
    started = time.monotonic()
    code, state, message = refused(p.port)
    assert time.monotonic() - started < FETCH_TIMEOUT
    assert (code, state) == (1045, "28000")
    assert "no IAM token" in message and "error[NoCredentials]" in message
    assert "no credential source is configured" not in message  # the log's, not the client's
    wait_for("the log line", lambda: "no credential source is configured" in p.text())
    stderr = cli_error(p.port)
    assert stderr.startswith("ERROR 1045 (28000): rds-iam proxy: no IAM token for 127.0.0.1:")
    assert "error[NoCredentials]" in stderr


def test_the_database_down_gives_1429_cannot_reach(start_mysql: StartMysql, iamdb: Any) -> None:
    port = dead_port()
    p = start_mysql(target=mysql_upstream(iamdb, port=port))
    code, state, message = refused(p.port)
    assert (code, state) == (1429, "08001")
    assert f"cannot reach the database 127.0.0.1:{port}" in message
    assert "Connection refused" in message
    # libmariadb shows it (a client error number, 2003, would be its "malformed packet").
    said = f"rds-iam proxy: cannot reach the database 127.0.0.1:{port}: Connection refused"
    assert cli_error(p.port, "--ssl=0").startswith(f"ERROR 1429 (08001): {said}")
    # By default the CLI wants TLS if offered, and says it cannot vouch for an error that comes
    # before the TLS handshake (so says it for any server's), but shows it.
    assert cli_error(p.port).startswith(
        "ERROR 2002 (HY000): Received error packet before completion of TLS handshake. The "
        f"authenticity of the following error cannot be verified: 1429 - {said}"
    )


def test_a_certificate_for_another_name_is_refused_and_no_token_is_sent(
    start_mysql: StartMysql, iamdb: Any
) -> None:
    other = "db.cluster-other.us-east-1.rds.amazonaws.com"
    p = start_mysql(target=mysql_upstream(iamdb, sign_host=other))
    mark = iamdb.mark()
    code, state, message = refused(p.port)
    assert (code, state) == (1429, "08001")
    assert "failed TLS verification (nothing was sent)" in message
    assert f'certificate not valid for name "{other}"' in message
    assert iamdb.log_since(mark) == [], "the validator saw a login attempt"


def test_max_connections(start_mysql: StartMysql, iamdb: Any) -> None:
    p = start_mysql("--max-connections", "1", "--http-address", "127.0.0.1:0")
    with pymysql_connect(p.port) as first:
        assert one(first, "SELECT 1") == (1,)
        code, state, message = refused(p.port)
        assert (code, state) == (1040, "08004")
        assert "too many connections (1 open, the --max-connections limit)" in message
        assert cli_error(p.port, "--ssl=0").startswith(
            "ERROR 1040 (08004): rds-iam proxy: too many"
        )
        assert one(first, "SELECT 2") == (2,)
    inst = f'instance="127.0.0.1:{iamdb.mysql_port}"'
    wait_for(
        "the session to close",
        lambda: p.metrics()[f"rds_iam_proxy_connections_open{{{inst}}}"] == 0,
    )
    with pymysql_connect(p.port) as again:
        assert one(again, "SELECT CURRENT_USER()") == (f"{USER}@%",)
    assert p.metrics()[f'rds_iam_proxy_logins_failed_total{{{inst},code="1040"}}'] == 2
    assert p.metrics()[f"rds_iam_proxy_logins_ok_total{{{inst}}}"] == 2


def test_a_client_that_never_answers_the_greeting_is_dropped_while_another_logs_in(
    start_mysql: StartMysql, iamdb: Any
) -> None:
    p = start_mysql("--client-timeout", "3s", "--http-address", "127.0.0.1:0")
    with RawClient(p.port) as stalled:
        assert stalled.greeting is not None, "the greeting came"
        stalled_at = time.monotonic()
        with pymysql_connect(p.port) as other:
            assert one(other, "SELECT CURRENT_USER()") == (f"{USER}@%",)
            assert "dropped" not in p.text(), "the other client logged in during the stall"
        assert stalled.closed_by_peer()
        took = time.monotonic() - stalled_at
    assert 2.9 <= took < 5.0, f"dropped after {took:.2f} s"
    wait_for(
        "the drop to be logged",
        lambda: "the client sent no complete handshake response within 3 s; dropped" in p.text(),
    )
    inst = f'instance="127.0.0.1:{iamdb.mysql_port}"'
    assert p.metrics()[f'rds_iam_proxy_logins_failed_total{{{inst},code="timeout"}}'] == 1


def test_a_user_not_set_up_for_iam_gets_1045_saying_so(start_mysql: StartMysql, iamdb: Any) -> None:
    """iamdb's admin user has a password (mysql_native_password): the server takes the proxy's
    handshake as a password login with an empty password and refuses it before asking for
    anything, so no token is ever sent."""
    admin, password = iamdb.mysql_admin
    p = start_mysql(users=f"{USER},{admin}")
    mark = iamdb.mark()
    code, state, message = refused(p.port, user=admin)
    assert (code, state) == (1045, "28000")
    assert f'user "{admin}" is not set up for IAM' in message
    assert f"Access denied for user '{admin}'@'127.0.0.1' (using password: NO)" in message
    assert iamdb.log_since(mark) == [], "PAM never ran"
    with pytest.raises(pymysql.OperationalError) as e:
        pymysql.connect(host="127.0.0.1", port=p.port, user=admin, password=password)
    assert e.value.args[0] == 1045 and "is not set up for IAM" in e.value.args[1]
    with pymysql_connect(p.port) as ok:  # the IAM user still logs in through it
        assert one(ok, "SELECT CURRENT_USER()") == (f"{USER}@%",)


def test_a_user_not_in_users_is_refused_without_a_token(mysql_proxy: Proxy, iamdb: Any) -> None:
    mark = iamdb.mark()
    code, state, message = refused(mysql_proxy.port, user="someone_else")
    assert iamdb.log_since(mark) == []
    assert (code, state) == (1045, "28000")
    assert 'user "someone_else" may not log in through this proxy' in message
    assert "allowed" not in message  # the --users list is in the log only
