"""What the two proxy benches (proxy_bench.py for PostgreSQL, proxy_mysql_bench.py for MySQL)
share: the release binary, the proxy as a process, CPU accounting, ABBA rounds and their
summary, and the "database on a core of its own" layout."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Awaitable, Callable, Iterable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def release_binary() -> str:
    """The release `rds-iam` (cargo builds it when it is out of date)."""
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "rds-iam", "--bin", "rds-iam"],
        cwd=ROOT,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    return os.path.join(target, "release", "rds-iam")


def proc_cpu_s(pid: int, reaped_children: bool = False) -> float:
    """User + system CPU seconds of a process (and of the children it has reaped)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = [int(v) for v in f.read().rsplit(")", 1)[1].split()[11:15]]
    return sum(fields if reaped_children else fields[:2]) / CLK_TCK


class ProxyProcess:
    """The release proxy run as a service runs it: a session of its own, readiness awaited on
    its HTTP port, SIGTERM and a wait on exit. `name` prefixes its failures."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: str) -> None:
        self.name = name
        self.port = free_port()
        self.http = free_port()
        self.cmd = [*cmd, "--listen", f"127.0.0.1:{self.port}"]
        self.cmd += ["--http-address", f"127.0.0.1:{self.http}", "--max-sigterm-delay", "1s"]
        self.env = env
        self.log = log

    def __enter__(self) -> ProxyProcess:
        # A session of its own, as a service or a sidecar runs and as pg_ctl starts PostgreSQL:
        # with the kernel's autogroups the session decides whose CPU share its threads draw on
        # (in the bench's session, the clients').
        with open(self.log, "w") as log:
            self.p = subprocess.Popen(
                self.cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while self.get("/readiness") != 200:
            if self.p.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                sys.exit(f"{self.name}: the proxy did not get ready; its log: {self.log}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=2) as r:
                return r.status
        except OSError:
            return 0

    def metric(self, name: str) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/metrics", timeout=2) as r:
            text = r.read().decode()
        return sum(float(m) for m in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))

    def status_mb(self, field: str) -> float:
        """VmRSS / VmHWM from /proc/<pid>/status, in MB."""
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} in /proc/{self.p.pid}/status")

    def cpu_s(self) -> float:
        """User + system CPU time the proxy has used."""
        return proc_cpu_s(self.p.pid)


def paired(
    rounds: int, measure: Callable[[str], float], sides: tuple[str, ...] = ("direct", "proxy")
) -> dict[str, list[float]]:
    """`measure(side)` for every side, `rounds` times, in alternating order (AB BA, or ABC CBA
    with a peer such as pgbouncer), so that load from other work on the machine falls on all
    sides alike."""
    out: dict[str, list[float]] = {side: [] for side in sides}
    for i in range(rounds):
        for side in sides if i % 2 == 0 else sides[::-1]:
            out[side].append(measure(side))
    return out


def summary(
    prefix: str, name: str, sides: dict[str, list[float]], res: dict[str, float], say: Callable
) -> None:
    """Medians and ranges of each side ({prefix}direct_NAME, {prefix}proxy_NAME, and any peer's
    {prefix}PEER_NAME), and of the per-round ratios: proxy/direct ({prefix}proxy_NAME_ratio),
    PEER/direct ({prefix}PEER_NAME_ratio) and proxy/PEER ({prefix}proxy_NAME_vs_PEER)."""

    def ratio(key: str, num: list[float], den: list[float]) -> str:
        ratios = [a / b for a, b in zip(num, den) if b]
        res[key] = statistics.median(ratios)
        res[f"{key}_min"] = min(ratios)
        res[f"{key}_max"] = max(ratios)
        return f"{res[key]:.3f} ({min(ratios):.3f}-{max(ratios):.3f})"

    for key, values in sides.items():
        res[f"{prefix}{key}_{name}"] = statistics.median(values)
        res[f"{prefix}{key}_{name}_min"] = min(values)
        res[f"{prefix}{key}_{name}_max"] = max(values)
    text = ", ".join(f"{k} {[round(v, 1) for v in vs]}" for k, vs in sides.items())
    text += ", ratio " + ratio(f"{prefix}proxy_{name}_ratio", sides["proxy"], sides["direct"])
    for peer in [k for k in sides if k not in ("direct", "proxy")]:
        ratio(f"{prefix}{peer}_{name}_ratio", sides[peer], sides["direct"])
        text += f", vs {peer} " + ratio(
            f"{prefix}proxy_{name}_vs_{peer}", sides["proxy"], sides[peer]
        )
    say(f"{name}: {text}")


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (a server's backends, their helpers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            pass  # gone meanwhile
    return out


def pin(pids: Iterable[int], cpus: set[int]) -> None:
    """Every thread of `pids` onto `cpus`; what they start later inherits it."""
    for pid in pids:
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(task), cpus)
        except (FileNotFoundError, ProcessLookupError):
            pass


class DatabaseOnItsOwnCore:
    """The layout the proxy is deployed in: the database on a machine of its own, the client
    and the proxy on another. Here: the server's processes and threads pinned to the last CPU,
    the proxies (ours and a peer such as pgbouncer; through `client_cpus`, the client) to the
    others. None on a 1-CPU machine."""

    def __init__(self, server_pid: int, *proxy_pids: int) -> None:
        self.all = os.sched_getaffinity(0)
        self.server_cpus = {max(self.all)}
        self.client_cpus = self.all - self.server_cpus
        self.server_pid, self.proxy_pids = server_pid, list(proxy_pids)

    @staticmethod
    def possible() -> bool:
        return len(os.sched_getaffinity(0)) >= 2

    def __enter__(self) -> DatabaseOnItsOwnCore:
        pin(process_tree(self.server_pid), self.server_cpus)
        pin(self.proxy_pids, self.client_cpus)
        return self

    def __exit__(self, *exc: object) -> None:
        pin(process_tree(self.server_pid), self.all)
        pin(self.proxy_pids, self.all)

    def preexec(self) -> None:
        """For a client's Popen: run it on the client's CPUs."""
        os.sched_setaffinity(0, self.client_cpus)


#: Logs one raw protocol session in: writes the engine's login, reads until it is logged in,
#: raises when refused.
Login = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def open_sessions(
    port: int, n: int, concurrency: int, login: Login
) -> list[asyncio.StreamWriter]:
    """`n` sessions through the proxy, each logged in, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)
    opened: list[asyncio.StreamWriter] = []

    async def one() -> None:
        async with gate:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            opened.append(w)
            await login(r, w)

    await asyncio.gather(*(one() for _ in range(n)))
    return opened


