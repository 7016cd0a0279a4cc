"""pgbouncer as the proxy bench's peer: what a user who already runs a pooler would put in front
of an IAM database instead of `rds-iam proxy`.

Session mode; clients log in with trust on loopback (as they do to our proxy); the server leg
is TLS checked against iamdb's CA (`server_tls_sslmode = verify-ca`: the certificate names the
RDS host, which does not resolve here, and pgbouncer has no hostaddr), with a token from
`rds-iam token` as the server password in `[databases]` (Debian's pgbouncer 1.18 takes a
352-character one). A token lasts 15 minutes: `refresh()` writes a fresh one and reloads
pgbouncer (SIGHUP) before each of its runs, as a cron job beside a real pgbouncer would.

`server_lifetime = 0` makes every server connection serve one client and close (pgbouncer's
"use once"): a login upstream per client connection, as our proxy does. The default pools
server connections across clients, so `pgbench -C` through it logs in upstream only when the
pool grows."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Callable

from proxy_common import free_port, proc_cpu_s


class Pgbouncer:
    """pgbouncer in front of iamdb's PostgreSQL; `token` returns a fresh token."""

    def __init__(
        self, s: dict[str, str], token: Callable[[], str], log: str, use_once: bool = False
    ) -> None:
        self.s, self.token, self.log, self.use_once = s, token, log, use_once
        #: Whether server connections outlive their client (the default pool).
        self.pools = not use_once
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-pgbouncer-")
        self.ini = os.path.join(self.dir, "pgbouncer.ini")
        # pgbouncer refuses to run as root: started by root it drops to `nobody`, and reads
        # its files again as nobody on a reload, so they are nobody's (the token's file 0600).
        self.user = "nobody" if os.geteuid() == 0 else None

    def _own(self, path: str) -> None:
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def write_config(self) -> None:
        s = self.s
        ca = os.path.join(self.dir, "ca.pem")
        shutil.copyfile(s["IAMDB_CA_FILE"], ca)
        users = os.path.join(self.dir, "users.txt")
        with open(users, "w") as f:
            f.write(f'"{s["IAMDB_USER"]}" ""\n')
        server = f"host=127.0.0.1 port={s['IAMDB_PG_PORT']} dbname={s['IAMDB_DATABASE']}"
        server += f" user={s['IAMDB_USER']} password={self.token()}"
        lifetime = "server_lifetime = 0\n" if self.use_once else ""
        text = f"""[databases]
{s["IAMDB_DATABASE"]} = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = session
max_client_conn = 2000
default_pool_size = 100
server_tls_sslmode = verify-ca
server_tls_ca_file = {ca}
{lifetime}"""
        fd = os.open(self.ini + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(self.ini + ".new", self.ini)
        for path in (self.dir, ca, users, self.ini):
            self._own(path)

    def __enter__(self) -> Pgbouncer:
        self.write_config()
        cmd = ["pgbouncer", *(["-u", self.user] if self.user else []), self.ini]
        with open(self.log, "w") as log:
            self.p = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while "listening on 127.0.0.1" not in open(self.log).read():
            if self.p.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                sys.exit(f"proxy bench: pgbouncer did not start; its log: {self.log}")
            time.sleep(0.05)
        return self

    def refresh(self) -> None:
        """A fresh token in [databases], and a reload."""
        self.write_config()
        self.p.send_signal(signal.SIGHUP)
        time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)  # "safe shutdown": waits for clients
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cpu_s(self) -> float:
        """User + system CPU time pgbouncer has used (one process, one thread)."""
        return proc_cpu_s(self.p.pid)

    def version(self) -> str:
        out = subprocess.run(["pgbouncer", "--version"], capture_output=True, text=True)
        return out.stdout.splitlines()[0] if out.stdout else "pgbouncer"
