"""Runs the MySQL-family clients against `rds-iam proxy --engine mysql` for the tests in this
folder (their fixtures: mysql_fixtures.py); every command and every line a long-lived client
answers is echoed into the suite's capture, as proxyrun.py does."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pymysql

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # proxyrun

from proxyrun import REPO, Proxy, client_env, run  # noqa: E402

MARIADB_JAR = "/usr/share/java/mariadb-java-client.jar"
USER = "iam_user"


def mysql_upstream(iamdb: Any, port: int | None = None, sign_host: str | None = None) -> list[str]:
    """The flags that point a proxy at iamdb's MariaDB, through 127.0.0.1 with the RDS name
    signed and checked in the certificate."""
    return [
        *("--engine", "mysql", "--host", "127.0.0.1", "--port", str(port or iamdb.mysql_port)),
        *("--sign-host", sign_host or iamdb.rds_host, "--region", iamdb.region),
        *("--ca", iamdb.ca_file),
    ]


def my_env() -> dict[str, str]:
    """A client's environment: no AWS credentials, no MYSQL_PWD / MYSQL_HOST, no ~/.my.cnf."""
    env = {k: v for k, v in client_env().items() if not k.startswith("MYSQL")}
    env["HOME"] = "/nonexistent/rds-iam-proxy-tests"
    return env


def mysql_cli(port: int, *args: str, cli: str = "mysql", **kw: Any) -> Any:
    """The mysql (or mariadb, mysqldump) CLI against the proxy, batch output, no option files."""
    kw.setdefault("env", my_env())
    cmd = [cli, "--no-defaults", "-h", "127.0.0.1", "-P", str(port), "-u", USER]
    return run([*cmd, *([] if cli == "mysqldump" else ["-N", "-B"]), *args], **kw)


def pymysql_connect(port: int, **kw: Any) -> pymysql.Connection:
    kw.setdefault("ssl_disabled", True)
    return pymysql.connect(host="127.0.0.1", port=port, user=USER, connect_timeout=20, **kw)


def one(conn: Any, sql: str, args: Any = None) -> tuple[Any, ...]:
    """The first row of `sql` on a DB-API connection."""
    cur = conn.cursor()
    try:
        cur.execute(sql, args)
        return tuple(cur.fetchone())
    finally:
        cur.close()


def logins(p: Proxy) -> int:
    return p.text().count(f"logged in as {USER}")


class LineClient:
    """A client process that reads one command per stdin line and answers one stdout line
    (mysql2_client.js, MariaDbClient, `mysql -B -n`); every line is echoed into the capture."""

    def __init__(self, name: str, cmd: list[str], **kw: Any) -> None:
        kw.setdefault("env", my_env())
        self.name = name
        print(f"=== {name}: {' '.join(cmd)}")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            **kw,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self.readers:
            t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr.extend(self.proc.stderr)

    def line(self, timeout: float = 60.0) -> str:
        try:
            got = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no answer within {timeout} s") from None
        if got is None:
            code = self.proc.wait(10)
            raise AssertionError(f"{self.name} exited {code}: {''.join(self.stderr)[-2000:]}")
        print(f"--- {self.name}: {got}")
        return got

    def ask(self, command: str, timeout: float = 60.0) -> str:
        assert self.proc.stdin is not None
        print(f"--- {self.name} < {command}")
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.line(timeout)

    def close(self) -> int:
        """Ends stdin; the exit status."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"{self.name} did not exit at the end of its input") from None
        finally:
            for t in self.readers:
                t.join(10)
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe:
                    pipe.close()
        if code != 0:
            print(f"--- {self.name} exited {code}: {''.join(self.stderr)[-2000:]}")
        return code


def mysql2_client(port: int, database: str | None = None) -> LineClient:
    cmd = ["node", str(HERE / "mysql2_client.js"), str(port), *([database] if database else [])]
    return LineClient("mysql2", cmd, cwd=REPO)


def connector_j(classes: Path, url: str) -> LineClient:
    cmd = ["java", "-cp", f"{MARIADB_JAR}:{classes}", "MariaDbClient", url]
    return LineClient("connector/j", cmd)


def mysql_batch(port: int) -> LineClient:
    """The mysql CLI reading statements from a pipe: tab-separated rows, flushed per statement."""
    cmd = ["mysql", "--no-defaults", "-h", "127.0.0.1", "-P", str(port), "-u", USER]
    return LineClient("mysql", [*cmd, "-N", "-B", "-n"])


def admin_connect(iamdb: Any) -> pymysql.Connection:
    """iamdb's admin user (a password user) over MariaDB's unix socket: no proxy, no IAM."""
    user, password = iamdb.mysql_admin
    return pymysql.connect(unix_socket=iamdb.mysql_socket, user=user, password=password)
