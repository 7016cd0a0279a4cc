"""What the proxy does with PostgreSQL's protocol: every startup parameter goes upstream, the
opening packets libpq does not send (GSSENCRequest, a startup one byte at a time, oversized or
foreign packets), cancel requests through the proxy's own keys, and a session that outlives the
token it logged in with."""

from __future__ import annotations

import struct
import threading
import time
from typing import Any, Callable

import pgwire
import psycopg
import pytest
from proxyrun import Proxy, wait_for

LOGIN = {"user": "iam_user", "database": "iamdb"}


def test_startup_parameters_all_go_upstream(proxy: Proxy) -> None:
    with psycopg.connect(
        proxy.url(sslmode="disable"),
        application_name="proxy-suite",
        options="-c search_path=proxy_sp,public -c statement_timeout=4321",
        client_encoding="LATIN9",
    ) as conn:
        show = lambda name: conn.execute(f"show {name}").fetchone()[0]  # noqa: E731
        assert show("application_name") == "proxy-suite"
        assert show("search_path") == "proxy_sp,public"
        assert show("statement_timeout") == "4321ms"
        assert show("client_encoding") == "LATIN9"
        assert conn.info.encoding == "iso8859-15"
        row = conn.execute(
            "select application_name from pg_stat_activity where pid = pg_backend_pid()"
        ).fetchone()
        assert row == ("proxy-suite",)


def test_a_gssenc_request_gets_n_and_the_client_goes_on(proxy: Proxy) -> None:
    with pgwire.Conn(proxy.port) as c:
        c.send(pgwire.gssenc_request())
        assert c.recv_exact(1) == b"N"
        login = c.login("iam_user", "iamdb", application_name="after-gssenc")
        assert login.ok, login.error
        assert login.parameters["application_name"] == "after-gssenc"
        assert c.query("select current_user") == [["iam_user"]]
        c.terminate()


def test_a_startup_message_sent_one_byte_at_a_time(proxy: Proxy) -> None:
    packet = pgwire.startup_packet({**LOGIN, "application_name": "byte-by-byte"})
    with pgwire.Conn(proxy.port) as c:
        for b in packet:
            c.send(bytes([b]))
            time.sleep(0.002)
        login = c.finish_login()
        assert login.ok, login.error
        assert c.query("select current_setting('application_name')") == [["byte-by-byte"]]
        c.terminate()


@pytest.mark.parametrize(
    ("opening", "said"),
    [
        # Only the length and the version: the proxy refuses before reading the body (a whole
        # 20 kB packet would leave unread bytes, and the client could see a reset, not the error).
        (struct.pack("!II", 20_000, pgwire.PROTOCOL_3_0), "invalid startup packet length 20000"),
        (pgwire.startup_packet(LOGIN, version=2 << 16), "unsupported frontend protocol 2.0"),
    ],
    ids=["oversized", "protocol-2"],
)
def test_a_bad_opening_packet_gets_08p01(proxy: Proxy, opening: bytes, said: str) -> None:
    with pgwire.Conn(proxy.port) as c:
        c.send(opening)
        tag, body = c.read()
        assert tag == b"E"
        error = pgwire.fields(body)
        assert error["C"] == "08P01"
        assert said in error["M"]
        assert c.closed_by_peer()


@pytest.mark.parametrize(
    "pairs",
    [
        [("user", "iam_user"), ("database", "iamdb"), ("user", "postgres")],
        [("user", "iam_user"), ("database", "iamdb"), ("database", "postgres")],
        [("user", "iam_user"), ("options", "-c a=1"), ("database", "iamdb"), ("options", "")],
    ],
    ids=["user", "database", "options"],
)
def test_a_repeated_startup_parameter_gets_08p01(
    proxy: Proxy, iamdb: Any, pairs: list[tuple[str, str]]
) -> None:
    """Issue 32, defect 2: the proxy checked the first `user` against --users and PostgreSQL
    logs in as the last. A repeated key is refused before anything is signed or dialled."""
    mark, db_mark = len(proxy.text()), iamdb.mark()
    repeated = pairs[-1][0]
    with pgwire.Conn(proxy.port) as c:
        c.send(pgwire.startup_packet(pairs))
        login = c.finish_login()
        assert login.error is not None, "logged in with a repeated startup parameter"
        assert login.error["C"] == "08P01", login.error
        assert f'"{repeated}" more than once' in login.error["M"], login.error
        assert c.closed_by_peer()
    # The proxy's log lines are written by a thread of their own: they may follow the answer.
    wait_for("the refusal's log line", lambda: "login refused (08P01)" in proxy.text()[mark:], 5)
    assert iamdb.log_since(db_mark) == [], "the database was reached"


