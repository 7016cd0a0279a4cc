"""iamdb shared pieces: state paths, packages, TLS, PAM module, validator config."""
import fcntl
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.abspath(os.environ.get("IAMDB_DIR") or "/tmp/rds-iam-iamdb")
PY = "/usr/bin/python3"
USER = "iam_user"
DATABASE = "iamdb"
REGION = "us-east-1"
ACCESS_KEY_ID = "AKIAIAMDBTEST0000001"
SECRET_ACCESS_KEY = "iamdb/TestSecretKey0000000000000000000001"
MYSQL_ADMIN = ("iamdb_admin", "iamdb_admin_pw")
#: The RDS-style name the servers' certificate carries (next to 127.0.0.1 and localhost), so that
#: drivers can dial 127.0.0.1 with sign_host=RDS_HOST and verify the certificate against it.
RDS_HOST = "db.cluster-iamdb.us-east-1.rds.amazonaws.com"
#: An Aurora DSQL cluster PostgreSQL answers for: its endpoint is in the certificate too, and the
#: validator accepts DSQL tokens for it (DbConnectAdmin for `admin`, DbConnect for other roles).
DSQL_CLUSTER_ID = "iamdbtestcluster0000000000"
DSQL_HOST = f"{DSQL_CLUSTER_ID}.dsql.{REGION}.on.aws"
DSQL_ADMIN = "admin"
CONFIG = os.path.join(DIR, "config.json")
LOG = os.path.join(DIR, "validator.log")
SETTINGS = os.path.join(DIR, "settings.json")
TLS = os.path.join(DIR, "tls")
PAM_SERVICE = "iamdb-" + hashlib.sha256(DIR.encode()).hexdigest()[:8]

#: The Debian packages `make test` needs, one list that .ci/run also purges (see the file).
PACKAGE_LIST = os.path.join(HERE, "..", "system-packages.txt")


def packages():
    """(package, file it installs) pairs from tests/system-packages.txt."""
    pairs = []
    with open(PACKAGE_LIST) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                pkg, path = line
                pairs.append((pkg, path))
    return pairs


def say(msg):
    print(f"iamdb: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}{res.stderr}")
    return res.stdout


def ensure_packages():
    missing = sorted({pkg for pkg, path in packages() if not glob.glob(path)})
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"missing packages {missing}; run as root to install them")
    say(f"installing {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    guard = "/usr/sbin/policy-rc.d"  # keep apt from starting system-wide services
    added = not os.path.exists(guard)
    if added:
        with open(guard, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(guard, 0o755)
    try:
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600",
             *missing], env=env)
    finally:
        if added:
            os.unlink(guard)


def pg_bin():
    """The newest installed PostgreSQL server's bin directory (initdb, pg_ctl, psql)."""
    bins = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    return os.path.dirname(max(bins, key=lambda p: int(p.split("/")[-3])))


def free_port(preferred=None):
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid, name):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return name.encode() in f.read()
    except (OSError, ValueError):
        return False


def stop_pid(pid, name, sig, timeout=15):
    """Signal one server process by PID and wait until it is gone."""
    if not pid or not pid_alive(pid, name):
        return
    os.kill(pid, sig)
    deadline = time.time() + timeout
    while pid_alive(pid, name) and time.time() < deadline:
        time.sleep(0.05)
    if pid_alive(pid, name):
        os.kill(pid, signal.SIGKILL)


