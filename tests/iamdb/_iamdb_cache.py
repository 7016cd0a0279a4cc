"""iamdb cache: a private Redis on 127.0.0.1 behind cache_front.py, which checks ElastiCache /
MemoryDB IAM tokens. Redis itself listens only on a local port the tests never dial: its one ACL
user (USER) has a random password that only the front knows, and `default` is off, so every
session goes through the front's token check."""
import os
import secrets
import signal
import subprocess
import sys
import time

from _iamdb_common import DIR, HERE, PY, TLS, USER, load_config, pid_alive, port_open, \
    save_config, stop_pid

ROOT = os.path.join(DIR, "cache")
CONF = os.path.join(ROOT, "redis.conf")
REDIS_PID = os.path.join(ROOT, "redis.pid")
FRONT_PID = os.path.join(ROOT, "front.pid")
SECRET = os.path.join(ROOT, "acl-password")
REDIS_LOG = os.path.join(ROOT, "redis.log")
FRONT_LOG = os.path.join(ROOT, "front.log")
#: Cache names the front answers for, one per flavour (each decides service and ResourceType).
NAMES = {"iamdb-cache": "elasticache", "iamdb-serverless": "elasticache-serverless",
         "iamdb-memorydb": "memorydb"}
#: ElastiCache cuts an IAM connection 12 hours after its last AUTH; `set-max-connection-age`.
MAX_CONNECTION_AGE = 43200

REDIS_CONF = """port {port}
bind 127.0.0.1
protected-mode yes
daemonize no
pidfile {pid}
logfile {log}
dir {root}
save ""
appendonly no
user default off
user {user} on >{secret} ~* &* +@all
cluster-enabled yes
cluster-config-file {root}/nodes.conf
cluster-port {bus_port}
cluster-announce-ip 127.0.0.1
cluster-announce-port {front_port}
cluster-require-full-coverage no
"""


def _pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running():
    return pid_alive(_pid(REDIS_PID), "redis-server") and pid_alive(_pid(FRONT_PID), "cache_front")


def add_config():
    """The cache section of the validator config (names, max_connection_age)."""
    cfg = load_config()
    cfg["cache"] = {"names": NAMES, "max_connection_age": MAX_CONNECTION_AGE}
    save_config(cfg)


def _wait(proc, port, what, logfile):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        if port_open(port):
            return
        time.sleep(0.05)
    proc.kill()
    with open(logfile, errors="replace") if os.path.exists(logfile) else open(os.devnull) as f:
        raise RuntimeError(f"{what} did not start:\n{f.read()[-3000:]}")


def start(port, redis_port, bus_port):
    """Redis on redis_port (local only), the TLS front on port. Redis runs as a one-node cluster
    owning every slot and announcing the front's port, so cluster clients (CLUSTER SLOTS /
    SHARDS) come back through the front too; plain clients see a normal server (db 0 only)."""
    os.makedirs(ROOT, exist_ok=True)
    os.chmod(ROOT, 0o700)
    secret = secrets.token_hex(24)
    with open(SECRET, "w") as f:
        f.write(secret)
    os.chmod(SECRET, 0o600)
    with open(CONF, "w") as f:
        f.write(REDIS_CONF.format(port=redis_port, pid=REDIS_PID, log=REDIS_LOG, root=ROOT,
                                  user=USER, secret=secret, bus_port=bus_port, front_port=port))
    nodes = os.path.join(ROOT, "nodes.conf")
    if os.path.exists(nodes):
        os.unlink(nodes)  # a fresh one-node cluster every start
    os.chmod(CONF, 0o600)
    for path in (REDIS_PID, FRONT_PID):
        if os.path.exists(path):
            os.unlink(path)
    redis = subprocess.Popen(["/usr/bin/redis-server", CONF], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    _wait(redis, redis_port, "redis-server", REDIS_LOG)
    cli = ["/usr/bin/redis-cli", "-p", str(redis_port), "--user", USER, "--pass", secret,
           "--no-auth-warning"]
    subprocess.run(cli + ["CLUSTER", "ADDSLOTSRANGE", "0", "16383"], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)
    deadline = time.time() + 10
    while b"cluster_state:ok" not in subprocess.run(
            cli + ["CLUSTER", "INFO"], stdin=subprocess.DEVNULL, capture_output=True).stdout:
        if time.time() > deadline:
            raise RuntimeError("redis-server: the one-node cluster did not reach state ok")
        time.sleep(0.05)
    with open(FRONT_LOG, "ab") as log:
        front = subprocess.Popen(
            [PY, "-IS", os.path.join(HERE, "cache_front.py"), os.path.join(DIR, "config.json"),
             str(port), str(redis_port), os.path.join(TLS, "server.pem"),
             os.path.join(TLS, "server.key"), SECRET],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    with open(FRONT_PID, "w") as f:
        f.write(str(front.pid))
    _wait(front, port, "cache_front.py", FRONT_LOG)


def stop():
    stop_pid(_pid(FRONT_PID), "cache_front", signal.SIGTERM)
    stop_pid(_pid(REDIS_PID), "redis-server", signal.SIGTERM)


def settings(s):
    """The cache's IAMDB_* values (merged into `iamdb env`)."""
    return {
        "IAMDB_CACHE_PORT": str(s["cache_port"]),
        "IAMDB_CACHE_NAME": "iamdb-cache",
        "IAMDB_CACHE_SERVERLESS_NAME": "iamdb-serverless",
        "IAMDB_MEMORYDB_NAME": "iamdb-memorydb",
        "IAMDB_CACHE_USER": USER,
    }


if __name__ == "__main__":
    sys.exit("imported by tests/iamdb/iamdb")
