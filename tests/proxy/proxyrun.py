"""Runs `rds-iam proxy` (and the clients) the way a user does, for the tests in this folder.

Every proxy's whole output (stdout and stderr) goes to its own file in PROXY_LOG_DIR
(target/secrets/proxy-logs under `make proxy-test`), which `make secrets-scan` scans; every
client command is echoed with its output, so the suite's capture (proxy-suite.txt) holds it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
BIN = Path(os.environ.get("RDS_IAM_BIN") or _TARGET / "debug" / "rds-iam")
LOG_DIR = Path(os.environ.get("PROXY_LOG_DIR") or REPO / "target" / "secrets" / "proxy-logs")

# No proxies for our own loopback HTTP.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def client_env(**extra: str) -> dict[str, str]:
    """The environment a client runs in: no AWS credentials and no libpq settings or password
    file, so whatever logs it in is the proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PG"))}
    env["PGPASSFILE"] = "/nonexistent/rds-iam-proxy-tests/pgpass"
    env["PGCONNECT_TIMEOUT"] = "20"
    env.update(extra)
    return env


def run(cmd: list[str], *, check: bool = True, timeout: float = 60, **kw: Any) -> Any:
    """Runs a client command; echoes it and its output (into the suite's capture)."""
    kw.setdefault("env", client_env())
    started = time.monotonic()
    res = subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, **kw
    )
    took = time.monotonic() - started
    print(f"=== {' '.join(cmd)} (exit {res.returncode}, {took:.2f} s)")
    for name, text in (("stdout", res.stdout), ("stderr", res.stderr)):
        if text.strip():
            print(f"--- {name}\n{text.rstrip()}")
    if check and res.returncode != 0:
        raise AssertionError(f"{cmd[0]} exited {res.returncode}: {res.stderr.strip()[-2000:]}")
    return res


def http_get(base: str, path: str) -> tuple[int, str]:
    """GET on the health/metrics address: (status, body), 5xx included."""
    try:
        with _HTTP.open(base + path, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metrics(base: str) -> dict[str, float]:
    """/metrics as {'name{labels}': value}."""
    status, text = http_get(base, "/metrics")
    assert status == 200, text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def wait_for(what: str, check: Any, timeout: float = 10.0, every: float = 0.05) -> Any:
    """Polls `check()` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def upstream(iamdb: Any, port: int | None = None, sign_host: str | None = None) -> list[str]:
    """The flags that point a proxy at iamdb's PostgreSQL, through 127.0.0.1 with the RDS name
    signed and checked in the certificate."""
    return [
        *("--host", "127.0.0.1", "--port", str(port or iamdb.pg_port)),
        *("--sign-host", sign_host or iamdb.rds_host, "--region", iamdb.region),
        *("--ca", iamdb.ca_file),
    ]


def dead_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proxy:
    """One `rds-iam proxy` process, its output in LOG_DIR/<name>.txt."""

    def __init__(self, args: list[str], env: dict[str, str], name: str):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.txt"
        self.args = args
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in wait())
        self.proc = subprocess.Popen(
            [str(BIN), "proxy", *args],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.port = 0
        self.socket_path = ""
        self.http = ""

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_listening(self, timeout: float = 20.0) -> Proxy:
        """Waits for the 'listening on' line (and the health address if one was asked for)."""
        want_http = "--http-address" in self.args

        def ready() -> bool:
            text = self.text()
            if not self.running():
                raise AssertionError(f"the proxy exited {self.proc.returncode}:\n{text}")
            listening = re.search(r"listening on (\S+) for ", text)
            health = re.search(r"health and metrics on (http://[^/\s]+)/", text)
            if not listening or (want_http and not health):
                return False
            where = listening.group(1)
            if where.startswith("/"):
                self.socket_path = where
            else:
                self.port = int(where.rsplit(":", 1)[1])
            self.http = health.group(1) if health else ""
            return True

        wait_for("the proxy to listen", ready, timeout)
        return self

    def url(self, user: str = "iam_user", database: str = "iamdb", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}" + (
            f"?{query}" if query else ""
        )

    def conninfo(self, **params: str) -> str:
        base = {"host": "127.0.0.1", "port": str(self.port), "user": "iam_user"}
        base["dbname"] = "iamdb"
        base.update(params)
        return " ".join(f"{k}={v}" for k, v in base.items())

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.http, path)

    def metrics(self) -> dict[str, float]:
        return metrics(self.http)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Waits for the exit; the exit status. Raises if it does not come in time."""
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is not None:
                self._log.close()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (a second one after `timeout`); the exit status."""
        if self.running():
            self.signal(signal.SIGTERM)
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGTERM)
        try:
            return self.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.wait(5)
            raise AssertionError(f"the proxy did not exit on SIGTERM:\n{self.text()}") from None

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]
