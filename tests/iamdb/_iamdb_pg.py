"""iamdb PostgreSQL: a private cluster whose rds_iam members log in through PAM over TLS."""
import glob
import os
import pwd
import shutil
import signal

from _iamdb_common import (DATABASE, DIR, DSQL_ADMIN, PAM_SERVICE, TLS, USER, pg_bin, pid_alive,
                           run, stop_pid)

#: PostgreSQL's max_connections unless `iamdb up --pg-max-connections N` asks for more (the proxy
#: bench holds 1000 idle sessions, each a backend).
DEFAULT_MAX_CONNECTIONS = 60

ROOT = os.path.join(DIR, "pg")
DATA = os.path.join(ROOT, "data")
RUN = os.path.join(ROOT, "run")
SERVER_LOG = os.path.join(ROOT, "server.log")

CONF = """listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{run}'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = {max_connections}
"""
HBA = """# iamdb: IAM users only over TLS through PAM; the superuser over the unix socket
local     all +rds_iam      reject
local     all all           trust
hostssl   all +rds_iam      127.0.0.1/32 pam pamservice={svc}-pg
hostnossl all +rds_iam      127.0.0.1/32 reject
"""
SQL = f"""
DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN CREATE ROLE rds_iam; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{USER}') THEN CREATE ROLE {USER} LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DSQL_ADMIN}') THEN
    CREATE ROLE {DSQL_ADMIN} LOGIN; END IF;
END$$;
GRANT rds_iam TO {USER};
GRANT rds_iam TO {DSQL_ADMIN};
SELECT 'CREATE DATABASE {DATABASE} OWNER {USER}'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE}')\\gexec
"""


def as_postgres(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd]


def pid():
    try:
        with open(os.path.join(DATA, "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def running():
    return pid_alive(pid(), "postgres")


def _own(path, mode, pw):
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, mode)


def start(port, max_connections=DEFAULT_MAX_CONNECTIONS):
    pw = pwd.getpwnam("postgres")
    for d in (ROOT, RUN):
        os.makedirs(d, exist_ok=True)
        _own(d, 0o755, pw)
    if not os.path.exists(os.path.join(DATA, "PG_VERSION")):
        shutil.rmtree(DATA, ignore_errors=True)
        try:
            run(as_postgres([os.path.join(pg_bin(), "initdb"), "-D", DATA, "-U", "postgres",
                             "-E", "UTF8", "--no-sync", "--auth-local=trust",
                             "--auth-host=reject"]))
        except Exception:
            shutil.rmtree(DATA, ignore_errors=True)
            raise
    for name, src, mode in (("server.crt", "server.pem", 0o644), ("server.key", "server.key", 0o600)):
        dst = os.path.join(DATA, name)
        shutil.copyfile(os.path.join(TLS, src), dst)
        _own(dst, mode, pw)
    conf = CONF.format(port=port, run=RUN, max_connections=max_connections)
    for name, text in (("iamdb.conf", conf),
                       ("pg_hba.conf", HBA.format(svc=PAM_SERVICE))):
        with open(os.path.join(DATA, name), "w") as f:
            f.write(text)
        _own(os.path.join(DATA, name), 0o600, pw)
    if not running():  # lock files left by a killed server (maybe a zombie nobody reaps)
        for stale in glob.glob(os.path.join(RUN, ".s.PGSQL.*")) + [os.path.join(DATA, "postmaster.pid")]:
            if os.path.exists(stale):
                os.unlink(stale)
    main_conf = os.path.join(DATA, "postgresql.conf")
    if "include 'iamdb.conf'" not in open(main_conf).read():
        with open(main_conf, "a") as f:
            f.write("\ninclude 'iamdb.conf'\n")
    run(as_postgres([os.path.join(pg_bin(), "pg_ctl"), "-D", DATA, "-l", SERVER_LOG,
                     "-w", "-t", "60", "start"]))
    psql = os.path.join(pg_bin(), "psql")
    run([psql if os.path.exists(psql) else "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", RUN,
         "-p", str(port), "-U", "postgres", "-d", "postgres", "-f", "-"], input=SQL)


def stop():
    stop_pid(pid(), "postgres", signal.SIGINT)  # SIGINT = fast shutdown
