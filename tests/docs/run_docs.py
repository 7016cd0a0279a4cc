"""Docs are code: runs every fenced block of the pages users read, against iamdb.

    run_docs.py           run them all (root: re-runs itself in a private net + mount namespace)
    run_docs.py --list    the inventory and its marks only (no iamdb, no root)

Fails when a block fails, and when a block is neither run nor marked `no-run: <reason>`, so a
new block cannot slip past. tests/docs/README.md has the convention and the placeholder map.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import placeholders
from blocks import REPO, Block, blocks, pages
from forward import Forwarder

PY = REPO / "target/py-test-venv/bin/python"
NODE_PROJECT = REPO / "target/node-test"
IAMDB = REPO / "tests/iamdb/iamdb"
LIB_RS = REPO / "core/src/lib.rs"
SHELLS = {"sh", "bash", "shell"}
RUNNABLE = {"python", "js", "sql", "json", "toml", "rust", *SHELLS}
INSIDE = "RDS_IAM_DOCS_NAMESPACE"


def doctested_pages() -> set[str]:
    """The pages core/src/lib.rs includes as doctests (`include_str!("../../<page>")`)."""
    text = LIB_RS.read_text(encoding="utf-8")
    found = set()
    for part in text.split('include_str!("')[1:]:
        rel = part.split('")', 1)[0]
        found.add(str((LIB_RS.parent / rel).resolve().relative_to(REPO)))
    return found


def plan(all_blocks: list[Block]) -> tuple[dict[str, list[Block]], list[str]]:
    """Blocks by how they run ('no-run', 'doctest', 'compiled', a language), and the errors."""
    by: dict[str, list[Block]] = {}
    errors = []
    doctested = doctested_pages()
    for b in all_blocks:
        if b.no_run_reason is not None:
            by.setdefault("no-run", []).append(b)
        elif b.lang not in RUNNABLE:
            errors.append(
                f"{b.where}: a ```{b.info or '(no language)'} block that nothing runs: give it a"
                " runnable language or mark it `no-run: <reason>` (tests/docs/README.md)"
            )
        elif b.lang == "rust":
            attrs = b.rustdoc_attrs
            if b.page not in doctested:
                errors.append(f"{b.where}: a Rust block on a page core/src/lib.rs does not doctest")
            elif "ignore" in attrs:
                errors.append(f"{b.where}: `ignore` runs nothing: use no_run or `no-run: reason`")
            else:
                by.setdefault("compiled" if "no_run" in attrs else "doctest", []).append(b)
        else:
            by.setdefault("sh" if b.lang in SHELLS else b.lang, []).append(b)
    return by, errors


def inventory() -> tuple[dict[str, list[Block]], list[str]]:
    """Every page's blocks, planned."""
    every = [b for page in pages() for b in blocks(page)]
    return plan(every)


def print_inventory(by: dict[str, list[Block]]) -> None:
    total = sum(len(v) for v in by.values())
    print(f"docs: {total} blocks: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(by.items())))
    reasons = Counter(b.no_run_reason for b in by.get("no-run", []))
    for reason, n in reasons.most_common():
        print(f"  no-run x{n}: {reason}")


# ---- inside the namespace -------------------------------------------------------------------


def sh(*cmd: str) -> subprocess.CompletedProcess[str]:
    """Runs a set-up command; its output is shown when it fails."""
    res = subprocess.run(cmd, text=True, capture_output=True)
    if res.returncode:
        raise SystemExit(f"docs: {' '.join(cmd)} failed:\n{res.stdout[-3000:]}{res.stderr[-3000:]}")
    return res


def loopback_up() -> None:
    """A new network namespace's `lo` is down: bring it up (SIOCSIFFLAGS; no iproute2 needed)."""
    get_flags, set_flags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, get_flags, ifr))[1]
        fcntl.ioctl(s, set_flags, struct.pack("16sh", b"lo", flags | iff_up))


def start_iamdb() -> dict[str, str]:
    """A fresh iamdb in this namespace (a stale one from an earlier namespace is purged)."""
    sh(str(IAMDB), "down", "--purge")
    sh(str(IAMDB), "up")
    return json.loads(sh(str(IAMDB), "json").stdout)


