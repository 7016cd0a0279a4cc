"""rds_iam.Proxy: the in-process IAM auth proxy, against iamdb. A client connects to ``p.url``
with no password; the proxy logs in upstream with a token (verify-full against iamdb's RDS name
through ``sign_host``, iamdb's CA as ``ca``)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import psycopg
import pytest

import rds_iam

WHO = "SELECT current_user"


@pytest.fixture
def signer(db: Any) -> rds_iam.Signer:
    """iamdb dialled at 127.0.0.1, its certificate checked against its RDS name."""
    return rds_iam.Signer(db.host, db.pg_port, db.user, region=db.region, sign_host=db.rds_host)


def start(db: Any, signer: rds_iam.Signer, **kw: Any) -> rds_iam.Proxy:
    return rds_iam.Proxy(signer, database=db.database, ca=db.ca_file, **kw)


def refused(port: int) -> bool:
    """Nothing listens on the port (a connection reset: the listener is closing)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False


def wait_for(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_client_logs_in_with_no_password(db: Any, signer: rds_iam.Signer) -> None:
    mark = db.mark()
    with start(db, signer) as p:
        assert p.host == "127.0.0.1" and p.port > 0
        expected = f"postgresql://{db.user}@127.0.0.1:{p.port}/{db.database}?sslmode=disable"
        assert unquote(p.url) == expected  # the user and database percent-encoded
        with psycopg.connect(p.url) as conn:
            assert conn.execute(WHO).fetchone() == (db.user,)
            assert not conn.pgconn.used_password, "the proxy never asked the client for one"
            assert p.open_sessions == 1
        wait_for(lambda: p.open_sessions == 0)
    entries = [e for e in db.log_since(mark) if e["server"] == "pg"]
    assert [e["outcome"] for e in entries] == ["accept"]


def test_a_user_not_allowed_gets_28000_without_the_allowed_list(
    db: Any, signer: rds_iam.Signer
) -> None:
    import asyncpg

    with start(db, signer) as p:
        with pytest.raises(psycopg.OperationalError) as e:
            psycopg.connect(f"postgresql://someone_else@127.0.0.1:{p.port}/x?sslmode=disable")
        assert 'user "someone_else" may not log in' in str(e.value)
        assert "allowed" not in str(e.value)  # the users list is the proxy's log's

        async def login() -> None:
            await asyncpg.connect(
                host="127.0.0.1", port=p.port, user="someone_else", database="x", ssl=False
            )

        with pytest.raises(asyncpg.PostgresError) as a:
            asyncio.run(login())
        assert a.value.sqlstate == "28000"
        assert "allowed" not in str(a.value)


def test_users_lists_who_may_log_in(db: Any, signer: rds_iam.Signer) -> None:
    with start(db, signer, users=["reader", db.user]) as p:
        with psycopg.connect(p.url) as conn:
            assert conn.execute(WHO).fetchone() == (db.user,)
        with pytest.raises(psycopg.OperationalError, match='user "admin" may not log in'):
            psycopg.connect(f"postgresql://admin@127.0.0.1:{p.port}/x?sslmode=disable")


def test_after_close_the_port_refuses_connections(db: Any, signer: rds_iam.Signer) -> None:
    p = start(db, signer)
    port = p.port
    assert not refused(port)
    assert not p.closed
    p.close()
    assert p.closed and p.open_sessions == 0
    assert refused(port)
    p.close()  # idempotent
    assert p.url.endswith(f":{port}/{db.database}?sslmode=disable")  # still readable
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(p.url, connect_timeout=3)


def test_close_drains_open_sessions_with_the_gil_released(db: Any, signer: rds_iam.Signer) -> None:
    """close() waits for the open session, which another Python thread uses and then ends."""
    p = start(db, signer)
    conn = psycopg.connect(p.url)
    used_while_draining: list[Any] = []

    def finish() -> None:
        time.sleep(0.3)
        used_while_draining.append(conn.execute(WHO).fetchone())
        conn.close()

    t = threading.Thread(target=finish)
    t.start()
    began = time.monotonic()
    p.close()  # would deadlock (or wait the whole 5 s drain) if it held the GIL
    took = time.monotonic() - began
    t.join()
    assert used_while_draining == [(db.user,)]
    assert 0.2 < took < 4.5, took
    assert refused(p.port)


def test_client_tls_auto_serves_sslmode_require(db: Any, signer: rds_iam.Signer) -> None:
    with start(db, signer, client_tls="auto") as p:
        url = p.url.replace("sslmode=disable", "sslmode=require")
        with psycopg.connect(url) as conn:
            assert conn.execute(WHO).fetchone() == (db.user,)
            assert conn.info.pgconn.ssl_in_use


def test_client_tls_required_refuses_a_plaintext_client_with_28000(
    db: Any, signer: rds_iam.Signer
) -> None:
    with start(db, signer, client_tls="auto", client_tls_required=True) as p:
        with pytest.raises(psycopg.OperationalError, match="requires TLS") as e:
            psycopg.connect(p.url)
        assert "HINT:  turn TLS on in the client: sslmode=require" in str(e.value)
        with psycopg.connect(p.url.replace("sslmode=disable", "sslmode=require")) as conn:
            assert conn.execute(WHO).fetchone() == (db.user,)
    with pytest.raises(rds_iam.InvalidArgument, match="`client_tls_required`"):
        rds_iam.Proxy(signer, client_tls_required=True)


def test_max_connections_refuses_past_the_limit_with_53300(db: Any, signer: rds_iam.Signer) -> None:
    with start(db, signer, max_connections=1) as p, psycopg.connect(p.url) as first:
        assert first.execute(WHO).fetchone() == (db.user,)
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            psycopg.connect(p.url)


def test_a_bad_ca_path_is_invalid_argument_naming_it(
    db: Any, signer: rds_iam.Signer, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(rds_iam.InvalidArgument) as e:
        rds_iam.Proxy(signer, ca=missing)
    assert e.value.code == "InvalidArgument"
    assert "`ca`" in str(e.value) and str(missing) in str(e.value)
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificates\n")
    with pytest.raises(rds_iam.InvalidArgument, match="holds no certificate"):
        rds_iam.Proxy(signer, ca=str(empty))


def test_argument_errors(signer: rds_iam.Signer, tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        rds_iam.Proxy("not a signer")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="users must be a list"):
        rds_iam.Proxy(signer, users="app")  # type: ignore[arg-type]
    with pytest.raises(rds_iam.InvalidArgument, match=r"`listen`.*not an IP address and port"):
        rds_iam.Proxy(signer, listen="localhost:5433")
    with pytest.raises(rds_iam.InvalidArgument, match=r"`listen`.*not a loopback address"):
        rds_iam.Proxy(signer, listen="0.0.0.0:0")
    with pytest.raises(TypeError, match="listen must be a str"):
        rds_iam.Proxy(signer, listen=5433)  # type: ignore[arg-type]
    with pytest.raises(rds_iam.InvalidArgument, match="`client_tls`"):
        rds_iam.Proxy(signer, client_tls="on")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="client_tls must be"):
        rds_iam.Proxy(signer, client_tls=True)  # type: ignore[arg-type]
    with pytest.raises(rds_iam.InvalidArgument, match=r"`client_tls`.*cannot read the certificate"):
        rds_iam.Proxy(signer, client_tls=(tmp_path / "c.pem", tmp_path / "k.pem"))
    with pytest.raises(rds_iam.InvalidArgument, match="`max_connections`"):
        rds_iam.Proxy(signer, max_connections=-1)


def test_listen_on_a_port_of_ones_choosing_and_a_port_taken(
    db: Any, signer: rds_iam.Signer
) -> None:
    with start(db, signer) as first:
        taken = f"127.0.0.1:{first.port}"
        with pytest.raises(rds_iam.InvalidArgument, match=r"`listen`.*cannot listen"):
            start(db, signer, listen=taken)
    with start(db, signer, listen=taken) as again:
        assert again.port == first.port
        with psycopg.connect(again.url) as conn:
            assert conn.execute(WHO).fetchone() == (db.user,)


def test_repr_and_logs_show_no_secret(
    db: Any, signer: rds_iam.Signer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rds_iam.proxy")
    with start(db, signer) as p:
        with psycopg.connect(p.url) as conn:
            conn.execute(WHO)
        text = repr(p)
        assert text.startswith(f"Proxy(url={p.url!r}, upstream='{db.host}:{db.pg_port}'"), text
    assert repr(p).endswith("closed)")
    token = signer.token()
    shown = [text, repr(p), caplog.text]
    secrets = (db.secret_access_key, token, "X-Amz-Signature")
    assert all(secret not in s for s in shown for secret in secrets)
    assert any(r.name == "rds_iam.proxy" for r in caplog.records), caplog.text


def test_a_proxy_dropped_unclosed_closes_its_port(db: Any, signer: rds_iam.Signer) -> None:
    p = start(db, signer)
    port = p.port
    del p
    wait_for(lambda: refused(port))


def test_mysql_a_client_logs_in_with_no_password(db: Any) -> None:
    import pymysql

    signer = rds_iam.Signer(
        db.host, db.mysql_port, db.user, region=db.region, sign_host=db.rds_host
    )
    with start(db, signer, engine="mysql") as p:
        assert unquote(p.url) == f"mysql://{db.user}@127.0.0.1:{p.port}/{db.database}"
        conn = pymysql.connect(host=p.host, port=p.port, user=db.user, database=db.database)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")
                assert cur.fetchone() == (db.user,)
        finally:
            conn.close()
        with pytest.raises(pymysql.err.OperationalError) as e:
            pymysql.connect(host=p.host, port=p.port, user="someone_else")
        assert e.value.args[0] == 1045
        assert 'user "someone_else" may not log in' in e.value.args[1]
        assert "allowed" not in e.value.args[1]
    with pytest.raises(rds_iam.InvalidArgument, match=r"`engine`.*not an engine"):
        rds_iam.Proxy(signer, engine="oracle")  # type: ignore[arg-type]