async def close_sessions(opened: list[asyncio.StreamWriter], goodbye: bytes) -> None:
    for w in opened:
        w.write(goodbye)
        w.close()
    await asyncio.gather(*(w.wait_closed() for w in opened), return_exceptions=True)


def idle_sessions_memory(
    proxy: ProxyProcess,
    n: int,
    login: Login,
    goodbye: bytes,
    upstream_sessions: Callable[[], int],
    prefix: str,
    res: dict[str, float],
    say: Callable[[str], None],
) -> None:
    """The proxy's RSS idle and with `n` idle sessions, each logged in upstream (counted by
    `upstream_sessions`, the server's own view); `goodbye` ends one."""
    key = f"{prefix}proxy_"
    res[f"{key}rss_idle_mb"] = proxy.status_mb("VmRSS")
    loop = asyncio.new_event_loop()
    t = time.monotonic()
    try:
        opened = loop.run_until_complete(open_sessions(proxy.port, n, 8, login))
        took = time.monotonic() - t
        time.sleep(0.5)  # let the last sessions settle into the splice
        open_now = proxy.metric("rds_iam_proxy_connections_open")
        upstream = upstream_sessions()
        if open_now < n or upstream < n:
            sys.exit(f"{proxy.name}: {n} sessions asked, {open_now} open, {upstream} upstream")
        res[f"{key}sessions"] = n
        res[f"{key}rss_sessions_mb"] = proxy.status_mb("VmRSS")
        res[f"{key}hwm_sessions_mb"] = proxy.status_mb("VmHWM")
        res[f"{key}session_logins_per_s"] = n / took
        loop.run_until_complete(close_sessions(opened, goodbye))
    finally:
        loop.close()
    deadline = time.monotonic() + 10
    while proxy.metric("rds_iam_proxy_connections_open") > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    res[f"{key}rss_after_sessions_mb"] = proxy.status_mb("VmRSS")
    grown = res[f"{key}rss_sessions_mb"] - res[f"{key}rss_idle_mb"]
    res[f"{key}rss_per_session_kb"] = grown * 1024 / n
    say(
        f"memory: idle {res[f'{key}rss_idle_mb']:.1f} MB, {n} sessions "
        f"{res[f'{key}rss_sessions_mb']:.1f} MB (HWM {res[f'{key}hwm_sessions_mb']:.1f}), "
        f"after {res[f'{key}rss_after_sessions_mb']:.1f} MB; {n} logins in {took:.1f} s"
    )


def iamdb_aws_env(s: dict[str, str]) -> dict[str, str]:
    """This environment with iamdb's access key as the only credentials: no profile, no IMDS."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **clean,
        "AWS_ACCESS_KEY_ID": s["IAMDB_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": s["IAMDB_SECRET_ACCESS_KEY"],
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }


def allow_descriptors_for(sessions: int) -> None:
    """`sessions` idle sessions hold two descriptors each in the proxy and one here."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 4 * sessions:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8 * sessions), hard))