def block_env(db: dict[str, str], work: Path) -> dict[str, str]:
    """What a block sees: iamdb's static key as environment credentials, nothing else of AWS."""
    ca = work / "system-roots-and-iamdb.pem"
    system = Path("/etc/ssl/certs/ca-certificates.crt").read_text()
    ca.write_text(system + Path(db["IAMDB_CA_FILE"]).read_text())
    home = work / "home"
    home.mkdir()
    return {
        "PATH": f"{PY.parent}:{NODE_PROJECT}/node_modules/.bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": db["IAMDB_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": db["IAMDB_SECRET_ACCESS_KEY"],
        "AWS_CONFIG_FILE": str(work / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "SSL_CERT_FILE": str(ca),  # the system roots + iamdb's CA (Python, libpq, Rust)
        "DOCS_EXTRA_CA": db["IAMDB_CA_FILE"],  # node_trust.js
    }


def fixture(db: dict[str, str]) -> None:
    """What the pages' SQL does not create: the database `app` on both servers, and app_user on
    MariaDB the iamdb way (PAM, where RDS says AWSAuthenticationPlugin)."""
    psql = ["psql", db["IAMDB_PG_SUPERUSER_DSN"], "-v", "ON_ERROR_STOP=1", "-qc"]
    sh(*psql, "CREATE DATABASE app")
    mysql = ["mysql", "-S", db["IAMDB_MYSQL_SOCKET"], "-u", "root", "-N", "-e"]
    iam_user = db["IAMDB_USER"]
    create = sh(*mysql, f"SHOW CREATE USER '{iam_user}'@'%'").stdout.strip()
    create = create.replace(f"`{iam_user}`", "`app_user`")
    sh(*mysql, f"{create}; CREATE DATABASE app; GRANT ALL ON app.* TO 'app_user'@'%'")


def run_sql(bs: list[Block], db: dict[str, str], env: dict[str, str]) -> list[tuple[Block, str]]:
    fails = []
    for b in bs:
        code = placeholders.substitute(b.code, db)
        res = subprocess.run(
            ["psql", db["IAMDB_PG_SUPERUSER_DSN"], "-v", "ON_ERROR_STOP=1", "-q"],
            input=code,
            text=True,
            capture_output=True,
            env={**os.environ, **env},
        )
        if res.returncode:
            fails.append((b, res.stderr))
    return fails


def run_python(bs: list[Block], db: dict[str, str], env: dict[str, str], work: Path):
    fails = []
    by_page: dict[str, list[Block]] = {}
    for b in bs:
        by_page.setdefault(b.page, []).append(b)
    for page_blocks in by_page.values():
        payload = [
            {"where": b.where, "code": placeholders.substitute(b.code, db)} for b in page_blocks
        ]
        res = subprocess.run(
            [str(PY), str(Path(__file__).parent / "py_session.py")],
            input=json.dumps(payload),
            text=True,
            capture_output=True,
            env=env,
            cwd=work,
            timeout=300,
        )
        results = {}
        for line in res.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                results[r["where"]] = r
        for b in page_blocks:
            r = results.get(b.where)
            if r is None:
                fails.append((b, f"the session stopped before this block:\n{res.stderr[-2000:]}"))
            elif not r["ok"]:
                fails.append((b, r["error"]))
    return fails


def run_each(bs: list[Block], db, env, command, suffix: str):
    """Each block as its own file in the packed Node project (where `rds-iam` is installed)."""
    fails = []
    for b in bs:
        name = b.where.replace("/", "_").replace(":", "_").replace(".", "_")
        # A folder of its own inside the project: `rds-iam` resolves from the project's
        # node_modules, and node-test, running beside, never sees these files.
        path = NODE_PROJECT / "docs-blocks" / f"{name}{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(placeholders.substitute(b.code, db))
        try:
            res = subprocess.run(
                [*command, str(path)],
                text=True,
                capture_output=True,
                env=env,
                cwd=NODE_PROJECT,
                timeout=120,
            )
            if res.returncode:
                fails.append((b, (res.stdout + res.stderr)[-3000:]))
            elif os.environ.get("DOCS_VERBOSE"):
                print(f"--- {b.where}\n{res.stdout}{res.stderr}")
        except subprocess.TimeoutExpired:
            fails.append((b, "did not finish in 120 s (a pool or client left open?)"))
        finally:
            path.unlink()
    return fails


def logins(db: dict[str, str]) -> tuple[Counter[str], list[str]]:
    """iamdb's verdicts while the blocks ran: accepted logins per server, and every refusal."""
    accepted: Counter[str] = Counter()
    refused = []
    for line in Path(db["IAMDB_LOG"]).read_text().splitlines():
        entry = json.loads(line)
        if entry["outcome"] == "accept":
            accepted[entry["server"]] += 1
        elif entry["outcome"] != "closed":
            refused.append(f"{entry['server']} {entry['user']}: {entry['reason']}")
    return accepted, refused


def run_data(bs: list[Block]) -> list[tuple[Block, str]]:
    import tomllib

    fails = []
    for b in bs:
        try:
            json.loads(b.code) if b.lang == "json" else tomllib.loads(b.code)
        except ValueError as e:
            fails.append((b, f"does not parse as {b.lang}: {e}"))
    return fails


def inside(only: set[str] | None) -> int:
    by, errors = inventory()
    print_inventory(by)
    for need, make in (
        (PY, "make python-install"),
        (NODE_PROJECT / "node_modules", "make node-pack"),
    ):
        if only and need != PY and not only & {"js", "sh"}:
            continue
        if not need.exists():
            raise SystemExit(f"docs: {need} is missing: run `{make}` first")
    loopback_up()
    db = start_iamdb()
    work = Path(tempfile.mkdtemp(prefix="rds-iam-docs-"))
    hosts = work / "hosts"
    hosts.write_text(placeholders.hosts(db))
    sh("mount", "--bind", str(hosts), "/etc/hosts")
    # DSQL endpoints are dialled on 5432 (their tokens name no port); 15432 is the pages' tunnel.
    forwarders = [Forwarder(port, int(db["IAMDB_PG_PORT"])) for port in (5432, 15432)]
    env = block_env(db, work)
    fails: list[tuple[Block, str]] = []
    timings = {}
    step_blocks = {
        "sql": ["sql"],
        "python": ["python"],
        "js": ["js"],
        "sh": ["sh"],
        "data": ["json", "toml"],
    }
    try:
        steps = [
            ("sql", lambda: run_sql(by.get("sql", []), db, env)),
            ("fixture", lambda: fixture(db) or []),
            ("python", lambda: run_python(by.get("python", []), db, env, work)),
            (
                "js",
                lambda: run_each(
                    by.get("js", []),
                    db,
                    env,
                    ["node", "--require", str(Path(__file__).parent / "node_trust.js")],
                    ".mjs",
                ),
            ),
            ("sh", lambda: run_each(by.get("sh", []), db, env, ["bash", "-eo", "pipefail"], ".sh")),
            ("data", lambda: run_data(by.get("json", []) + by.get("toml", []))),
        ]
        for name, step in steps:
            if only and name not in only and name != "fixture":
                continue
            t = time.monotonic()
            fails += step()
            timings[name] = time.monotonic() - t
        accepted, refused = logins(db)
    finally:
        for f in forwarders:
            f.close()
        subprocess.run([str(IAMDB), "down"], capture_output=True)
        shutil.rmtree(NODE_PROJECT / "docs-blocks", ignore_errors=True)
        subprocess.run(["umount", "/etc/hosts"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print(
        "iamdb accepted " + ", ".join(f"{n} {k}" for k, n in sorted(accepted.items())) + " logins"
    )
    for r in refused:
        print(
            f"\nREFUSED by iamdb: {r} (a block logged in with a token iamdb did not accept)",
            file=sys.stderr,
        )
    for b, err in fails:
        print(f"\nFAILED {b.where} ({b.lang}):\n{err.rstrip()}", file=sys.stderr)
    for e in errors:
        print(f"\nUNMARKED {e}", file=sys.stderr)
    ran = sum(len(by.get(k, [])) for step in timings for k in step_blocks.get(step, []))
    print(
        f"docs: ran {ran} blocks ({len(fails)} failed), {len(by.get('doctest', []))} Rust blocks"
        f" run and {len(by.get('compiled', []))} compiled by `cargo test --doc`,"
        f" {len(by.get('no-run', []))} marked no-run, {len(errors)} unmarked; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    return 1 if fails or errors or refused else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--list", action="store_true", help="the inventory and its marks only")
    ap.add_argument("--only", help="run only these steps (comma-separated: sql,python,js,sh,data)")
    args = ap.parse_args()
    if args.list:
        by, errors = inventory()
        print_inventory(by)
        for e in errors:
            print(f"UNMARKED {e}", file=sys.stderr)
        return 1 if errors else 0
    if os.environ.get(INSIDE) != "1":
        os.environ[INSIDE] = "1"
        unshare = ["unshare", "--net", "--mount", "--propagation", "private"]
        os.execvp("unshare", [*unshare, sys.executable, *sys.argv])
    return inside(set(args.only.split(",")) if args.only else None)


if __name__ == "__main__":
    sys.exit(main())
