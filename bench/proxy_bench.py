"""The proxy's side of `make bench`: `rds-iam proxy` next to a direct connection, in one run.

Starts an iamdb instance of its own ($IAMDB_DIR-proxy-bench, default
/tmp/rds-iam-iamdb-proxy-bench, its PostgreSQL allowing the idle sessions) and the release
proxy, and stops both. Direct means what a client does without the proxy: verify-full TLS to
the database with a token from `rds-iam token` as the password. Through the proxy the client
connects to a loopback port with no password and no TLS; the proxy logs in upstream over
verify-full TLS. iamdb's PAM validator (a Python process per login) checks the token on both
paths.

Every throughput figure is measured in rounds that alternate direct and proxy runs (ABBA), so
that load from other work on the machine falls on both alike; a ratio is proxy/direct per round,
its median and its range are reported. Prints one JSON object (the last line).

  query throughput   pgbench -S, 8 clients, 2 threads, 10 s per run
  the same, as deployed  pgbench -S again with PostgreSQL (postmaster, backends, validators)
                     pinned to a CPU of its own, as a database on its own machine, and pgbench
                     and the proxy on the other
  new connections/s  pgbench -C -S, 8 clients, 2 threads (a login per transaction), 10 s
  CPU                each pgbench run's CPU per transaction, by part: pgbench (getrusage), the
                     server (the postmaster's own and reaped children's CPU: backends and PAM
                     validators) and the proxy (/proc/<pid>/stat); "per CPU second" is
                     transactions over their sum: what a machine busy with nothing else and
                     bound by its CPU would do (steadier than tps on a shared machine)
  latency            SELECT 1 round trips on one connection (psycopg's libpq), p50 / p99
  memory             the proxy's VmRSS / VmHWM idle and with N idle sessions (raw protocol
                     clients, logged in 8 at a time; checked in pg_stat_activity)

The peer a user would pick instead (bench/pgbouncer_peer.py): pgbouncer in session mode, TLS
to iamdb checked against its CA, a token as the server password, runs in the same alternating
rounds (direct, proxy, pgbouncer; then backwards), with its CPU per query in place of the
proxy's. For new connections a second pgbouncer with `server_lifetime = 0` (a login upstream
per client connection, as the proxy does) runs too: the default pgbouncer pools the server
connections, so its -C figure has no upstream login in it. Ratios proxy/pgbouncer per round:
the keys ending in `_vs_pgbouncer`.

Usage: python bench/proxy_bench.py [--quick] [--rds-iam PATH]
(--quick: a smoke run: pgbench -S -t 1000 per client (its tps then still leaves the logins
out), -C for 2 s, 2 rounds, 2000 round trips, and 100 sessions instead of 1000)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack

from pgbouncer_peer import Pgbouncer
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
CLIENTS = "8"
THREADS = "2"
#: The full run's 1000 idle sessions are 1000 backends (the same in a smoke run, so that
#: switching between the two does not restart PostgreSQL).
PG_MAX_CONNECTIONS = 1100


def say(msg: str) -> None:
    print(f"proxy bench: {msg}", file=sys.stderr, flush=True)


class Iamdb:
    """An iamdb instance held by this process: `up --hold` on enter, `down --release` on exit."""

    def __init__(self, directory: str, max_connections: int) -> None:
        self.env = {**os.environ, "IAMDB_DIR": directory}
        self.max_connections = max_connections
        self.s: dict[str, str] = {}

    def __enter__(self) -> Iamdb:
        t, max_conn = time.monotonic(), self.max_connections
        up = subprocess.run(
            [IAMDB, "up", "--hold", str(os.getpid()), "--pg-max-connections", str(max_conn)],
            env=self.env,
            capture_output=True,
            text=True,
        )
        if up.returncode != 0:
            sys.exit(f"proxy bench: iamdb up failed:\n{up.stderr}")
        out = subprocess.run([IAMDB, "json"], env=self.env, capture_output=True, text=True)
        self.s = json.loads(out.stdout)
        say(f"iamdb up in {time.monotonic() - t:.1f} s ({self.s['IAMDB_DIR']})")
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(
            [IAMDB, "down", "--release", str(os.getpid())], env=self.env, capture_output=True
        )

    def postmaster(self) -> int:
        with open(os.path.join(self.s["IAMDB_DIR"], "pg", "data", "postmaster.pid")) as f:
            return int(f.readline())

    def superuser_sql(self, sql: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        out = subprocess.run(
            ["psql", "-X", "-At", "-c", sql, self.s["IAMDB_PG_SUPERUSER_DSN"]],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()


class Proxy(ProxyProcess):
    """The release proxy for iamdb's PostgreSQL."""

    def __init__(self, binary: str, db: Iamdb, aws_env: dict[str, str], log: str) -> None:
        s = db.s
        cmd = [binary, "proxy", "--host", "127.0.0.1", "--port", s["IAMDB_PG_PORT"]]
        cmd += ["--sign-host", f"{s['IAMDB_RDS_HOST']}:{s['IAMDB_PG_PORT']}"]
        cmd += ["--region", s["IAMDB_REGION"]]
        cmd += ["--ca", s["IAMDB_CA_FILE"], "--users", s["IAMDB_USER"]]
        super().__init__("proxy bench", cmd, aws_env, log)


