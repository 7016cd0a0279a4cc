"""Issue 32, defect 12: the client sees the server's own process id in BackendKeyData (only the
secret is the proxy's), so everything that uses the protocol's pid agrees with
pg_backend_pid(): PQbackendPID, pg_terminate_backend, NotificationResponse (node-postgres's
processID: test_clients.py). Cancel through the proxy's secret: test_protocol.py."""

from __future__ import annotations

from typing import Any

import pgwire
import psycopg
import pytest
from proxyrun import Proxy


@pytest.mark.parametrize("sslmode", ["disable", "require"])
def test_the_backend_pid_is_the_servers(proxy: Proxy, sslmode: str) -> None:
    with psycopg.connect(proxy.url(sslmode=sslmode), autocommit=True) as conn:
        server_pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        assert conn.info.backend_pid == server_pid
        in_activity = conn.execute(
            "select count(*) from pg_stat_activity where pid = %s and usename = current_user",
            (conn.info.backend_pid,),
        ).fetchone()
        assert in_activity == (1,)


def test_the_key_data_names_the_servers_pid(proxy: Proxy) -> None:
    """By hand, as the bytes arrive: BackendKeyData's pid is the backend the queries run on."""
    with pgwire.Conn(proxy.port) as c:
        login = c.login("iam_user", "iamdb")
        assert login.ok and login.key is not None, login.error
        pid, secret = login.key
        assert c.query("select pg_backend_pid()") == [[str(pid)]]
        assert len(secret) >= 4
        c.terminate()


def terminate_own_pid(conn: psycopg.Connection[Any]) -> BaseException:
    """Runs pg_terminate_backend on the pid the client was given; what psycopg raised."""
    with pytest.raises(psycopg.OperationalError) as e:
        conn.execute("select pg_terminate_backend(%s)", (conn.info.backend_pid,))
    assert conn.closed or conn.broken
    return e.value


def test_terminating_ones_own_pid_breaks_the_connection_as_directly(
    proxy: Proxy, iamdb: Any
) -> None:
    with psycopg.connect(iamdb.pg_superuser_dsn, autocommit=True) as direct:
        expected = terminate_own_pid(direct)
    with psycopg.connect(proxy.url(sslmode="disable"), autocommit=True) as proxied:
        got = terminate_own_pid(proxied)
    assert type(got) is type(expected) is psycopg.errors.AdminShutdown
    assert got.sqlstate == expected.sqlstate == "57P01"


def test_a_notification_carries_the_sessions_pid(proxy: Proxy) -> None:
    """Clients skip their own notifications by comparing the pid with their backend's."""
    with psycopg.connect(proxy.url(sslmode="disable"), autocommit=True) as conn:
        conn.execute("listen proxy_suite_channel")
        conn.execute("notify proxy_suite_channel, 'hello'")
        got = list(conn.notifies(timeout=10, stop_after=1))
        assert [(n.channel, n.payload) for n in got] == [("proxy_suite_channel", "hello")]
        assert got[0].pid == conn.info.backend_pid
        assert got[0].pid == conn.execute("select pg_backend_pid()").fetchone()[0]
