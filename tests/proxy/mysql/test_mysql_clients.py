"""Real MySQL-family clients log in to iamdb's MariaDB through `rds-iam proxy --engine mysql`
with no password and run a query: the mysql and mariadb CLIs, mysqldump, PyMySQL, mysqlclient,
mysql-connector-python (C extension and pure Python), mysql2 and MariaDB Connector/J. A tap in
front of the proxy shows which auth plugin each answered with; each session keeps answering
past iamdb's max age."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Callable

import mysql.connector
import MySQLdb
import pymysql
import pytest
from mysqlrun import (
    USER,
    LineClient,
    connector_j,
    logins,
    mysql2_client,
    mysql_batch,
    mysql_cli,
    one,
    pymysql_connect,
)
from mywire import Response, Tap
from proxyrun import Proxy

pytest_plugins = ["mysql_fixtures"]

CACHING_SHA2 = "caching_sha2_password"

#: The connection ids the proxy gives its clients start here, above any server thread id.
PROXY_IDS = 1 << 30


def only_response(tap: Tap) -> Response:
    """The one handshake response the tap saw, sent in the clear."""
    [got] = tap.responses()
    assert isinstance(got, Response), got
    return got


@pytest.mark.parametrize("cli", ["mysql", "mariadb"])
def test_the_cli_logs_in_with_no_password(
    cli: str, mysql_proxy: Proxy, tap: Tap, iamdb: Any
) -> None:
    mark, before = iamdb.mark(), logins(mysql_proxy)
    out = mysql_cli(tap.port, "-e", r"SELECT CURRENT_USER(), CONNECTION_ID(); \s", cli=cli)
    user, conn_id = out.stdout.splitlines()[0].split("\t")
    assert user == f"{USER}@%"
    # The greeting's id is the proxy's (it greets before it dials; KILL with it is rewritten).
    greeted = re.search(r"Connection id:\t\t(\d+)\n", out.stdout)
    assert greeted and int(greeted.group(1)) >= PROXY_IDS > int(conn_id), out.stdout
    assert "SSL:\t\t\tNot in use" in out.stdout
    sent = only_response(tap)
    assert (sent.user, sent.plugin, sent.auth) == (USER, CACHING_SHA2, b"")
    assert sent.attributes["program_name"] == "mysql"  # mariadb is mysql's other name
    assert logins(mysql_proxy) == before + 1
    assert [(e["user"], e["outcome"]) for e in iamdb.log_since(mark)] == [(USER, "accept")]


def test_mysqldump_of_a_schema_made_through_the_proxy(mysql_proxy: Proxy, iamdb: Any) -> None:
    mysql_cli(
        mysql_proxy.port,
        iamdb.database,
        "-e",
        "DROP TABLE IF EXISTS proxy_dump;"
        " CREATE TABLE proxy_dump (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);"
        " INSERT INTO proxy_dump VALUES (1, 'alpha'), (2, 'beta');",
    )
    dump = mysql_cli(mysql_proxy.port, iamdb.database, "proxy_dump", cli="mysqldump").stdout
    assert "CREATE TABLE `proxy_dump` (" in dump
    assert "PRIMARY KEY (`id`)" in dump
    assert "INSERT INTO `proxy_dump` VALUES\n(1,'alpha'),\n(2,'beta');" in dump
    assert "-- Dump completed on " in dump


def _pymysql(port: int) -> tuple[Any, int]:
    c = pymysql_connect(port)
    return c, c.thread_id()


def _mysqlclient(port: int) -> tuple[Any, int]:
    c = MySQLdb.connect(host="127.0.0.1", port=port, user=USER, connect_timeout=20)
    return c, c.thread_id()


def _connector(use_pure: bool) -> Callable[[int], tuple[Any, int]]:
    def connect(port: int) -> tuple[Any, int]:
        c = mysql.connector.connect(
            host="127.0.0.1", port=port, user=USER, use_pure=use_pure, connection_timeout=20
        )
        assert type(c).__name__ == ("MySQLConnection" if use_pure else "CMySQLConnection")
        return c, c.connection_id

    return connect


# driver → (connect, the auth data it answers caching_sha2_password with when it has no password)
PYTHON_DRIVERS = {
    "pymysql": (_pymysql, b""),
    "mysqlclient": (_mysqlclient, b""),
    # libmysqlclient sends an empty password as one NUL byte (and then wants the OK at once)
    "mysql-connector-c": (_connector(False), b"\0"),
    "mysql-connector-pure": (_connector(True), b""),
}


@pytest.mark.parametrize("driver", list(PYTHON_DRIVERS))
def test_python_driver_logs_in_with_no_password(driver: str, mysql_proxy: Proxy, tap: Tap) -> None:
    connect, empty = PYTHON_DRIVERS[driver]
    conn, thread_id = connect(tap.port)
    try:
        user, server_id = one(conn, "SELECT CURRENT_USER(), CONNECTION_ID()")
        assert user == f"{USER}@%" and thread_id >= PROXY_IDS > server_id, (thread_id, server_id)
    finally:
        conn.close()
    sent = only_response(tap)
    assert (sent.user, sent.plugin, sent.auth) == (USER, CACHING_SHA2, empty)


def test_mysql2_logs_in_with_no_password(mysql_proxy: Proxy, tap: Tap) -> None:
    client = mysql2_client(tap.port)
    try:
        thread_id = int(client.line().removeprefix('{"threadId":').removesuffix("}"))
        got = client.ask("query\tSELECT CURRENT_USER(), CONNECTION_ID()")
        [[user, server_id]] = json.loads(got)["rows"]
        assert user == f"{USER}@%" and thread_id >= PROXY_IDS > int(server_id), got
    finally:
        assert client.close() == 0
    sent = only_response(tap)
    assert (sent.user, sent.plugin, sent.auth) == (USER, CACHING_SHA2, b"")
    assert sent.attributes["_client_name"] == "Node-MySQL-2"


def test_connector_j_logs_in_with_no_password(
    mysql_proxy: Proxy, tap: Tap, java_classes: Path, iamdb: Any
) -> None:
    url = f"jdbc:mariadb://127.0.0.1:{tap.port}/{iamdb.database}?user={USER}"
    client = connector_j(java_classes, url)
    try:
        thread_id = int(client.line().removeprefix("thread "))
        got = client.ask("query\tSELECT CURRENT_USER(), CONNECTION_ID()")
        _, user, server_id = got.split("\t")
        assert user == f"{USER}@%" and thread_id >= PROXY_IDS > int(server_id), got
    finally:
        assert client.close() == 0
    sent = only_response(tap)
    # Connector/J 2.7 answers with its own default plugin, whatever the greeting names: the
    # proxy takes any answer (it checks no password).
    assert (sent.user, sent.plugin, sent.auth) == (USER, "mysql_native_password", b"")
    assert sent.attributes["_client_name"] == "MariaDB Connector/J"


def test_open_sessions_keep_answering_past_the_max_age(
    mysql_proxy: Proxy, iamdb: Any, java_classes: Path, max_age: Callable[[int], None]
) -> None:
    """One session of each client, opened before iamdb's max age drops to 3 s; after a wait
    past it every one still answers on the same server thread, and no login happened. The
    proof the max age is live: a new login through the proxy now is refused, its cached token
    being older than 3 s."""
    port = mysql_proxy.port
    url = f"jdbc:mariadb://127.0.0.1:{port}/{iamdb.database}?user={USER}"
    dbapi = {name: connect(port)[0] for name, (connect, _) in PYTHON_DRIVERS.items()}
    lines: dict[str, LineClient] = {
        "mysql": mysql_batch(port),
        "mysql2": mysql2_client(port),
        "connector/j": connector_j(java_classes, url),
    }
    ask = {
        "mysql": lambda sql: lines["mysql"].ask(sql + ";").split("\t"),
        "mysql2": lambda sql: json.loads(lines["mysql2"].ask("query\t" + sql))["rows"][0],
        "connector/j": lambda sql: lines["connector/j"].ask("query\t" + sql).split("\t")[1:],
    }
    try:
        lines["mysql2"].line()
        lines["connector/j"].line()
        before = {name: one(c, "SELECT CONNECTION_ID()")[0] for name, c in dbapi.items()}
        before.update({name: int(q("SELECT CONNECTION_ID()")[0]) for name, q in ask.items()})
        assert len(set(before.values())) == len(before) == 7, before
        max_age(3)
        mark = iamdb.mark()
        time.sleep(3 + 1.5)
        after = {name: one(c, "SELECT CONNECTION_ID()")[0] for name, c in dbapi.items()}
        after.update({name: int(q("SELECT CONNECTION_ID()")[0]) for name, q in ask.items()})
        assert after == before
        assert iamdb.log_since(mark) == [], "no client logged in again"
        with pytest.raises(pymysql.OperationalError) as refused:
            pymysql_connect(port)
        assert refused.value.args[0] == 1045
        assert [e["reason"] for e in iamdb.log_since(mark)] == ["expired"]
    finally:
        for c in dbapi.values():
            c.close()
        for client in lines.values():
            assert client.close() == 0