def superuser(iamdb: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(iamdb.pg_superuser_dsn, autocommit=True)


def when_sleeping(iamdb: Any, server_pid: int, then: Callable[[], None]) -> threading.Thread:
    """A thread that waits until backend `server_pid` is in pg_sleep, then calls `then`."""

    def watch() -> None:
        with superuser(iamdb) as su:
            wait_for(
                "the query to run",
                lambda: su.execute(
                    "select 1 from pg_stat_activity where pid = %s and state = 'active'"
                    " and query like 'select pg_sleep%%'",
                    (server_pid,),
                ).fetchone(),
            )
        then()

    t = threading.Thread(target=watch)
    t.start()
    return t


@pytest.mark.parametrize(("sslmode", "how"), [("disable", "cancel"), ("require", "cancel_safe")])
def test_a_query_is_cancelled_through_the_proxy(
    proxy: Proxy, iamdb: Any, sslmode: str, how: str
) -> None:
    """cancel(): libpq's PQcancel, a plain CancelRequest. cancel_safe(): libpq 17's PQcancelStart,
    which sends the CancelRequest inside TLS when the session has TLS."""
    mark = len(proxy.text())
    with psycopg.connect(proxy.url(sslmode=sslmode), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use is (sslmode == "require")
        server_pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        given = conn.info.backend_pid
        assert given == server_pid, "the server's pid; only the secret is the proxy's"
        sent: list[float] = []

        def cancel() -> None:
            sent.append(time.monotonic())
            getattr(conn, how)()

        t = when_sleeping(iamdb, server_pid, cancel)
        try:
            with pytest.raises(psycopg.errors.QueryCanceled) as e:
                conn.execute("select pg_sleep(60)")
            took = time.monotonic() - sent[0]
        finally:
            t.join()
        assert e.value.sqlstate == "57014"
        print(f"cancelled {took:.3f} s after {how}()")
        assert took < 1.0, f"cancelled {took:.2f} s after the cancel request"
        assert conn.execute("select 'still here'").fetchone() == ("still here",)
    forwarded = f"forwarded a cancel request for backend pid {given} (conn "
    wait_for("the forwarded cancel's log line", lambda: forwarded in proxy.text()[mark:], 5)


def test_a_cancel_request_with_a_wrong_key_cancels_nothing(proxy: Proxy, iamdb: Any) -> None:
    mark = len(proxy.text())
    with psycopg.connect(proxy.url(sslmode="disable"), autocommit=True) as conn:
        server_pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        given = conn.info.backend_pid

        def wrong_key() -> None:
            # The session's pid with a wrong secret, and a pid no session has.
            for pid in (given, server_pid + 1_000_000):
                with pgwire.Conn(proxy.port) as c:
                    c.send(pgwire.cancel_request(pid, b"\0\0\0\0"))
                    assert c.closed_by_peer()

        t = when_sleeping(iamdb, server_pid, wrong_key)
        try:
            assert conn.execute("select pg_sleep(1.5), 'not cancelled'").fetchone()[1] == (
                "not cancelled"
            )
        finally:
            t.join()
    assert proxy.text()[mark:].count("a cancel request matched no open session; ignored") == 2


def test_an_open_session_outlives_the_token_max_age(proxy: Proxy, iamdb: Any) -> None:
    """iamdb's max age stands for a token's 15 minutes: a session logged in before keeps
    working after its token could no longer log in."""
    with psycopg.connect(proxy.url(sslmode="disable"), autocommit=True) as conn:
        assert conn.execute("select current_user").fetchone() == ("iam_user",)
        iamdb.set_max_age(2)
        try:
            time.sleep(3.5)
            assert conn.execute("select current_user, 42").fetchone() == ("iam_user", 42)
            # The proxy's cached token is now too old for a new login: the wait was real.
            mark = iamdb.mark()
            error = pgwire.refused(proxy.port)
            assert error["C"] == "28000"
            assert [e["reason"] for e in iamdb.log_since(mark)] == ["expired"]
            assert conn.execute("select 'after the refusal'").fetchone() == ("after the refusal",)
        finally:
            iamdb.set_max_age(900)
