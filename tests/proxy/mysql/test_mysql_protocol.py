"""What MySQL clients ask for survives the proxy: every capability flag a real client sends
reaches the server (seen by a fake server behind the proxy, next to what the client sent the
proxy), the database and collation of the handshake, multi-statements and multi-results,
server-side prepared statements, 16 MB packet splits (a 20 MB BLOB), KILL QUERY with the id the
client saw (from a second connection, and the mysql CLI's Ctrl-C), client TLS; compression is
never negotiated, and a client that insists gets a clear error."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import mysql.connector
import MySQLdb
import pymysql
import pytest
from mysqlrun import (
    USER,
    connector_j,
    my_env,
    mysql2_client,
    mysql_cli,
    mysql_upstream,
    one,
    pymysql_connect,
)
from mywire import (
    CLIENT_COMPRESS,
    CLIENT_DEPRECATE_EOF,
    CLIENT_MULTI_STATEMENTS,
    SESSION_FLAGS,
    FakeServer,
    RawClient,
    Response,
    Tap,
    parse_err,
)
from proxyrun import Proxy, run

pytest_plugins = ["mysql_fixtures"]

StartMysql = Callable[..., Proxy]

#: The connection ids the proxy gives its clients start here, above any server thread id.
PROXY_IDS = 1 << 30


# ---- capabilities ----------------------------------------------------------------------------


@pytest.fixture
def behind_a_fake_server(
    iamdb: Any, start_mysql: StartMysql
) -> Iterator[tuple[Tap, FakeServer, int]]:
    """client → tap → proxy → a fake server that greets with iamdb's MariaDB's own capabilities
    and version (read from its greeting) and records what the proxy sends."""
    with RawClient(iamdb.mysql_port) as real:
        assert real.greeting is not None
        caps, version = real.greeting.capabilities, real.greeting.version
    fake = FakeServer(os.path.dirname(iamdb.ca_file), caps, version)
    p = start_mysql(target=mysql_upstream(iamdb, port=fake.port, sign_host=iamdb.rds_host))
    tap = Tap(p.port)
    try:
        yield tap, fake, caps
    finally:
        tap.close()
        fake.close()
    assert fake.errors == []


def _fake_pymysql(port: int) -> None:
    pymysql_connect(
        port,
        database="iamdb",
        charset="utf8mb4",
        client_flag=CLIENT_MULTI_STATEMENTS,
        program_name="proxy-test",
    ).close()


def _fake_mysqlclient(port: int) -> None:
    MySQLdb.connect(host="127.0.0.1", port=port, user=USER, database="iamdb").close()


def _fake_connector_c(port: int) -> None:
    mysql.connector.connect(
        host="127.0.0.1", port=port, user=USER, database="iamdb", use_pure=False
    ).close()


def _fake_mysql_cli(port: int) -> None:
    mysql_cli(port, "iamdb", "-e", "DO 1", "--default-character-set=latin1")


def _fake_mysql2(port: int) -> None:
    client = mysql2_client(port, "iamdb")
    client.line()
    assert client.close() == 0


FAKE_CLIENTS = {
    "pymysql": _fake_pymysql,
    "mysqlclient": _fake_mysqlclient,
    "mysql-connector-c": _fake_connector_c,
    "mysql": _fake_mysql_cli,
    "mysql2": _fake_mysql2,
}


@pytest.mark.parametrize("client", list(FAKE_CLIENTS))
def test_each_flag_a_client_sends_reaches_the_server(
    client: str, behind_a_fake_server: tuple[Tap, FakeServer, int]
) -> None:
    tap, fake, server_caps = behind_a_fake_server
    FAKE_CLIENTS[client](tap.port)
    [sent] = tap.responses()
    [login] = fake.logins
    assert isinstance(sent, Response) and login.response is not None
    up = login.response
    # Each session flag the client chose (of those the server offers) is there upstream, and
    # no other.
    chosen = {k for k, v in SESSION_FLAGS.items() if sent.capabilities & server_caps & v}
    upstream = {k for k, v in SESSION_FLAGS.items() if up.capabilities & v}
    assert upstream == chosen, (sorted(chosen), sorted(upstream))
    assert "CLIENT_CONNECT_ATTRS" in chosen
    assert up.attributes == sent.attributes and sent.attributes
    assert (up.user, up.database, up.charset) == (sent.user, "iamdb", sent.charset)
    assert up.max_packet == sent.max_packet
    # Upstream: TLS first, then the token (never seen here, only its shape) on the switch.
    assert login.ssl_caps is not None and login.ssl_caps & up.capabilities == up.capabilities
    assert login.token_shaped and login.token_len > 100


def test_deprecate_eof_is_what_connector_j_and_libmysqlclient_ask_for(
    behind_a_fake_server: tuple[Tap, FakeServer, int],
) -> None:
    """CLIENT_DEPRECATE_EOF (result sets end with an OK, not an EOF) must agree on both legs or
    every result set is misread; these two clients ask for it (mysql2 3.x knows no such flag)."""
    tap, fake, server_caps = behind_a_fake_server
    assert server_caps & CLIENT_DEPRECATE_EOF
    _fake_connector_c(tap.port)
    [sent] = tap.responses()
    assert isinstance(sent, Response) and sent.capabilities & CLIENT_DEPRECATE_EOF
    assert fake.logins[0].response is not None
    assert fake.logins[0].response.capabilities & CLIENT_DEPRECATE_EOF


def test_connector_j_with_deprecate_eof_and_server_side_prepared_statements(
    mysql_proxy: Proxy, tap: Tap, java_classes: Path, iamdb: Any
) -> None:
    url = f"jdbc:mariadb://127.0.0.1:{tap.port}/{iamdb.database}?user={USER}"
    client = connector_j(java_classes, url + "&useServerPrepStmts=true")
    try:
        client.line()
        rows = "SELECT seq, CONCAT('row ', seq) FROM seq_1_to_500 ORDER BY seq DESC"
        assert client.ask("query\t" + rows) == "row\t500\trow 500"
        before = client.ask("query\tSHOW SESSION STATUS LIKE 'Com_stmt_prepare'")
        assert (
            client.ask("prepare\tSELECT CAST(? AS SIGNED) + 1, CONCAT(?, '!')\t41\thé")
            == "row\t42\thé!"
        )
        after = client.ask("query\tSHOW SESSION STATUS LIKE 'Com_stmt_prepare'")
        assert int(after.split("\t")[2]) == int(before.split("\t")[2]) + 1, "server-side"
    finally:
        assert client.close() == 0
    [sent] = tap.responses()
    assert isinstance(sent, Response) and sent.capabilities & CLIENT_DEPRECATE_EOF


def test_mysql2_execute_is_a_server_side_prepared_statement(mysql_proxy: Proxy, iamdb: Any) -> None:
    client = mysql2_client(mysql_proxy.port, iamdb.database)
    try:
        client.line()
        prepared = "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'"
        assert client.ask("query\t" + prepared) == '{"rows":[["Com_stmt_prepare","0"]]}'
        got = client.ask("execute\tSELECT ? + 1 AS n, CONCAT(?, '!') AS s\t[41, \"hé\"]")
        assert json.loads(got) == {"rows": [["42", "hé!"]]}
        assert client.ask("query\t" + prepared) == '{"rows":[["Com_stmt_prepare","1"]]}'
        # multipleStatements: true (CLIENT_MULTI_STATEMENTS): one result set per statement
        assert client.ask("query\tSELECT 1; SELECT 2") == '{"rows":[["1"],["2"]]}'
    finally:
        assert client.close() == 0


def test_the_database_and_collation_of_the_handshake(mysql_proxy: Proxy, iamdb: Any) -> None:
    port = mysql_proxy.port
    sql = "SELECT DATABASE(), @@character_set_client, @@collation_connection"
    cli = mysql_cli(port, "-D", iamdb.database, "--default-character-set=latin1", "-e", sql)
    assert cli.stdout.split() == [iamdb.database, "latin1", "latin1_swedish_ci"]
    with pymysql_connect(port, database=iamdb.database, charset="utf8mb4") as conn:
        assert one(conn, sql) == (iamdb.database, "utf8mb4", "utf8mb4_general_ci")
    with pymysql_connect(port, charset="utf8mb4", collation="utf8mb4_unicode_ci") as conn:
        # PyMySQL names the collation in the handshake (224) and again with SET NAMES.
        assert one(conn, sql) == (None, "utf8mb4", "utf8mb4_unicode_ci")
    client = mysql2_client(port, iamdb.database)
    try:
        client.line()
        got = json.loads(client.ask("query\t" + sql))
        assert got == {"rows": [[iamdb.database, "utf8mb4", "utf8mb4_unicode_ci"]]}
    finally:
        assert client.close() == 0


def test_multi_statements_and_multi_results(mysql_proxy: Proxy, iamdb: Any) -> None:
    port = mysql_proxy.port
    with pymysql_connect(port, database=iamdb.database, client_flag=CLIENT_MULTI_STATEMENTS) as c:
        cur = c.cursor()
        cur.execute("SELECT 1; SELECT 2, 3")
        assert cur.fetchall() == ((1,),)
        assert cur.nextset() and cur.fetchall() == ((2, 3),)
        cur.execute("DROP PROCEDURE IF EXISTS proxy_two_results")
        cur.execute("CREATE PROCEDURE proxy_two_results() BEGIN SELECT 'a'; SELECT 'b', 'c'; END")
        cur.execute("CALL proxy_two_results()")
        assert cur.fetchall() == (("a",),)
        assert cur.nextset() and cur.fetchall() == (("b", "c"),)
    # Without the flag the server takes the same text as one (bad) statement.
    with pymysql_connect(port) as c, pytest.raises(pymysql.err.ProgrammingError) as e:
        c.cursor().execute("SELECT 1; SELECT 2, 3")
    assert e.value.args[0] == 1064


def test_compression_is_not_negotiated_and_insisting_gets_a_clear_error(
    mysql_proxy: Proxy,
) -> None:
    """The greeting offers no compression, so `mysql --compress` (libmariadb) goes on without
    it; a client that sets the flag anyway (mysql-connector-python in pure Python) is refused
    with 1043 saying why, never a 'Malformed communication packet' mid-session."""
    port = mysql_proxy.port
    with RawClient(port) as raw:
        assert raw.greeting is not None and not raw.greeting.capabilities & CLIENT_COMPRESS
    out = mysql_cli(port, "--compress", "-e", r"SELECT 'uncompressed'; \s")
    assert out.stdout.startswith("uncompressed\n")
    assert "Protocol:\t\tCompressed" not in out.stdout
    with pytest.raises(mysql.connector.errors.OperationalError) as refused:
        mysql.connector.connect(
            host="127.0.0.1", port=port, user=USER, compress=True, use_pure=True
        )
    assert (refused.value.errno, refused.value.sqlstate) == (1043, "08S01")
    assert "compression was not offered and is not supported through the proxy" in str(
        refused.value
    )
    with RawClient(port) as raw:
        seq, answer = raw.login(USER, extra_caps=CLIENT_COMPRESS)
        code, state, message = parse_err(answer)
    assert (seq, code, state) == (2, 1043, "08S01")
    assert message.endswith("; turn it off")


# ---- big packets -----------------------------------------------------------------------------


def test_a_20_mb_blob_round_trip(mysql_proxy: Proxy, iamdb: Any, big_packets: int) -> None:
    """20 MB each way: over MySQL's 16 MB packet limit, so both the INSERT and the row come
    as split packets (0xffffff-byte pieces and a last shorter one)."""
    blob = os.urandom(20 << 20)
    digest = hashlib.sha256(blob).hexdigest()
    with pymysql_connect(
        mysql_proxy.port, database=iamdb.database, max_allowed_packet=big_packets
    ) as conn:
        assert one(conn, "SELECT @@max_allowed_packet") == (big_packets,)
        cur = conn.cursor()
        cur.execute("DROP TABLE IF EXISTS proxy_blob")
        cur.execute("CREATE TABLE proxy_blob (id INT PRIMARY KEY, b LONGBLOB NOT NULL)")
        cur.execute("INSERT INTO proxy_blob VALUES (1, %s)", (blob,))
        conn.commit()
        assert one(conn, "SELECT LENGTH(b), SHA2(b, 256) FROM proxy_blob") == (20 << 20, digest)
        (back,) = one(conn, "SELECT b FROM proxy_blob WHERE id = 1")
        cur.execute("DROP TABLE proxy_blob")
    assert hashlib.sha256(back).hexdigest() == digest


# ---- KILL QUERY ------------------------------------------------------------------------------


def test_kill_query_from_a_second_connection(mysql_proxy: Proxy) -> None:
    """The connection id a client sees (the greeting's) is the proxy's (it greets before it
    dials); KILL QUERY with it, sent through another proxy connection, is rewritten to the
    server thread's id and stops that client's query."""
    victim, killer = pymysql_connect(mysql_proxy.port), pymysql_connect(mysql_proxy.port)
    try:
        thread_id = victim.thread_id()
        (server_id,) = one(victim, "SELECT CONNECTION_ID()")
        assert thread_id >= PROXY_IDS and server_id < PROXY_IDS, (thread_id, server_id)
        outcome: dict[str, Any] = {}

        def sleep() -> None:
            try:
                outcome["rows"] = one(victim, "SELECT SLEEP(60)")
            except pymysql.err.OperationalError as e:
                outcome["error"] = e.args
            outcome["at"] = time.monotonic()

        t = threading.Thread(target=sleep)
        t.start()
        wait_sleeping(killer, server_id)
        killed_at = time.monotonic()
        killer.cursor().execute(f"KILL QUERY {thread_id}")
        t.join(30)
        assert outcome["error"] == (1317, "Query execution was interrupted"), outcome
        # At once (a few ms here); the bound leaves room for a busy machine, far below 60 s.
        assert outcome["at"] - killed_at < 1.5, outcome["at"] - killed_at
        assert one(victim, "SELECT 'still connected'") == ("still connected",)
    finally:
        victim.close()
        killer.close()


def wait_sleeping(conn: Any, thread_id: int | None = None) -> int:
    """Until a thread (`thread_id`, or any of this user's) runs its SELECT SLEEP(60) (a user
    sees its own threads); its id."""
    sql = "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(60)'"
    deadline = time.monotonic() + 20
    while True:
        cur = conn.cursor()
        cur.execute(sql + ("" if thread_id is None else f" AND ID = {thread_id}"))
        rows = cur.fetchall()
        if rows:
            return int(rows[0][0])
        assert time.monotonic() < deadline, "the query never started"
        time.sleep(0.05)


class Terminal:
    """A program on a pseudo-terminal, as a person runs it."""

    def __init__(self, cmd: list[str]) -> None:
        self.master, follower = pty.openpty()
        env = {**my_env(), "TERM": "dumb"}
        print(f"=== on a terminal: {' '.join(cmd)}")
        self.proc = subprocess.Popen(
            cmd, stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True
        )
        os.close(follower)
        self.screen = b""

    def expect(self, text: bytes, timeout: float = 30.0) -> bytes:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            ready, _, _ = select.select([self.master], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.screen.decode()}")
            try:
                self.screen += os.read(self.master, 4096)
            except OSError as e:  # EIO: the program exited
                raise AssertionError(f"{e}; the screen:\n{self.screen.decode()}") from None
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def close(self) -> int:
        print(f"--- the terminal:\n{self.screen.decode(errors='replace')}")
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise
        finally:
            os.close(self.master)


def test_ctrl_c_in_the_mysql_cli_kills_the_query(mysql_proxy: Proxy) -> None:
    """The mysql CLI's Ctrl-C opens a second connection to the same address (the proxy) and
    sends KILL QUERY <the id from its greeting>."""
    term = Terminal(
        ["mysql", "--no-defaults", "-h", "127.0.0.1", "-P", str(mysql_proxy.port), "-u", USER]
    )
    try:
        term.expect(b"> ")
        term.type("SELECT SLEEP(60);")
        with pymysql_connect(mysql_proxy.port) as watcher:
            wait_sleeping(watcher)
        pressed = time.monotonic()
        term.proc.send_signal(signal.SIGINT)  # what the terminal sends for Ctrl-C
        term.expect(b"ERROR 1317 (70100): Query execution was interrupted")
        took = time.monotonic() - pressed
        assert b"Ctrl-C -- query killed." in term.screen
        assert took < 2.0, took
        term.type("SELECT CONCAT('still', ' here') AS s;")
        term.expect(b"| still here |")
        term.type("quit")
    finally:
        assert term.close() == 0


# ---- client TLS ------------------------------------------------------------------------------


def test_mysql_ssl_to_the_proxy(mysql_tls_proxy: Proxy) -> None:
    out = mysql_cli(mysql_tls_proxy.port, "--ssl", "-e", r"SELECT CURRENT_USER(); \s")
    assert out.stdout.startswith(f"{USER}@%\n")
    assert "SSL:\t\t\tCipher in use is TLS_" in out.stdout
    # auto's certificate is self-signed: a client that verifies it refuses it.
    refused = mysql_cli(
        mysql_tls_proxy.port, "--ssl-verify-server-cert", "-e", "SELECT 1", check=False
    )
    assert refused.returncode == 1 and "self-signed certificate" in refused.stderr


def test_pymysql_ssl_to_the_proxy(mysql_tls_proxy: Proxy) -> None:
    with pymysql.connect(
        host="127.0.0.1", port=mysql_tls_proxy.port, user=USER, ssl={}, connect_timeout=20
    ) as conn:
        assert conn._sock.version() == "TLSv1.3"  # type: ignore[union-attr]
        assert one(conn, "SELECT CURRENT_USER()") == (f"{USER}@%",)


def test_a_verified_tls_client_with_the_proxys_own_certificate(
    start_mysql: StartMysql, iamdb: Any
) -> None:
    """--client-tls CERT:KEY (iamdb's server certificate, which names 127.0.0.1): the mysql CLI
    verifies it against its CA."""
    tls = Path(iamdb.ca_file).parent
    p = start_mysql("--client-tls", f"{tls / 'server.pem'}:{tls / 'server.key'}")
    verified = ["--ssl-ca", iamdb.ca_file, "--ssl-verify-server-cert"]
    out = mysql_cli(p.port, *verified, "-e", r"SELECT CURRENT_USER(); \s")
    assert out.stdout.startswith(f"{USER}@%\n")
    assert "SSL:\t\t\tCipher in use is TLS_" in out.stdout
    plain = run(
        [
            "mysql",
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            str(p.port),
            "-u",
            USER,
            "--ssl=0",
            "-N",
            "-e",
            "SELECT 'plain'",
        ],
        env=my_env(),
    )
    assert plain.stdout == "plain\n"


# ---- session reset -----------------------------------------------------------------------------


@pytest.mark.parametrize("use_pure", [True, False], ids=["pure", "c-extension"])
def test_com_reset_connection_works(mysql_proxy: Proxy, use_pure: bool) -> None:
    """COM_RESET_CONNECTION (what pools should reset sessions with) needs no login: it passes
    through the splice and clears the session on the same server thread."""
    conn = mysql.connector.connect(
        host="127.0.0.1", port=mysql_proxy.port, user=USER, use_pure=use_pure
    )
    try:
        cur = conn.cursor()
        cur.execute("SET @proxy_reset = 42")
        cur.execute("SELECT @proxy_reset, CONNECTION_ID()")
        (value, thread_id), *_ = cur.fetchall()
        assert value == 42
        conn.cmd_reset_connection()
        cur = conn.cursor()
        cur.execute("SELECT @proxy_reset, CONNECTION_ID()")
        assert cur.fetchall() == [(None, thread_id)]
    finally:
        conn.close()


def test_com_change_user_cannot_work_through_the_proxy(mysql_proxy: Proxy, iamdb: Any) -> None:
    """COM_CHANGE_USER logs in again, inside the spliced session: the server asks the client for
    the user's password (a cleartext one, for an IAM user), and the client has none — the token
    stays in the proxy, which parses nothing after the login. It fails, no token is tried, and
    the session is lost; a new connection logs in as usual."""
    conn = MySQLdb.connect(host="127.0.0.1", port=mysql_proxy.port, user=USER)
    mark = iamdb.mark()
    try:
        with pytest.raises(MySQLdb.Error):
            conn.change_user(USER, "", iamdb.database)
        with pytest.raises(MySQLdb.Error):
            one(conn, "SELECT 1")
    finally:
        conn.close()
    assert iamdb.log_since(mark) == [], "no login attempt reached the database's PAM"
    with pymysql_connect(mysql_proxy.port) as again:
        assert one(again, "SELECT CURRENT_USER()") == (f"{USER}@%",)