class Lock:
    def __enter__(self):
        os.makedirs(DIR, exist_ok=True)
        self.fd = os.open(os.path.join(DIR, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def prepare_dir():
    os.makedirs(DIR, exist_ok=True)
    os.chmod(DIR, 0o755)
    shutil.copyfile(os.path.join(HERE, "validator.py"), os.path.join(DIR, "validator.py"))
    os.chmod(os.path.join(DIR, "validator.py"), 0o644)
    if not os.path.exists(LOG):
        open(LOG, "a").close()
    os.chmod(LOG, 0o666)


def build_pam():
    src = os.path.join(HERE, "pam_iamdb.c")
    so = os.path.join(DIR, "pam_iamdb.so")
    stamp = hashlib.sha256(open(src, "rb").read()).hexdigest()
    try:
        with open(so + ".src") as f:
            if f.read() == stamp and os.path.exists(so):
                return so
    except OSError:
        pass
    run(["gcc", "-O2", "-Wall", "-Werror", "-fPIC", "-shared", "-o", so + ".tmp", src, "-lpam"])
    os.chmod(so + ".tmp", 0o755)
    os.replace(so + ".tmp", so)
    with open(so + ".src", "w") as f:
        f.write(stamp)
    return so


def write_pam_services(so):
    for server in ("pg", "mysql"):
        args = [so, PY, "-IS", os.path.join(DIR, "validator.py"), CONFIG, server]
        text = f"auth required {' '.join(args)}\naccount required pam_permit.so\n"
        with open(f"/etc/pam.d/{PAM_SERVICE}-{server}", "w") as f:
            f.write(text)


def remove_pam_services():
    for server in ("pg", "mysql"):
        try:
            os.unlink(f"/etc/pam.d/{PAM_SERVICE}-{server}")
        except FileNotFoundError:
            pass


def make_tls():
    """A throw-away CA and the servers' certificate, signed by it: CN=RDS_HOST, with
    subjectAltNames RDS_HOST, 127.0.0.1, localhost and DSQL_HOST (PostgreSQL and MariaDB present one
    certificate per server, no SNI choice, so one certificate carries every name)."""
    ca, key = os.path.join(TLS, "ca.pem"), os.path.join(TLS, "server.key")
    names = f"subjectAltName=DNS:{RDS_HOST},IP:127.0.0.1,DNS:localhost,DNS:{DSQL_HOST}\n"
    ext = os.path.join(TLS, "server.ext")
    try:
        with open(ext) as f:
            current = f.read().startswith(names)
    except OSError:
        current = False
    if current and os.path.exists(ca) and os.path.exists(os.path.join(TLS, "server.pem")):
        return
    os.makedirs(TLS, exist_ok=True)
    os.chmod(TLS, 0o755)
    ssl = ["openssl"]
    run(ssl + ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
               "-subj", "/CN=iamdb test CA", "-keyout", os.path.join(TLS, "ca.key"), "-out", ca,
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(ssl + ["req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={RDS_HOST}",
               "-keyout", key, "-out", os.path.join(TLS, "server.csr")])
    with open(ext, "w") as f:
        f.write(names + "basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run(ssl + ["x509", "-req", "-in", os.path.join(TLS, "server.csr"), "-CA", ca,
               "-CAkey", os.path.join(TLS, "ca.key"), "-CAcreateserial", "-days", "3650",
               "-extfile", ext, "-out", os.path.join(TLS, "server.pem")])
    os.chmod(ca, 0o644)


def load_settings():
    try:
        with open(SETTINGS) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_settings(s):
    with open(SETTINGS + ".tmp", "w") as f:
        json.dump(s, f, indent=1)
    os.replace(SETTINGS + ".tmp", SETTINGS)


def load_config():
    with open(CONFIG) as f:
        return json.load(f)


def save_config(c):
    with open(CONFIG + ".tmp", "w") as f:
        json.dump(c, f, indent=1)
    os.chmod(CONFIG + ".tmp", 0o644)
    os.replace(CONFIG + ".tmp", CONFIG)


def fresh_config(pg_port, mysql_port):
    ep = lambda p: [f"127.0.0.1:{p}", f"localhost:{p}", f"{RDS_HOST}:{p}"]  # noqa: E731
    save_config({
        "log": LOG, "regions": [REGION], "max_age": 900,
        "servers": {"pg": {"endpoints": ep(pg_port), "dsql_hosts": [DSQL_HOST]},
                    "mysql": {"endpoints": ep(mysql_port)}},
        "keys": [{"access_key_id": ACCESS_KEY_ID, "secret_access_key": SECRET_ACCESS_KEY,
                  "session_token": None}],
    })


def check_reachable():
    """PAM runs the validator as postgres (and root for MariaDB): the state dir must let them in."""
    for user in ("postgres", "mysql"):
        if subprocess.run(["runuser", "-u", user, "--", "test", "-r", CONFIG]).returncode != 0:
            raise RuntimeError(f"{DIR} is not readable by OS user {user}; "
                               "point IAMDB_DIR somewhere like /tmp")


def settings(s):
    """The values a test needs, as the IAMDB_* variables."""
    pg_sock = os.path.join(DIR, "pg", "run")
    return {
        "IAMDB_HOST": "127.0.0.1",
        "IAMDB_PG_PORT": str(s["pg_port"]),
        "IAMDB_MYSQL_PORT": str(s["mysql_port"]),
        "IAMDB_CA_FILE": os.path.join(TLS, "ca.pem"),
        "IAMDB_RDS_HOST": RDS_HOST,
        "IAMDB_DSQL_CLUSTER_ID": DSQL_CLUSTER_ID,
        "IAMDB_DSQL_HOST": DSQL_HOST,
        "IAMDB_DSQL_ADMIN_USER": DSQL_ADMIN,
        "IAMDB_USER": USER,
        "IAMDB_DATABASE": DATABASE,
        "IAMDB_REGION": REGION,
        "IAMDB_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "IAMDB_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "IAMDB_LOG": LOG,
        "IAMDB_CONFIG": CONFIG,
        "IAMDB_DIR": DIR,
        "IAMDB_PG_SOCKET_DIR": pg_sock,
        "IAMDB_PG_SUPERUSER": "postgres",
        "IAMDB_PG_SUPERUSER_DSN":
            f"host={pg_sock} port={s['pg_port']} user=postgres dbname=postgres",
        "IAMDB_MYSQL_SOCKET": os.path.join(DIR, "mysql", "run", "mysqld.sock"),
        "IAMDB_MYSQL_ADMIN_USER": MYSQL_ADMIN[0],
        "IAMDB_MYSQL_ADMIN_PASSWORD": MYSQL_ADMIN[1],
    }
