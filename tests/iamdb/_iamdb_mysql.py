"""iamdb MariaDB: a private server whose IAM user logs in via auth_pam + cleartext over TLS."""
import os
import pwd
import shutil
import signal
import subprocess
import time

from _iamdb_common import DATABASE, DIR, MYSQL_ADMIN, PAM_SERVICE, TLS, USER, pid_alive, \
    port_open, run, stop_pid

ROOT = os.path.join(DIR, "mysql")
DATA = os.path.join(ROOT, "data")
RUN = os.path.join(ROOT, "run")
LOGS = os.path.join(ROOT, "log")
CNF = os.path.join(ROOT, "my.cnf")
INIT = os.path.join(ROOT, "init.sql")
ERROR_LOG = os.path.join(LOGS, "error.log")
PIDFILE = os.path.join(RUN, "mysqld.pid")

CNF_TEXT = """[mariadbd]
datadir = {data}
socket = {run}/mysqld.sock
pid-file = {pid}
port = {port}
bind-address = 127.0.0.1
log-error = {err}
skip-name-resolve
skip-log-bin
performance-schema = OFF
innodb-buffer-pool-size = 32M
innodb-flush-log-at-trx-commit = 0
max-connections = 100
ssl-ca = {tls}/ca.pem
ssl-cert = {tls}/server.pem
ssl-key = {tls}/server.key
"""
INIT_SQL = f"""
CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED VIA pam USING '{PAM_SERVICE}-mysql' REQUIRE SSL;
ALTER USER '{USER}'@'%' IDENTIFIED VIA pam USING '{PAM_SERVICE}-mysql' REQUIRE SSL;
CREATE DATABASE IF NOT EXISTS {DATABASE};
GRANT ALL ON {DATABASE}.* TO '{USER}'@'%';
CREATE USER IF NOT EXISTS '{MYSQL_ADMIN[0]}'@'%' IDENTIFIED BY '{MYSQL_ADMIN[1]}';
ALTER USER '{MYSQL_ADMIN[0]}'@'%' IDENTIFIED BY '{MYSQL_ADMIN[1]}';
GRANT ALL ON *.* TO '{MYSQL_ADMIN[0]}'@'%' WITH GRANT OPTION;
"""


def pid():
    try:
        with open(PIDFILE) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running():
    return pid_alive(pid(), "mariadbd")


def start(port):
    pw = pwd.getpwnam("mysql")
    os.makedirs(ROOT, exist_ok=True)
    os.chmod(ROOT, 0o755)
    tls = os.path.join(ROOT, "tls")
    for d in (RUN, LOGS, tls):
        os.makedirs(d, exist_ok=True)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o755)
    for name in ("ca.pem", "server.pem", "server.key"):
        shutil.copyfile(os.path.join(TLS, name), os.path.join(tls, name))
        os.chown(os.path.join(tls, name), pw.pw_uid, pw.pw_gid)
        os.chmod(os.path.join(tls, name), 0o600 if name.endswith(".key") else 0o644)
    with open(CNF, "w") as f:
        f.write(CNF_TEXT.format(data=DATA, run=RUN, pid=PIDFILE, port=port, err=ERROR_LOG, tls=tls))
    os.chmod(CNF, 0o644)
    with open(INIT, "w") as f:
        f.write(INIT_SQL)
    os.chmod(INIT, 0o644)
    if not os.path.isdir(os.path.join(DATA, "mysql")):
        shutil.rmtree(DATA, ignore_errors=True)
        try:
            run(["mariadb-install-db", f"--defaults-file={CNF}", "--user=mysql",
                 "--auth-root-authentication-method=socket", "--skip-test-db"])
        except Exception:
            shutil.rmtree(DATA, ignore_errors=True)
            raise
    if os.path.exists(PIDFILE):
        os.unlink(PIDFILE)
    mark = os.path.getsize(ERROR_LOG) if os.path.exists(ERROR_LOG) else 0
    proc = subprocess.Popen(
        ["/usr/sbin/mariadbd", f"--defaults-file={CNF}", "--user=mysql",
         "--plugin-load-add=auth_pam.so", "--pam-use-cleartext-plugin=ON", f"--init-file={INIT}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        if running() and port_open(port):
            return
        time.sleep(0.05)
    proc.kill()
    with open(ERROR_LOG, errors="replace") if os.path.exists(ERROR_LOG) else open(os.devnull) as f:
        f.seek(mark)
        log = f.read()[-3000:]
    raise RuntimeError(f"mariadbd did not start:\n{log}")


def stop():
    stop_pid(pid(), "mariadbd", signal.SIGTERM, timeout=30)
