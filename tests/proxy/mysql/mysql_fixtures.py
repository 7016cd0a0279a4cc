"""Fixtures of the MySQL proxy tests: test_mysql_*.py load this module with `pytest_plugins`
(a conftest.py here would shadow the one above, which the PostgreSQL tests import as
`conftest`). The fixtures above (tests/proxy/conftest.py) serve these tests too: `iamdb` (its
MariaDB), `proxy_env`, `no_credentials_env` and `start_proxy`, whose proxies write their whole
output to PROXY_LOG_DIR for `make secrets-scan`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from mysqlrun import HERE, MARIADB_JAR, USER, admin_connect, mysql_upstream, one
from mywire import Tap
from proxyrun import Proxy, run

StartMysql = Callable[..., Proxy]

# What a token carries (its query string); never in a proxy's output.
TOKEN_MARKS = ("X-Amz-Signature", "X-Amz-Credential", "Action=connect")


def assert_no_secrets(p: Proxy, iamdb: Any) -> None:
    """Nothing in the proxy's whole output is a token, the secret key or the admin password."""
    text = p.text()
    assert text, f"{p.log_path} is empty"
    for mark in (*TOKEN_MARKS, iamdb.secret_access_key, iamdb.mysql_admin[1]):
        assert mark not in text, f"{mark[:12]}... in {p.log_path}"


@pytest.fixture(scope="session")
def mysql_proxy(iamdb: Any, proxy_env: dict[str, str]) -> Iterator[Proxy]:
    """The proxy most MySQL tests share: TCP on a free port, no client TLS, health."""
    args = [*mysql_upstream(iamdb), "--listen", "127.0.0.1:0", "--http-address", "127.0.0.1:0"]
    p = Proxy([*args, "--users", USER], proxy_env, "mysql-shared")
    try:
        yield p.wait_listening()
    finally:
        assert p.stop() == 0, p.text()
        assert_no_secrets(p, iamdb)


@pytest.fixture(scope="session")
def mysql_tls_proxy(iamdb: Any, proxy_env: dict[str, str]) -> Iterator[Proxy]:
    """A proxy with client TLS `auto` (a self-signed certificate made at start)."""
    args = [*mysql_upstream(iamdb), "--listen", "127.0.0.1:0", "--client-tls", "auto"]
    p = Proxy([*args, "--users", USER], proxy_env, "mysql-tls")
    try:
        yield p.wait_listening()
    finally:
        assert p.stop() == 0, p.text()
        assert_no_secrets(p, iamdb)


@pytest.fixture
def start_mysql(start_proxy: Callable[..., Proxy], iamdb: Any) -> Iterator[StartMysql]:
    """start_mysql(*flags, target=, env=, users=, wait=): a proxy of the test's own, in front of
    iamdb's MariaDB unless `target` says otherwise (start_proxy stops it)."""
    started: list[Proxy] = []

    def start(*flags: str, target: list[str] | None = None, **kw: Any) -> Proxy:
        p = start_proxy(*flags, target=target or mysql_upstream(iamdb), **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        assert_no_secrets(p, iamdb)


@pytest.fixture
def tap(mysql_proxy: Proxy) -> Iterator[Tap]:
    """A relay in front of the shared proxy that keeps each client's handshake response."""
    t = Tap(mysql_proxy.port)
    try:
        yield t
    finally:
        t.close()


@pytest.fixture(scope="session")
def java_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MariaDbClient.java compiled (javac, at test time)."""
    out = tmp_path_factory.mktemp("java")
    run(
        ["javac", "-cp", MARIADB_JAR, "-d", str(out), str(HERE / "MariaDbClient.java")], timeout=180
    )
    return out


@pytest.fixture
def max_age(iamdb: Any) -> Iterator[Callable[[int], None]]:
    """max_age(seconds): iamdb rejects tokens older than that from then on; 900 s again after
    the test."""
    try:
        yield iamdb.set_max_age
    finally:
        iamdb.set_max_age(900)


@pytest.fixture
def big_packets(iamdb: Any) -> Iterator[int]:
    """MariaDB's max_allowed_packet at 64 MB for the sessions opened during the test (a SET
    GLOBAL as iamdb's admin user), restored after."""
    with admin_connect(iamdb) as admin:
        (before,) = one(admin, "SELECT @@GLOBAL.max_allowed_packet")
        admin.cursor().execute("SET GLOBAL max_allowed_packet = %s", (64 << 20,))
        try:
            yield 64 << 20
        finally:
            admin.cursor().execute("SET GLOBAL max_allowed_packet = %s", (before,))
