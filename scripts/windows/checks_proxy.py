"""`rds-iam.exe proxy` under wine in front of iamdb's PostgreSQL, with this machine's psql as
its client: a login with no password (with and without client TLS), a query cancelled through
the proxy, and a stop by Ctrl-C that drains."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import winehost as w

IAMDB = w.ROOT / "tests" / "iamdb" / "iamdb"


def _iamdb() -> dict[str, str]:
    subprocess.run(
        [str(IAMDB), "up", "--hold", str(os.getpid())], check=True, stdout=subprocess.DEVNULL
    )
    return json.loads(
        subprocess.run([str(IAMDB), "json"], check=True, capture_output=True, text=True).stdout
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _psql(conninfo: str, sql: str, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "AWS_"))}
    env["PGPASSFILE"] = "/nonexistent/rds-iam-windows-check/pgpass"
    return subprocess.run(
        ["psql", conninfo, "-X", "-At", "-c", sql], env=env, capture_output=True, text=True, **kw
    )


def _wait_for(what: str, ready, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def proxy() -> str:
    db = _iamdb()
    port = _free_port()
    log = w.WIN_DIR / "proxy.log"
    env = w.clean_env(
        AWS_ACCESS_KEY_ID=db["IAMDB_ACCESS_KEY_ID"],
        AWS_SECRET_ACCESS_KEY=db["IAMDB_SECRET_ACCESS_KEY"],
        AWS_CONFIG_FILE=w.win_path(w.WORK / "none"),
        AWS_SHARED_CREDENTIALS_FILE=w.win_path(w.WORK / "none"),
    )
    args = [
        "proxy",
        "--host",
        "127.0.0.1",
        "--port",
        db["IAMDB_PG_PORT"],
        "--sign-host",
        db["IAMDB_RDS_HOST"],
        "--region",
        db["IAMDB_REGION"],
        "--ca",
        w.win_path(Path(db["IAMDB_CA_FILE"])),
        "--listen",
        f"127.0.0.1:{port}",
        "--client-tls",
        "auto",
    ]
    p = w.popen(w.CLI, args, env, log)
    try:
        _wait_for(
            "the proxy's 'listening on' line",
            lambda: "listening on" in log.read_text(errors="replace") or p.poll() is not None,
        )
        assert p.poll() is None, log.read_text()
        base = f"host=127.0.0.1 port={port} user={db['IAMDB_USER']} dbname={db['IAMDB_DATABASE']}"
        for mode in ("disable", "require"):
            r = _psql(f"{base} sslmode={mode}", "select current_user", timeout=60)
            assert r.returncode == 0 and r.stdout.strip() == db["IAMDB_USER"], (mode, r.stderr)
        cancelled = _cancel(db, f"{base} sslmode=disable", log)
        # Ctrl-C: wine turns SIGINT into a CTRL_C_EVENT for the console program.
        os.kill(p.pid, signal.SIGINT)
        code = p.wait(30)
        text = log.read_text(errors="replace")
        assert "Ctrl-C: not accepting new clients" in text and code == 0, (code, text[-2000:])
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        subprocess.run(
            [str(IAMDB), "down", "--release", str(os.getpid())],
            check=False,
            stdout=subprocess.DEVNULL,
        )
    return (
        f"psql logged in through rds-iam.exe proxy (sslmode disable and require, no password); "
        f"pg_sleep cancelled {cancelled:.2f} s after psql's cancel; Ctrl-C drained, exit 0"
    )


def _cancel(db: dict[str, str], conninfo: str, log: Path) -> float:
    """psql runs `select pg_sleep(60)` through the proxy; SIGINT makes psql send its cancel
    request, which the proxy forwards with the server's key. Returns how long the cancel took."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "AWS_"))}
    env["PGPASSFILE"] = "/nonexistent/rds-iam-windows-check/pgpass"
    sleeper = subprocess.Popen(
        ["psql", conninfo, "-X", "-At", "-c", "select pg_sleep(60)"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    su = db["IAMDB_PG_SUPERUSER_DSN"]
    sql = (
        "select count(*) from pg_stat_activity"
        " where state = 'active' and query like 'select pg_sleep%'"
    )
    _wait_for(
        "pg_sleep to run",
        lambda: (
            subprocess.run(
                ["psql", su, "-X", "-At", "-c", sql], capture_output=True, text=True
            ).stdout.strip()
            == "1"
            or sleeper.poll() is not None
        ),
    )
    assert sleeper.poll() is None, sleeper.communicate()
    sent = time.monotonic()
    sleeper.send_signal(signal.SIGINT)
    _, err = sleeper.communicate(timeout=30)
    took = time.monotonic() - sent
    assert sleeper.returncode != 0 and "canceling statement due to user request" in err, err
    assert took < 5, f"cancelled only {took:.1f} s after the request"
    # The proxy's log thread writes the line after the cancel went out: wait for it a moment.
    deadline = time.monotonic() + 5
    forwarded = re.compile(r"forwarded a cancel request for backend pid \d+ \(conn \d+\)")
    while not forwarded.search(log.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert forwarded.search(log.read_text(errors="replace")), log.read_text()[-2000:]
    return took


def unix_socket_refused() -> str:
    """`--unix-socket` on Windows: refused before anything starts, naming --listen instead."""
    env = w.clean_env(
        AWS_ACCESS_KEY_ID="AKIAWINDOWSPROXY0001", AWS_SECRET_ACCESS_KEY="windows/proxy/secret"
    )
    sock = w.WORK / "sock"
    r = w.run(
        w.CLI,
        [
            "proxy",
            "--host",
            "127.0.0.1",
            "--port",
            "5432",
            "--region",
            "us-east-1",
            "--unix-socket",
            w.win_path(sock),
        ],
        env,
        timeout=60,
    )
    assert r.code != 0 and "unix_socket" in r.err and "use --listen 127.0.0.1:<port>" in r.err, r
    assert not sock.exists(), "the refused socket directory was created"
    return f"--unix-socket refused (exit {r.code}): {r.err.strip().splitlines()[0][:90]}…"
