"""The MySQL proxy's side of `make bench`: `rds-iam proxy --engine mysql` next to a direct
connection to iamdb's MariaDB, in one run (bench/proxy_bench.py is PostgreSQL's).

Starts an iamdb instance of its own ($IAMDB_DIR-proxy-mysql-bench, default
/tmp/rds-iam-iamdb-proxy-mysql-bench; its MariaDB's max_connections raised for the idle
sessions) and the release proxy, and stops both. Direct means what a client does without the
proxy: TLS to the database verified against iamdb's CA (libmariadb's
MYSQL_OPT_SSL_VERIFY_SERVER_CERT) with a token from `rds-iam token` as the password, which
libmariadb sends with mysql_clear_password.
Through the proxy the client connects to a loopback port with no password and no TLS; the
proxy logs in upstream over verify-full TLS. iamdb's PAM validator (a Python process per
login) checks the token on both paths.

Every throughput figure is measured in rounds that alternate direct and proxy runs (ABBA), so
that load from other work on the machine falls on both alike; a ratio is proxy/direct per round,
its median and its range are reported, and next to it the whole path's CPU per query or login
(clients + server + proxy), the steadier figure on a shared machine. Prints one JSON object
(the last line); its keys start with `mysql_`.

  query throughput   8 clients (bench/mysql_loop.c: libmariadb threads, as pgbench is libpq),
                     primary-key point selects on a 10 000-row table; the logins are not timed
  the same, as deployed  with MariaDB (and the PAM helpers it starts) pinned to a CPU of its own,
                     as a database on its own machine, and the clients and the proxy on the other
  new connections/s  8 clients that each log in, run SELECT 1 and quit, over and over
  memory             the proxy's VmRSS / VmHWM idle and with N idle sessions

Usage: python bench/proxy_mysql_bench.py [--quick] [--rds-iam PATH]
(--quick: a smoke run of 2 s per figure and 100 sessions instead of 1000)
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import statistics
import struct
import subprocess
import sys
import time
from contextlib import ExitStack

from proxy_common import (
    ROOT,
    DatabaseOnItsOwnCore,
    ProxyProcess,
    allow_descriptors_for,
    iamdb_aws_env,
    idle_sessions_memory,
    paired,
    proc_cpu_s,
    release_binary,
)
from proxy_common import summary as common_summary

IAMDB = os.path.join(ROOT, "tests", "iamdb", "iamdb")
CLIENTS = 8
ROWS = 10_000  # bench_point's, as mysql_loop.c picks its ids


def say(msg: str) -> None:
    print(f"proxy mysql bench: {msg}", file=sys.stderr, flush=True)


def fail(msg: str) -> None:
    sys.exit(f"proxy mysql bench: {msg}")


def mysql_loop() -> str:
    """bench/mysql_loop.c, compiled against libmariadb (libmariadb-dev, which the project's
    system packages include) into the target folder."""
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    out = os.path.join(target, "bench", "mysql_loop")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    flags = subprocess.run(
        ["mariadb_config", "--cflags", "--libs"], capture_output=True, text=True, check=True
    ).stdout.split()
    source = os.path.join(ROOT, "bench", "mysql_loop.c")
    cmd = ["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", out, source, *flags]
    subprocess.run(cmd, check=True)
    return out


class Iamdb:
    """An iamdb instance held by this process: `up --hold` on enter, `down --release` on exit;
    MariaDB's max_connections raised to `max_connections` meanwhile. One bench at a time uses
    it (a lock next to it): two at once share the server, its connection limit and the proxy
    log, and the first to finish puts max_connections back under the other's sessions."""

    def __init__(self, directory: str, max_connections: int) -> None:
        self.env = {**os.environ, "IAMDB_DIR": directory}
        self.max_connections = max_connections
        self.s: dict[str, str] = {}
        self.before = ""
        self.lock = open(f"{directory}.bench-lock", "w")  # noqa: SIM115 (closed on exit)

    def __enter__(self) -> Iamdb:
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another bench is using {self.env['IAMDB_DIR']}; waiting for it to end")
            fcntl.flock(self.lock, fcntl.LOCK_EX)
        t = time.monotonic()
        up = subprocess.run(
            [IAMDB, "up", "--hold", str(os.getpid())], env=self.env, capture_output=True, text=True
        )
        if up.returncode != 0:
            fail(f"iamdb up failed:\n{up.stderr}")
        out = subprocess.run([IAMDB, "json"], env=self.env, capture_output=True, text=True)
        self.s = json.loads(out.stdout)
        self.before = self.admin_sql("SELECT @@GLOBAL.max_connections")
        self.admin_sql(f"SET GLOBAL max_connections = {self.max_connections}")
        say(f"iamdb up in {time.monotonic() - t:.1f} s ({self.s['IAMDB_DIR']})")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.before:
            self.admin_sql(f"SET GLOBAL max_connections = {self.before}")
        subprocess.run(
            [IAMDB, "down", "--release", str(os.getpid())], env=self.env, capture_output=True
        )
        self.lock.close()  # and with it the lock

    def mariadbd(self) -> int:
        with open(os.path.join(self.s["IAMDB_DIR"], "mysql", "run", "mysqld.pid")) as f:
            return int(f.read().strip())

    def admin_sql(self, sql: str) -> str:
        """SQL as iamdb's admin user over MariaDB's unix socket (no IAM, no proxy)."""
        s = self.s
        cmd = ["mysql", "--no-defaults", "-S", s["IAMDB_MYSQL_SOCKET"]]
        cmd += ["-u", s["IAMDB_MYSQL_ADMIN_USER"], "-N", "-B", "-e", sql]
        env = {**os.environ, "MYSQL_PWD": s["IAMDB_MYSQL_ADMIN_PASSWORD"]}
        return subprocess.run(
            cmd, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()


class Proxy(ProxyProcess):
    """The release proxy for iamdb's MariaDB."""

    def __init__(self, binary: str, db: Iamdb, aws_env: dict[str, str], log: str) -> None:
        s = db.s
        cmd = [binary, "proxy", "--engine", "mysql", "--host", "127.0.0.1"]
        cmd += ["--port", s["IAMDB_MYSQL_PORT"], "--sign-host", s["IAMDB_RDS_HOST"]]
        cmd += ["--region", s["IAMDB_REGION"], "--ca", s["IAMDB_CA_FILE"]]
        cmd += ["--users", s["IAMDB_USER"]]
        super().__init__("proxy mysql bench", cmd, aws_env, log)


class Sides:
    """How each side's clients connect: `direct` (127.0.0.1, TLS verified against iamdb's CA,
    whose certificate names 127.0.0.1; a fresh token as MYSQL_PWD) or `proxy` (the proxy's
    port, no password, no TLS)."""

    def __init__(self, binary: str, db: Iamdb, proxy: Proxy, aws_env: dict[str, str]) -> None:
        s = db.s
        who = (s["IAMDB_USER"], s["IAMDB_DATABASE"])
        self.args = {
            "proxy": ("127.0.0.1", str(proxy.port), *who),
            "direct": ("127.0.0.1", s["IAMDB_MYSQL_PORT"], *who),
        }
        self.ca = {"proxy": (), "direct": (s["IAMDB_CA_FILE"],)}
        self.clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MYSQL"))}
        self.token_cmd = [binary, "token", "--host", "127.0.0.1", "--port", s["IAMDB_MYSQL_PORT"]]
        self.token_cmd += ["--user", s["IAMDB_USER"], "--region", s["IAMDB_REGION"]]
        self.token_cmd += ["--sign-host", f"{s['IAMDB_RDS_HOST']}:{s['IAMDB_MYSQL_PORT']}"]
        self.aws_env = aws_env

    def env(self, side: str) -> dict[str, str]:
        if side == "proxy":
            return self.clean
        token = subprocess.run(
            self.token_cmd, env=self.aws_env, capture_output=True, text=True, check=True
        ).stdout.strip()
        return {**self.clean, "MYSQL_PWD": token}

    def loop(
        self,
        program: str,
        mode: str,
        side: str,
        seconds: float,
        db: Iamdb,
        proxy: Proxy,
        layout: DatabaseOnItsOwnCore | None = None,
    ) -> dict[str, float]:
        """One mysql_loop run: its count (queries or logins), the seconds they took, and the CPU
        seconds spent in that time by the clients, by the server (mariadbd with the PAM helpers
        it has reaped) and by the proxy (select: the logins before are not counted)."""
        cmd = [program, mode, *self.args[side], str(CLIENTS), str(seconds), *self.ca[side]]
        with subprocess.Popen(
            cmd,
            env=self.env(side),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=layout.preexec if layout else None,
        ) as p:
            assert p.stdout is not None
            started = p.stdout.readline()  # "go": logged in (select) or about to (connect)
            server_pid = db.mariadbd()
            server, proxy_cpu = proc_cpu_s(server_pid, True), proxy.cpu_s()
            out, err = p.communicate()
            time.sleep(0.2)  # the last logins' PAM helpers reaped
            ended = proc_cpu_s(server_pid, True), proxy.cpu_s()
        if p.returncode != 0 or started != "go\n":
            fail(f"{' '.join(cmd)} failed:\n{started}{out}{err}")
        got = json.loads(out)
        return {
            "count": int(got["count"]),
            "seconds": float(got["seconds"]),
            "client": float(got["cpu"]),
            "server": ended[0] - server,
            "proxy": ended[1] - proxy_cpu if side == "proxy" else 0.0,
        }


def summary(name: str, sides: dict[str, list[float]], res: dict[str, float]) -> None:
    common_summary("mysql_", name, sides, res, say)


def loop_figures(
    name: str,
    rate: str,
    mode: str,
    sides: Sides,
    program: str,
    db: Iamdb,
    proxy: Proxy,
    seconds: float,
    rounds: int,
    res: dict,
    layout: DatabaseOnItsOwnCore | None = None,
) -> None:
    """mysql_loop `mode` on both sides: its rate, and the whole path's CPU per query or login
    (clients + server + proxy) with its parts. On a shared machine the CPU figure is the
    steadier one: a CPU-bound run's rate is the machine's CPU over it, and an extra process
    (the proxy) gets a larger share of a busy machine than it would of a dedicated one."""
    per_cpu_s: dict[str, list[float]] = {"direct": [], "proxy": []}
    parts: dict[str, list[dict[str, float]]] = {"direct": [], "proxy": []}

    def run(side: str) -> float:
        r = sides.loop(program, mode, side, seconds, db, proxy, layout)
        parts[side].append(r)
        per_cpu_s[side].append(r["count"] / (r["client"] + r["server"] + r["proxy"]))
        return r["count"] / r["seconds"]

    summary(rate, paired(rounds, run), res)
    summary(f"{name}_per_cpu_s", per_cpu_s, res)
    for side, runs in parts.items():
        for part in ("client", "server", "proxy") if side == "proxy" else ("client", "server"):
            us = [r[part] / r["count"] * 1e6 for r in runs]
            res[f"mysql_{side}_{name}_cpu_{part}_us"] = statistics.median(us)


def handshake_response(user: str, database: str) -> bytes:
    """HandshakeResponse41: protocol 4.1, plugin auth, caching_sha2_password with no password,
    the database, connect attributes."""
    caps = (1 << 9) | (1 << 15) | (1 << 19) | (1 << 3) | (1 << 13) | (1 << 20)
    body = struct.pack("<IIB", caps, 16 << 20, 45) + b"\0" * 23
    body += user.encode() + b"\0" + b"\0" + database.encode() + b"\0"
    body += b"caching_sha2_password\0"
    attrs = b"".join(bytes([len(s)]) + s for s in (b"program_name", b"proxy-mysql-bench"))
    body += bytes([len(attrs)]) + attrs
    return len(body).to_bytes(3, "little") + b"\1" + body


async def read_packet(r: asyncio.StreamReader) -> bytes:
    head = await r.readexactly(4)
    return await r.readexactly(int.from_bytes(head[:3], "little"))


def memory(db: Iamdb, proxy: Proxy, n: int, res: dict) -> None:
    """The proxy's RSS idle and with `n` idle sessions (each logged in upstream)."""
    response = handshake_response(db.s["IAMDB_USER"], db.s["IAMDB_DATABASE"])

    async def login(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_packet(r)  # the greeting
        w.write(response)
        await w.drain()
        answer = await read_packet(r)
        if answer[:1] != b"\0":
            raise RuntimeError(f"login refused: {answer[:200]!r}")

    def upstream() -> int:
        sql = "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
        return int(db.admin_sql(f"{sql} WHERE USER = '{db.s['IAMDB_USER']}'"))

    quit_ = b"\1\0\0\0\1"  # COM_QUIT
    idle_sessions_memory(proxy, n, login, quit_, upstream, "mysql_", res, say)


def make_table(db: Iamdb, proxy: Proxy) -> None:
    """bench_point: ROWS rows of 120 characters, made through the proxy."""
    sql = (
        "CREATE TABLE IF NOT EXISTS bench_point (id INT PRIMARY KEY, c CHAR(120) NOT NULL);"
        f" INSERT IGNORE INTO bench_point SELECT seq, REPEAT('x', 120) FROM seq_1_to_{ROWS};"
    )
    cmd = ["mysql", "--no-defaults", "-h", "127.0.0.1", "-P", str(proxy.port), "--ssl=0"]
    cmd += ["-u", db.s["IAMDB_USER"], db.s["IAMDB_DATABASE"], "-e", sql]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"creating bench_point failed:\n{done.stderr}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rds-iam", help="the rds-iam binary [default: cargo's release build]")
    a = ap.parse_args()
    quick = a.quick
    seconds, rounds = (2, 2) if quick else (10, 6)
    sessions = 100 if quick else 1000
    allow_descriptors_for(sessions)
    binary = a.rds_iam or release_binary()
    program = mysql_loop()
    base_dir = os.environ.get("IAMDB_DIR") or "/tmp/rds-iam-iamdb"
    res: dict[str, float] = {}
    with ExitStack() as stack:
        db = stack.enter_context(Iamdb(f"{base_dir}-proxy-mysql-bench", sessions + 100))
        s = db.s
        aws_env = iamdb_aws_env(s)
        log = os.path.join(s["IAMDB_DIR"], "proxy-mysql.log")
        proxy = stack.enter_context(Proxy(binary, db, aws_env, log))
        sides = Sides(binary, db, proxy, aws_env)
        memory(db, proxy, sessions, res)
        make_table(db, proxy)
        figures = (sides, program, db, proxy, seconds, rounds, res)
        loop_figures("select", "select_qps", "select", *figures)
        if DatabaseOnItsOwnCore.possible():
            # As deployed: MariaDB on a machine of its own, the clients and the proxy on another.
            with DatabaseOnItsOwnCore(db.mariadbd(), proxy.p.pid) as layout:
                name = "select_own_core"
                loop_figures(name, f"{name}_qps", "select", *figures, layout)
        loop_figures("connect", "connect_per_s", "connect", *figures)
        res["mysql_proxy_rss_end_mb"] = proxy.status_mb("VmRSS")
        res["mysql_proxy_hwm_end_mb"] = proxy.status_mb("VmHWM")
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
