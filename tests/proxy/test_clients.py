"""Real clients log in to iamdb through `rds-iam proxy` with no password: psql (sslmode disable,
prefer, require, direct SSL; the unix socket), pg_dump, psycopg with a plain URL, node-postgres,
pgbench, pgbouncer in front of the proxy, and JDBC."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import StartProxy
from proxyrun import LOG_DIR, REPO, Proxy, client_env, run, wait_for

HERE = Path(__file__).resolve().parent
JDBC_JAR = "/usr/share/java/postgresql.jar"
TLS_LINE = "SSL connection (protocol: TLSv1.3"


def psql(conninfo: str, *args: str, **kw: Any) -> Any:
    return run(["psql", conninfo, "-X", "-At", "-v", "ON_ERROR_STOP=1", *args], **kw)


def logins(p: Proxy) -> int:
    return p.text().count("logged in as iam_user")


@pytest.mark.parametrize(
    ("sslmode", "tls"), [("disable", False), ("prefer", True), ("require", True)]
)
def test_psql_each_sslmode(proxy: Proxy, sslmode: str, tls: bool) -> None:
    out = psql(proxy.conninfo(sslmode=sslmode), "-c", "select current_user", "-c", r"\conninfo")
    assert out.stdout.splitlines()[0] == "iam_user"
    assert (TLS_LINE in out.stdout) is tls, out.stdout


def test_psql_against_a_proxy_without_client_tls(start_proxy: StartProxy) -> None:
    p = start_proxy()
    out = psql(p.conninfo(sslmode="prefer"), "-c", "select current_user", "-c", r"\conninfo")
    assert out.stdout.splitlines()[0] == "iam_user"
    assert "SSL connection" not in out.stdout
    refused = psql(p.conninfo(sslmode="require"), "-c", "select 1", check=False)
    assert refused.returncode == 2
    assert "server does not support SSL, but SSL was required" in refused.stderr
    assert logins(p) == 1


def test_direct_ssl_with_alpn(proxy: Proxy, start_proxy: StartProxy) -> None:
    """libpq 17+'s sslnegotiation=direct (psycopg's bundled libpq): TLS from the first byte."""
    assert psycopg.pq.version() >= 170000
    with psycopg.connect(proxy.url(sslmode="require", sslnegotiation="direct")) as conn:
        assert conn.execute("select current_user").fetchone() == ("iam_user",)
        assert conn.pgconn.ssl_in_use
    plain = start_proxy()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(plain.url(sslmode="require", sslnegotiation="direct"), connect_timeout=10)
    assert "client TLS is off: refused" in wait_for(
        "the refusal to be logged", lambda: "client TLS is off" in plain.text() and plain.text()
    )


def test_psql_over_the_unix_socket(start_proxy: StartProxy, iamdb: Any, tmp_path: Path) -> None:
    folder = tmp_path / "sockets"  # not there yet: the proxy makes it, 0700
    p = start_proxy("--unix-socket", str(folder), listen=False)
    sock = folder / f".s.PGSQL.{iamdb.pg_port}"
    assert p.socket_path == str(sock)
    d = os.stat(folder)
    assert (d.st_uid, stat.S_IMODE(d.st_mode)) == (os.geteuid(), 0o700)
    s = os.stat(sock)
    assert stat.S_ISSOCK(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o700
    out = psql(
        f"host={folder} port={iamdb.pg_port} user=iam_user dbname=iamdb",
        "-c",
        "select current_user",
        "-c",
        r"\conninfo",
    )
    assert out.stdout.splitlines()[0] == "iam_user"
    assert f'via socket in "{folder}"' in out.stdout
    assert p.stop() == 0
    assert not sock.exists(), "the socket is removed at exit"


@pytest.mark.parametrize("mode", [0o777, 0o755])
def test_a_socket_directory_others_can_use_is_refused(
    start_proxy: StartProxy, tmp_path: Path, mode: int
) -> None:
    """0755 too (issue 32, defect 7): others may not even reach the socket to try a login."""
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(mode)
    p = start_proxy("--unix-socket", str(folder), listen=False, wait=False)
    assert p.wait(30) != 0
    said = (
        f"must be a directory this user owns that nobody else may use (mode 0700; it is {mode:o})"
    )
    assert said in p.text()
    assert list(folder.iterdir()) == []


def test_pg_dump_of_a_table_made_through_the_proxy(proxy: Proxy) -> None:
    conninfo = proxy.conninfo(sslmode="disable")
    psql(
        conninfo,
        "-c",
        "drop table if exists proxy_dump",
        "-c",
        "create table proxy_dump (id int primary key, name text not null)",
        "-c",
        "insert into proxy_dump values (1, 'alpha'), (2, 'beta')",
    )
    dump = run(["pg_dump", "--no-owner", "-t", "proxy_dump", "-d", conninfo]).stdout
    assert "CREATE TABLE public.proxy_dump" in dump
    assert "PRIMARY KEY (id)" in dump
    assert "1\talpha\n2\tbeta\n" in dump


def test_psycopg_with_a_plain_url(proxy: Proxy) -> None:
    url = proxy.url()
    assert ":" not in url.split("@")[0].removeprefix("postgresql://"), "no password in the URL"
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_user").fetchone() == ("iam_user",)
        assert not conn.pgconn.used_password, "the proxy never asked the client for a password"
        assert conn.pgconn.ssl_in_use, "sslmode prefer, and the proxy offers TLS"


def test_node_postgres_with_a_plain_connection_string(proxy: Proxy) -> None:
    out = run(["node", str(HERE / "pg_who.js"), proxy.url()], cwd=REPO)
    got = json.loads(out.stdout)
    assert got["user"] == "iam_user"
    assert got["processID"] == got["backendPid"], "the server's pid, the proxy's secret"
    refused = run(
        ["node", str(HERE / "pg_who.js"), proxy.url(user="postgres")], cwd=REPO, check=False
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("28000 ")
    assert 'user "postgres" may not log in through this proxy' in refused.stderr


def test_pgbench_through_the_proxy(proxy: Proxy) -> None:
    env = client_env(PGSSLMODE="disable")
    who = ["-h", "127.0.0.1", "-p", str(proxy.port), "-U", "iam_user"]
    run(["pgbench", "-i", "-s", "1", "-q", *who, "iamdb"], env=env, timeout=120)
    out = run(["pgbench", "-S", "-n", "-T", "2", "-c", "2", "-j", "2", *who, "iamdb"], env=env)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    assert done and int(done.group(1)) > 0, out.stdout
    assert re.search(r"number of failed transactions: 0 \(", out.stdout), out.stdout


def test_pgbouncer_in_front_of_the_proxy(proxy: Proxy, tmp_path: Path) -> None:
    """pgbouncer refuses to run as root ('PgBouncer should not run as root'): started by root it
    takes `-u USER` and drops to it after reading its files. Clients log in to it with trust
    (an auth_file that names the user with an empty password); its server is the proxy."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "users.txt").write_text('"iam_user" ""\n')
    ini = tmp_path / "pgbouncer.ini"
    ini.write_text(f"""[databases]
iamdb = host=127.0.0.1 port={proxy.port} dbname=iamdb

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {tmp_path / "users.txt"}
pool_mode = session
server_tls_sslmode = prefer
""")
    before = logins(proxy)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "pgbouncer.txt", "wb") as log:
        bouncer = subprocess.Popen(
            ["pgbouncer", "-u", "nobody", str(ini)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                "pgbouncer to listen",
                lambda: "listening on 127.0.0.1" in (LOG_DIR / "pgbouncer.txt").read_text(),
            )
            conninfo = f"host=127.0.0.1 port={port} user=iam_user dbname=iamdb sslmode=disable"
            sql = "select current_user, pg_backend_pid()"
            first = psql(conninfo, "-c", sql).stdout.strip().split("|")
            second = psql(conninfo, "-c", sql).stdout.strip().split("|")
        finally:
            bouncer.terminate()
            bouncer.wait(10)
    assert first[0] == second[0] == "iam_user"
    # Session pooling keeps the server connection: the second client reused the proxy session.
    assert first[1] == second[1]
    assert logins(proxy) - before == 1


def test_jdbc_with_a_plain_url(proxy: Proxy, tmp_path: Path) -> None:
    run(["javac", "-d", str(tmp_path), str(HERE / "Who.java")], timeout=120)
    url = f"jdbc:postgresql://127.0.0.1:{proxy.port}/iamdb?user=iam_user&sslmode=disable"
    out = run(["java", "-cp", f"{JDBC_JAR}:{tmp_path}", "Who", url], timeout=120)
    assert out.stdout.strip() == "iam_user"
