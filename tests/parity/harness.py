"""The parity suite's machinery: a HOME per scenario, fakeaws over http and TLS (private CA), a
forwarding proxy, botocore's answer, and rds-iam's answers from the Rust CLI, Python and Node.

Each rds-iam entry point resolves every scenario in ONE process (the CLI: one short process per
scenario): it resets fakeaws, applies the scenario's fakeaws config and environment, clears
rds-iam's caches and signs one token; the access key id is read from the token's
X-Amz-Credential (the token itself is never printed)."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from fakeaws.fakeaws import FakeAws, Handler  # noqa: E402

from proxy import Proxy  # noqa: E402
from scenarios import FAILURE_CODES, SCENARIOS  # noqa: E402

HOST = "db.cluster-parity.us-east-1.rds.amazonaws.com"
USER = "parity_user"
# Variables that change credential resolution: removed from every scenario's environment.
CLEARED = re.compile(r"^(AWS_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$)", re.I)


def credential_of(token):
    """The access key id a token was signed with (from X-Amz-Credential=<id>%2F<date>…)."""
    m = re.search(r"X-Amz-Credential=([A-Z0-9]+)%2F", token)
    return m.group(1) if m else "?"


class Servers:
    """fakeaws (http + a TLS front on the same state), a private CA, a proxy, a dead port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rds-iam-parity-")
        self.fake = FakeAws().start()
        self.ca = self._make_ca()
        tls = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        tls.daemon_threads = True
        tls.state, tls.verbose = self.fake._httpd.state, False
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.dir, "server.pem"), os.path.join(self.dir, "server.key"))
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        threading.Thread(target=tls.serve_forever, args=(0.1,), daemon=True).start()
        self.tls = tls
        self.tls_url = f"https://127.0.0.1:{tls.server_address[1]}"
        self.proxy = Proxy().start()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.dead = f"http://127.0.0.1:{s.getsockname()[1]}"
        s.close()

    def _make_ca(self):
        d, run = self.dir, lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
        ca, key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=parity test CA",
            "-keyout", key, "-out", ca, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", os.path.join(d, "server.key"), "-out", os.path.join(d, "server.csr"))
        ext = os.path.join(d, "server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", os.path.join(d, "server.csr"), "-CA", ca, "-CAkey", key,
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", os.path.join(d, "server.pem"))
        return ca

    def stop(self):
        self.tls.shutdown()
        self.proxy.stop()
        self.fake.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def materialize(servers, scenario, index):
    """Writes the scenario's HOME; returns the environment it runs in (only the keys to set)."""
    home = os.path.join(servers.dir, f"home{index:02d}")
    subs = {"home": home, "url": servers.fake.url, "tls_url": servers.tls_url, "ca": servers.ca,
            "proxy": servers.proxy.url, "dead": servers.dead, "py": sys.executable}
    fill = lambda text: re.sub(r"\{(\w+)\}", lambda m: subs[m.group(1)], text)  # noqa: E731
    files = dict(scenario["files"])
    if scenario["config"] is not None:
        files[".aws/config"] = scenario["config"]
    if scenario["credentials"] is not None:
        files[".aws/credentials"] = scenario["credentials"]
    os.makedirs(home, exist_ok=True)
    for rel, text in files.items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(fill(text))
    env = {"HOME": home, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": servers.fake.url,
           "AWS_ENDPOINT_URL_SSO": servers.fake.url,
           "AWS_EC2_METADATA_SERVICE_ENDPOINT": servers.fake.url}
    if not scenario["imds"]:
        env["AWS_EC2_METADATA_DISABLED"] = "true"
    if scenario["ecs"]:
        env.update(servers.fake.env(ecs=True))
    env.update({k: fill(v) for k, v in scenario["env"].items()})
    return env


def base_environ():
    """This process's environment without anything that steers credentials or proxies."""
    return {k: v for k, v in os.environ.items() if not CLEARED.match(k)}


def summarize_calls(calls):
    """What the fake saw, in a form both SDKs must agree on (default session names differ)."""
    out = []
    for c in calls:
        if c["service"] == "sts":
            name = c.get("role_session_name")
            out.append(["sts", c["action"], c.get("role_arn"),
                        name if name == "parity-session" else "<default>",
                        c.get("external_id"), c.get("duration_seconds") or "3600"])
        elif c["service"] == "sso":
            out.append(["sso", c.get("role_name"), c.get("account_id")])
    return out


# ---- botocore, the oracle ----------------------------------------------------------------------

def botocore_resolve(env, profile=None):
    """botocore's answer for one scenario: an access key id, or `!` + the exception's class."""
    import botocore.credentials
    import botocore.exceptions
    import botocore.session
    import botocore.tokens
    import botocore.utils

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(base_environ())
    os.environ.update(env)
    # botocore expands `~` in its cache paths once, at import; a process has one HOME, this one
    # has a HOME per scenario.
    home_aws = os.path.join(env["HOME"], ".aws")
    botocore.credentials.SSOProvider._SSO_TOKEN_CACHE_DIR = os.path.join(home_aws, "sso", "cache")
    botocore.tokens.SSOTokenProvider._SSO_TOKEN_CACHE_DIR = os.path.join(home_aws, "sso", "cache")
    botocore.utils.JSONFileCache.CACHE_DIR = os.path.join(home_aws, "boto", "cache")
    try:
        creds = botocore.session.Session(profile=profile).get_credentials()
        if creds is None:
            return "!None"
        return creds.get_frozen_credentials().access_key
    except botocore.exceptions.SSLError:
        return "!SSLError"
    except Exception as e:  # noqa: BLE001 - the class name is the answer
        return "!" + type(e).__name__
    finally:
        os.environ.clear()
        os.environ.update(saved)


# ---- rds-iam ------------------------------------------------------------------------------------

def parse_cli(proc):
    if proc.returncode == 0:
        return {"key": credential_of(proc.stdout)}
    m = re.search(r"error\[(\w+)\]: (.*)", proc.stderr, re.S)
    return {"code": m.group(1), "message": m.group(2)} if m else {"code": "?", "message": proc.stderr}


def rust_cli_resolve(cli, servers, scenario, env):
    servers.fake.reset()
    if scenario["fake"]:
        servers.fake.configure(**scenario["fake"])
    profile = ["--profile", scenario["profile"]] if scenario["profile"] else []
    proc = subprocess.run([cli, "token", "--host", HOST, "--user", USER, *profile], env={**base_environ(), **env},
                          capture_output=True, text=True, timeout=60)
    out = parse_cli(proc)
    out["calls"] = summarize_calls(servers.fake.calls())
    return out


def batch_resolve(argv, servers, jobs):
    """Runs one process (Python or Node) over every scenario; it prints one JSON line each."""
    payload = json.dumps({"fake_url": servers.fake.url, "host": HOST, "user": USER, "jobs": jobs})
    proc = subprocess.run(argv, input=payload, env=base_environ(), capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def expected(scenario):
    """rds-iam's expected answer: botocore's, or the recorded divergence."""
    want = scenario["rdsiam"] or scenario["botocore"]
    if want.startswith("!"):
        name = want[1:]
        return "!" + FAILURE_CODES.get(name, name)
    return want


def fill_home(text, env):
    return text.replace("{home}", env["HOME"])


def answer_of(result):
    return result["key"] if "key" in result else "!" + result["code"]


def run(cli=None, python=None, node=None, check_table=True, only=None):
    """Every scenario through botocore and each given rds-iam entry point. Returns
    (rows, problems): rows for the report, problems as readable strings (none = parity)."""
    servers = Servers()
    problems, rows = [], []
    try:
        chosen = [(i, s) for i, s in enumerate(SCENARIOS) if not only or only in s["name"]]
        envs = {i: materialize(servers, s, i) for i, s in chosen}
        oracle_calls = {}
        for i, s in chosen:
            servers.fake.reset()
            if s["fake"]:
                servers.fake.configure(**s["fake"])
            seen = len(servers.proxy.seen)
            got = botocore_resolve(envs[i], s["profile"])
            oracle_calls[i] = summarize_calls(servers.fake.calls())
            if s["proxied"] != (len(servers.proxy.seen) > seen):
                problems.append(f"{s['name']}: the proxy carried botocore's calls: "
                                f"{len(servers.proxy.seen) > seen}, want {s['proxied']}")
            row = {"name": s["name"], "botocore": got}
            if check_table and got != s["botocore"]:
                problems.append(f"{s['name']}: botocore now answers {got}, the table says {s['botocore']}")
            rows.append(row)
        answers = {}
        if cli:
            answers["rust"] = []
            for i, s in chosen:
                seen = len(servers.proxy.seen)
                answers["rust"].append(rust_cli_resolve(cli, servers, s, envs[i]))
                if s["proxied"] != (len(servers.proxy.seen) > seen):
                    problems.append(f"{s['name']} [rust]: the proxy carried the calls: "
                                    f"{len(servers.proxy.seen) > seen}, want {s['proxied']}")
        jobs = [{"name": s["name"], "env": envs[i], "fake": s["fake"], "profile": s["profile"]} for i, s in chosen]
        if python:
            answers["python"] = batch_resolve([python, os.path.join(HERE, "resolve_py.py")], servers, jobs)
        if node:
            answers["node"] = batch_resolve(["node", os.path.join(HERE, "resolve_node.js")], servers, jobs)
        for lang, results in answers.items():
            for (i, s), row, res in zip(chosen, rows, results):
                got, want = answer_of(res), expected(s)
                row[lang] = got
                if got != want:
                    problems.append(f"{s['name']} [{lang}]: got {got}, want {want} "
                                    f"({res.get('message', '')[:400]!r})")
                elif s["headline"] and fill_home(s["headline"], envs[i]) not in \
                        res.get("message", "").split("\n")[0]:
                    problems.append(f"{s['name']} [{lang}]: the message's first line is not "
                                    f"{s['headline']!r}: {res.get('message', '')[:300]!r}")
                elif not want.startswith("!") and res["calls"] != oracle_calls[i]:
                    problems.append(f"{s['name']} [{lang}]: AWS calls {res['calls']} "
                                    f"!= botocore's {oracle_calls[i]}")
    finally:
        servers.stop()
    return rows, problems


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cli", help="the rds-iam binary")
    ap.add_argument("--python", help="a Python with rds_iam installed")
    ap.add_argument("--node", action="store_true", help="Node (RDS_IAM_TEST_PROJECT holds rds-iam)")
    ap.add_argument("--only", help="scenarios whose name contains this")
    ap.add_argument("--no-check-table", action="store_true")
    a = ap.parse_args()
    rows, problems = run(a.cli, a.python, a.node, not a.no_check_table, a.only)
    for r in rows:
        print(json.dumps(r))
    print(f"{len(rows)} scenarios, {len(problems)} problems")
    for p in problems:
        print("  " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
