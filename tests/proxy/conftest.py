"""Fixtures for the proxy suite: iamdb (its own instance under `make proxy-test`), the proxies'
environments, one shared proxy and a factory for proxies of a test's own."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "iamdb"))  # pytest_iamdb: the iamdb session fixture
sys.path.insert(0, str(HERE.parent))  # fakeaws: a local STS for --doctor

from proxyrun import BIN, LOG_DIR, Proxy, upstream  # noqa: E402
from pytest_iamdb import iamdb  # noqa: E402,F401

StartProxy = Callable[..., Proxy]


@pytest.fixture(scope="session", autouse=True)
def _clean_test_process() -> Iterator[None]:
    """The test process itself holds no AWS credentials and no libpq password or settings: the
    clients it runs in-process (psycopg) log in only through the proxy."""
    if not BIN.exists():
        raise RuntimeError(f"{BIN} is missing: cargo build -p rds-iam --bin rds-iam")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("AWS_", "PG")):
                mp.delenv(name)
        mp.setenv("PGPASSFILE", "/nonexistent/rds-iam-proxy-tests/pgpass")
        yield
    # Every proxy wrote something (at least its 'listening on' line or its error): a missing
    # or empty capture would let the secrets scan pass over that proxy's output.
    empty = [p.name for p in LOG_DIR.glob("*.txt") if p.stat().st_size == 0]
    assert not empty, f"empty proxy logs: {empty}"


def _aws_env(iamdb: Any, home: Path, credentials: bool) -> dict[str, str]:
    """The proxy's environment: iamdb's static test key (or nothing), and no credential source
    from this machine (empty config files, IMDS off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home.mkdir(exist_ok=True)
    for name in ("config", "credentials"):
        (home / name).write_text("")
    env["AWS_CONFIG_FILE"] = str(home / "config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    if credentials:
        env["AWS_ACCESS_KEY_ID"] = iamdb.access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = iamdb.secret_access_key
    return env


@pytest.fixture(scope="session")
def proxy_env(iamdb: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _aws_env(iamdb, tmp_path_factory.mktemp("aws"), credentials=True)


@pytest.fixture(scope="session")
def no_credentials_env(iamdb: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _aws_env(iamdb, tmp_path_factory.mktemp("aws-none"), credentials=False)


@pytest.fixture(scope="session")
def proxy(iamdb: Any, proxy_env: dict[str, str]) -> Iterator[Proxy]:
    """The proxy most client tests share: TCP on a free port, client TLS `auto`, health."""
    args = [*upstream(iamdb), "--listen", "127.0.0.1:0", "--http-address", "127.0.0.1:0"]
    p = Proxy([*args, "--users", "iam_user", "--client-tls", "auto"], proxy_env, "shared")
    try:
        yield p.wait_listening()
    finally:
        assert p.stop() == 0, p.text()


@pytest.fixture
def start_proxy(
    request: pytest.FixtureRequest, iamdb: Any, proxy_env: dict[str, str]
) -> Iterator[StartProxy]:
    """start_proxy(*flags, env=, users=, target=, listen=, wait=): a proxy of the test's own.
    By default it points at iamdb, listens on a free loopback port and allows iam_user; each
    still running at the end gets SIGTERM and must exit 0."""
    started: list[Proxy] = []
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def start(
        *flags: str,
        env: dict[str, str] | None = None,
        users: str | None = "iam_user",
        target: list[str] | None = None,
        listen: bool = True,
        wait: bool = True,
    ) -> Proxy:
        args = [*(upstream(iamdb) if target is None else target), *flags]
        if listen:
            args += ["--listen", "127.0.0.1:0"]
        if users:
            args += ["--users", users]
        p = Proxy(args, env or proxy_env, f"{stem}-{len(started) + 1}")
        started.append(p)
        return p.wait_listening() if wait else p

    yield start
    for p in started:
        if p.running():
            assert p.stop() == 0, p.text()
