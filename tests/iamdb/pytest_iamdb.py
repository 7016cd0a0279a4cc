"""pytest plugin: a session-scoped `iamdb` fixture (local PostgreSQL + MariaDB checking IAM tokens).

Use it with `-p pytest_iamdb` (tests/iamdb on sys.path) or `from pytest_iamdb import iamdb`
in a conftest.py. It brings iamdb up once per run and releases it at the end, pass or fail;
the servers stop when no other run (or a manual `iamdb up`) still holds them.
"""
import json
import os
import subprocess

import pytest

ENTRY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "iamdb")


def run_iamdb(*args):
    """Run the entry point; return its stdout. Raises with its stderr on failure."""
    res = subprocess.run([ENTRY, *args], stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=900)
    if res.returncode != 0:
        raise RuntimeError(f"iamdb {' '.join(args)} failed: {res.stderr.strip()}")
    return res.stdout


class IamDb:
    """The settings (IAMDB_* names as keys, also as lower-case attributes) and helpers."""

    def __init__(self, env):
        self.env = dict(env)
        self.host = env["IAMDB_HOST"]
        self.pg_port = int(env["IAMDB_PG_PORT"])
        self.mysql_port = int(env["IAMDB_MYSQL_PORT"])
        self.ca_file = env["IAMDB_CA_FILE"]
        self.rds_host = env["IAMDB_RDS_HOST"]
        self.dsql_cluster_id = env["IAMDB_DSQL_CLUSTER_ID"]
        self.dsql_host = env["IAMDB_DSQL_HOST"]
        self.dsql_admin = env["IAMDB_DSQL_ADMIN_USER"]
        self.user = env["IAMDB_USER"]
        self.database = env["IAMDB_DATABASE"]
        self.region = env["IAMDB_REGION"]
        self.access_key_id = env["IAMDB_ACCESS_KEY_ID"]
        self.secret_access_key = env["IAMDB_SECRET_ACCESS_KEY"]
        self.log = env["IAMDB_LOG"]
        self.pg_superuser_dsn = env["IAMDB_PG_SUPERUSER_DSN"]
        self.mysql_socket = env["IAMDB_MYSQL_SOCKET"]
        self.mysql_admin = (env["IAMDB_MYSQL_ADMIN_USER"], env["IAMDB_MYSQL_ADMIN_PASSWORD"])
        self.cache_port = int(env["IAMDB_CACHE_PORT"])
        self.cache_name = env["IAMDB_CACHE_NAME"]
        self.cache_serverless_name = env["IAMDB_CACHE_SERVERLESS_NAME"]
        self.memorydb_name = env["IAMDB_MEMORYDB_NAME"]
        self.cache_user = env["IAMDB_CACHE_USER"]

    def __getitem__(self, name):
        return self.env[name]

    def port(self, server):
        return {"pg": self.pg_port, "mysql": self.mysql_port}[server]

    def add_key(self, access_key_id, secret_access_key, session_token=None):
        args = ["add-key", "--access-key-id", access_key_id,
                "--secret-access-key", secret_access_key]
        run_iamdb(*args, *(["--session-token", session_token] if session_token else []))

    def set_max_age(self, seconds):
        run_iamdb("set-max-age", str(int(seconds)))

    def set_max_connection_age(self, seconds):
        """Cache connections are cut this long after their last accepted AUTH."""
        run_iamdb("set-max-connection-age", str(float(seconds)))

    def mark(self):
        """A position in the validator log; pass it to log_since()."""
        return os.path.getsize(self.log)

    def log_since(self, mark):
        """The validator's entries (dicts) written after `mark`."""
        with open(self.log, "rb") as f:
            f.seek(mark)
            return [json.loads(line) for line in f.read().decode().splitlines() if line]


@pytest.fixture(scope="session")
def iamdb():
    pid = str(os.getpid())
    run_iamdb("up", "--hold", pid)
    try:
        yield IamDb(json.loads(run_iamdb("json")))
    finally:
        run_iamdb("down", "--release", pid)