class Paths:
    """libpq settings for each side: `direct` (verify-full, a fresh token), `proxy`, or a peer
    (pgbouncer: a loopback port with no password and no TLS, as the proxy)."""

    def __init__(self, binary: str, db: Iamdb, proxy: Proxy, aws_env: dict[str, str]) -> None:
        s = db.s
        base = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        base.update(PGUSER=s["IAMDB_USER"], PGDATABASE=s["IAMDB_DATABASE"], PGGSSENCMODE="disable")
        self.proxy_env = {
            **base,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(proxy.port),
            "PGSSLMODE": "disable",
        }
        self.direct_base = {
            **base,
            "PGHOST": s["IAMDB_RDS_HOST"],
            "PGHOSTADDR": "127.0.0.1",
            "PGPORT": s["IAMDB_PG_PORT"],
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": s["IAMDB_CA_FILE"],
        }
        self.token_cmd = [binary, "token", "--host", "127.0.0.1", "--port", s["IAMDB_PG_PORT"]]
        self.token_cmd += ["--user", s["IAMDB_USER"], "--region", s["IAMDB_REGION"]]
        self.token_cmd += ["--sign-host", f"{s['IAMDB_RDS_HOST']}:{s['IAMDB_PG_PORT']}"]
        self.aws_env = aws_env
        #: The process between client and server on each side (none on the direct one).
        self.middle: dict[str, Proxy | Pgbouncer] = {"proxy": proxy}

    def token(self) -> str:
        return subprocess.run(
            self.token_cmd, env=self.aws_env, capture_output=True, text=True, check=True
        ).stdout.strip()

    def env(self, side: str) -> dict[str, str]:
        if side == "proxy":
            return self.proxy_env
        if side != "direct":
            peer = self.middle[side]
            assert isinstance(peer, Pgbouncer)
            peer.refresh()  # a token for the server logins of this run
            return {**self.proxy_env, "PGPORT": str(peer.port)}
        return {**self.direct_base, "PGPASSWORD": self.token()}

    def conninfo(self, side: str) -> str:
        env = self.env(side)
        keys = {"PGHOST": "host", "PGHOSTADDR": "hostaddr", "PGPORT": "port", "PGUSER": "user"}
        keys.update(PGDATABASE="dbname", PGSSLMODE="sslmode", PGSSLROOTCERT="sslrootcert")
        keys.update(PGPASSWORD="password", PGGSSENCMODE="gssencmode")
        return " ".join(f"{kw}='{env[var]}'" for var, kw in keys.items() if var in env)


def children(pid: int) -> set[str]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return set(f.read().split())


def server_cpu_s(pm: int) -> float:
    """The postmaster's CPU with its reaped children's, and its live children's with theirs:
    pgbouncer keeps its backends open across runs, so they are counted live."""
    total = proc_cpu_s(pm, True)
    for child in children(pm):
        # One that exited meanwhile is in the postmaster's reaped total once reaped.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += proc_cpu_s(int(child), True)
    return total


def pgbench(
    env: dict[str, str],
    args: list[str],
    db: Iamdb,
    proxy: Proxy | Pgbouncer | None,
    layout: DatabaseOnItsOwnCore | None = None,
) -> dict[str, float]:
    """One pgbench run: its tps, its transactions, and the CPU seconds spent by pgbench, by the
    server (the postmaster with its backends and their PAM validators) and by `proxy` (ours or
    pgbouncer; none on the direct path). With a `layout`, pgbench runs on the client's CPUs."""
    cmd = ["pgbench", "-n", "-c", CLIENTS, "-j", THREADS, *args]
    pm = db.postmaster()
    before = children(pm)
    server, own, proxy_cpu = (
        server_cpu_s(pm),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        proxy.cpu_s() if proxy else 0.0,
    )
    done = subprocess.run(
        cmd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=layout.preexec if layout else None,
    )
    ran = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Until the run's backends are gone (a pooling pgbouncer keeps its own open).
    deadline = time.monotonic() + (0 if getattr(proxy, "pools", False) else 5)
    while children(pm) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.M)
    txns = re.search(r"^number of transactions actually processed: (\d+)", done.stdout, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", done.stdout, re.M)
    if done.returncode != 0 or not tps or not txns or (failed and failed.group(1) != "0"):
        sys.exit(f"proxy bench: {' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return {
        "tps": float(tps.group(1)),
        "txns": int(txns.group(1)),
        "client": ran.ru_utime + ran.ru_stime - own.ru_utime - own.ru_stime,
        "server": server_cpu_s(pm) - server,
        "proxy": proxy.cpu_s() - proxy_cpu if proxy else 0.0,
    }


def summary(name: str, sides: dict[str, list[float]], res: dict[str, float]) -> None:
    common_summary("", name, sides, res, say)


def pgbench_figures(
    name: str,
    rate: str,
    args: list[str],
    paths: Paths,
    db: Iamdb,
    sides: tuple[str, ...],
    rounds: int,
    res: dict,
    layout: DatabaseOnItsOwnCore | None = None,
) -> None:
    """pgbench `args` on both sides: tps, and the whole path's CPU per transaction (pgbench +
    server + proxy) with its parts. On a shared machine the CPU figure is the steadier one: a
    CPU-bound run's tps is the machine's CPU over it, and extra processes (the proxy's threads)
    get a larger share of a busy machine than they would of a dedicated one."""
    per_cpu_s: dict[str, list[float]] = {side: [] for side in sides}
    parts: dict[str, list[dict[str, float]]] = {side: [] for side in sides}

    def run(side: str) -> float:
        env = paths.env(side)
        r = pgbench(env, args, db, paths.middle.get(side), layout)
        parts[side].append(r)
        per_cpu_s[side].append(r["txns"] / (r["client"] + r["server"] + r["proxy"]))
        return r["tps"]

    summary(rate, paired(rounds, run, sides), res)
    summary(f"{name}_per_cpu_s", per_cpu_s, res)
    for side, runs in parts.items():
        for part in ("client", "server", "proxy") if side != "direct" else ("client", "server"):
            us = [r[part] / r["txns"] * 1e6 for r in runs]
            res[f"{side}_{name}_cpu_{part}_us"] = statistics.median(us)
    # The middle process's CPU per transaction, ours over the peer's, per round.
    for peer in sides[2:]:
        ratios = [
            a["proxy"] / a["txns"] / (b["proxy"] / b["txns"])
            for a, b in zip(parts["proxy"], parts[peer])
            if b["proxy"]
        ]
        if ratios:
            res[f"proxy_{name}_cpu_proxy_vs_{peer}"] = statistics.median(ratios)


def latency(paths: Paths, iterations: int, rounds: int, res: dict, sides: tuple[str, ...]) -> None:
    """SELECT 1 round trips on one connection per side, timed one by one (libpq via psycopg)."""
    import psycopg
    from psycopg import pq

    per_round: dict[str, dict[str, list[float]]] = {
        "p50": {side: [] for side in sides},
        "p99": {side: [] for side in sides},
    }
    conns = {side: psycopg.connect(paths.conninfo(side), autocommit=True) for side in sides}
    try:
        for i in range(rounds):
            for side in sides if i % 2 == 0 else sides[::-1]:
                pg = conns[side].pgconn
                for _ in range(200):  # warm the path
                    pg.exec_(b"SELECT 1")
                times = []
                for _ in range(iterations):
                    t = time.perf_counter_ns()
                    r = pg.exec_(b"SELECT 1")
                    times.append(time.perf_counter_ns() - t)
                    if r.status != pq.ExecStatus.TUPLES_OK:
                        sys.exit(f"proxy bench: SELECT 1 failed on the {side} connection")
                q = statistics.quantiles(times, n=100)
                per_round["p50"][side].append(q[49] / 1e3)
                per_round["p99"][side].append(q[98] / 1e3)
    finally:
        for c in conns.values():
            c.close()
    for p, by_side in per_round.items():
        summary(f"latency_{p}_us", by_side, res)
    for p in ("p50", "p99"):
        added = res[f"proxy_latency_{p}_us"] - res[f"direct_latency_{p}_us"]
        res[f"proxy_added_{p}_us"] = added


def startup_message(user: str, database: str) -> bytes:
    body = (3 << 16).to_bytes(4, "big")
    for field in ("user", user, "database", database, "application_name", "proxy-bench"):
        body += field.encode() + b"\0"
    body += b"\0"
    return (len(body) + 4).to_bytes(4, "big") + body


def memory(db: Iamdb, proxy: Proxy, n: int, res: dict) -> None:
    """The proxy's RSS idle and with `n` idle sessions (each logged in upstream)."""
    startup = startup_message(db.s["IAMDB_USER"], db.s["IAMDB_DATABASE"])

    async def login(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(startup)
        await w.drain()
        while True:
            head = await r.readexactly(5)
            body = await r.readexactly(int.from_bytes(head[1:], "big") - 4)
            if head[:1] == b"E":
                raise RuntimeError(f"login refused: {body!r}")
            if head[:1] == b"Z":
                return

    def upstream() -> int:
        sql = f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{db.s['IAMDB_USER']}'"
        return int(db.superuser_sql(sql))

    terminate = b"X\0\0\0\4"
    idle_sessions_memory(proxy, n, login, terminate, upstream, "", res, say)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rds-iam", help="the rds-iam binary [default: cargo's release build]")
    a = ap.parse_args()
    quick = a.quick
    rounds = 2 if quick else 6
    sessions = 100 if quick else 1000
    allow_descriptors_for(sessions)
    binary = a.rds_iam or release_binary()
    base_dir = os.environ.get("IAMDB_DIR") or "/tmp/rds-iam-iamdb"
    res: dict[str, float] = {}
    with ExitStack() as stack:
        db = stack.enter_context(Iamdb(f"{base_dir}-proxy-bench", PG_MAX_CONNECTIONS))
        s = db.s
        aws_env = iamdb_aws_env(s)
        log = os.path.join(s["IAMDB_DIR"], "proxy.log")
        proxy = stack.enter_context(Proxy(binary, db, aws_env, log))
        paths = Paths(binary, db, proxy, aws_env)
        sides: tuple[str, ...] = ("direct", "proxy")
        connect_sides = sides
        if shutil.which("pgbouncer"):
            bouncer_log = os.path.join(s["IAMDB_DIR"], "pgbouncer.log")
            bouncer = stack.enter_context(Pgbouncer(s, paths.token, bouncer_log))
            once_log = os.path.join(s["IAMDB_DIR"], "pgbouncer-once.log")
            once = stack.enter_context(Pgbouncer(s, paths.token, once_log, use_once=True))
            paths.middle.update(pgbouncer=bouncer, pgbouncer_once=once)
            sides = ("direct", "proxy", "pgbouncer")
            connect_sides = (*sides, "pgbouncer_once")
            say(f"peer: {bouncer.version()}, session mode, verify-ca, a token as its password")
        else:
            say("pgbouncer is not installed (make system-packages): no peer in this run")
        memory(db, proxy, sessions, res)
        init = subprocess.run(
            ["pgbench", "-i", "-q", "-s", "1"], env=paths.proxy_env, capture_output=True, text=True
        )
        if init.returncode != 0:
            sys.exit(f"proxy bench: pgbench -i failed:\n{init.stderr}")
        # -T counts the clients' logins too (seconds on a loaded machine): a smoke run asks for
        # transactions instead, and pgbench's tps leaves the logins out.
        length = ["-t", "1000"] if quick else ["-T", "10"]
        pgbench_figures("select", "select_tps", ["-S", *length], paths, db, sides, rounds, res)
        if DatabaseOnItsOwnCore.possible():
            # As deployed: the database on a machine of its own, pgbench and the proxy (or
            # pgbouncer) on another (the direct side: pgbench alone there, with its TLS).
            middle = [m.p.pid for m in paths.middle.values()]
            with DatabaseOnItsOwnCore(db.postmaster(), *middle) as layout:
                pgbench_figures(
                    "select_own_core",
                    "select_own_core_tps",
                    ["-S", *length],
                    paths,
                    db,
                    sides,
                    rounds,
                    res,
                    layout,
                )
        length = ["-T", "2" if quick else "10"]
        pgbench_figures(
            "connect", "connect_per_s", ["-C", "-S", *length], paths, db, connect_sides, rounds, res
        )
        latency(paths, 2000 if quick else 10000, rounds, res, sides)
        res["proxy_rss_end_mb"] = proxy.status_mb("VmRSS")
        res["proxy_hwm_end_mb"] = proxy.status_mb("VmHWM")
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
