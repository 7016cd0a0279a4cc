"""`make matrix-check`: the shipped x86_64 wheel and npm package on the interpreters users run,
each from the Debian release that carries it (an mmdebstrap root per release, cached).

    python3 scripts/matrix/matrix.py [--only NAME ...]

For each Python: a fresh venv in its root, the manylinux2014 wheel installed by that venv's pip,
every vector and a Signer with environment credentials (scripts/dist/smoke.py), psycopg installed
("psycopg[binary]", else the pure-Python package over the root's libpq5) and a login to iamdb's
PostgreSQL through rds_iam.psycopg (login.py), with the binary and with the pure-Python
implementation (Debian's libpq5 of that release). For each Node: the packed tarballs and pg
installed into an empty project (every installed package's engines.node must allow that Node),
smoke.js, and a login through rdsIam.pg (login.js). Every login dials 127.0.0.1, signs for and
verifies iamdb's RDS name and trusts iamdb's CA; the validator's log must show it accepted for
that name.

Prints one line per interpreter and `matrix-check: N passed, M failed`; exits 1 on any failure.
A driver that cannot be installed on an interpreter is recorded on its line, not failed.
Environment: MATRIX_DIR (roots, projects, logs; default target/matrix), IAMDB_DIR (iamdb's state;
the Makefile passes /tmp/rds-iam-iamdb-matrix). Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
HERE = CHECKOUT / "scripts" / "matrix"
MATRIX_DIR = Path(os.environ.get("MATRIX_DIR") or CHECKOUT / "target" / "matrix").resolve()
NODE_PROJECTS = MATRIX_DIR / "node"
IAMDB = CHECKOUT / "tests" / "iamdb" / "iamdb"

#: Debian release -> the packages its root holds (the cache is keyed on this list).
RELEASES: dict[str, list[str]] = {
    "bullseye": ["python3.9", "python3.9-venv", "libpq5"],
    "bookworm": ["python3.11", "python3.11-venv", "nodejs", "libpq5"],
    "trixie": ["python3.13", "python3.13-venv", "nodejs", "libpq5"],
    "sid": ["python3.14", "python3.14-venv", "python3.15", "python3.15-venv", "nodejs", "libpq5"],
}
#: (interpreter, release); Node's version is whatever the release's nodejs is (18, 20, 24).
PYTHONS = [
    ("3.9", "bullseye"),
    ("3.11", "bookworm"),
    ("3.13", "trixie"),
    ("3.14", "sid"),
    ("3.15", "sid"),
]
NODES = ["bookworm", "trixie", "sid"]
PSYCOPG = "psycopg>=3.2"  # python/requirements-test.txt's floor
VENVS = "/opt/rds-iam-matrix"
#: An assignment whose value stays out of the logs (the test key is still a secret key).
SECRET_ASSIGN = re.compile(r"^AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN)=").match
LOGIN_ENV = ("HOST", "PG_PORT", "USER", "REGION", "RDS_HOST", "DATABASE", "CA_FILE")


class StepFailed(Exception):
    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


@dataclass
class Result:
    label: str  # as asked for ("Python 3.9", "Node (bookworm)"); name: what ran
    release: str
    name: str = ""
    version: str = "?"
    passed: bool = False
    notes: list[str] = field(default_factory=list)
    failure: str = ""
    driver: str = ""
    seconds: float = 0.0


class Job:
    """One interpreter's run: every command's output goes to its log."""

    def __init__(self, log: str, release: str) -> None:
        self.release = release
        self.root = MATRIX_DIR / "roots" / release
        self.log = MATRIX_DIR / "logs" / f"{log}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")

    def write(self, text: str) -> None:
        with self.log.open("a") as f:
            f.write(text)

    def run(
        self,
        step: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        inside: bool = True,
        cwd: Path | None = None,
    ) -> str:
        """Runs argv (inside the root unless told otherwise); its output, or StepFailed."""
        if inside:
            assigns = [f"{k}={v}" for k, v in (env or {}).items()]
            argv = [str(HERE / "chroot.sh"), str(self.root), *assigns, "--", *argv]
        shown = [a.split("=", 1)[0] + "=<redacted>" if SECRET_ASSIGN(a) else a for a in argv]
        self.write(f"\n$ {shlex.join(shown)}\n")
        p = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=None if inside else {**os.environ, **(env or {})},
        )
        self.write(p.stdout)
        if p.returncode != 0:
            lines = [ln for ln in p.stdout.strip().splitlines() if ln.strip()]
            raise StepFailed(step, (lines[-1] if lines else f"exit {p.returncode}")[:300])
        return p.stdout


def one(pattern: str) -> Path:
    found = sorted(CHECKOUT.glob(pattern))
    if len(found) != 1:
        sys.exit(f"matrix-check: want one {pattern}, found {[str(f) for f in found]}")
    return found[0]


def ensure_mmdebstrap() -> None:
    if not shutil.which("mmdebstrap"):
        print("matrix-check: installing mmdebstrap (apt-get)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "mmdebstrap"],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


def make_root(release: str) -> str:
    """Makes (or finds cached) a release's root; '' or why it could not be made."""
    argv = [str(HERE / "root.sh"), release, str(MATRIX_DIR / "roots" / release)]
    p = subprocess.run(
        [*argv, *RELEASES[release]],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if p.stdout.strip():
        print(p.stdout.rstrip(), flush=True)
    return "" if p.returncode == 0 else "its root could not be made (mmdebstrap)"


def iamdb_up() -> dict[str, str]:
    p = subprocess.run(
        [str(IAMDB), "up", "--hold", str(os.getpid())],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    settings = {}
    for line in p.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            settings[key] = shlex.split(value)[0] if value else ""
    return settings


def iamdb_down() -> None:
    subprocess.run(
        [str(IAMDB), "down", "--release", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def login_env(db: dict[str, str]) -> dict[str, str]:
    """iamdb's settings and its test key as the only credentials (environment provider)."""
    return {
        **{f"IAMDB_{k}": db[f"IAMDB_{k}"] for k in LOGIN_ENV},
        "AWS_ACCESS_KEY_ID": db["IAMDB_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": db["IAMDB_SECRET_ACCESS_KEY"],
        "AWS_REGION": db["IAMDB_REGION"],
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/rds-iam-matrix/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/rds-iam-matrix/credentials",
    }


def logged_in(
    job: Job, db: dict[str, str], step: str, argv: list[str], extra: dict[str, str] | None = None
) -> str:
    """One login; the validator must have accepted exactly one token, for the RDS name."""
    log = Path(db["IAMDB_LOG"])
    mark = log.stat().st_size if log.exists() else 0
    out = job.run(step, argv, env={**login_env(db), **(extra or {})})
    with log.open() as f:
        f.seek(mark)
        entries = [json.loads(ln) for ln in f if ln.strip()]
    entries = [e for e in entries if e.get("server") == "pg"]
    want = f"{db['IAMDB_RDS_HOST']}:{db['IAMDB_PG_PORT']}"
    seen = [(e.get("outcome"), e.get("endpoint")) for e in entries]
    if seen != [("accept", want)]:
        raise StepFailed(step, f"validator log {seen}, want one accept for {want}")
    return out.strip().splitlines()[-1]


def smoke_summary(out: str) -> str:
    """smoke.py / smoke.js output -> '80/80 vectors byte for byte, ... Signer matches'."""
    lines = [ln.split(": ", 1)[1] for ln in out.splitlines() if ln.startswith("smoke.")]
    vectors = next((ln.split(" byte")[0] for ln in lines if ln.startswith("vectors ")), "?")
    vectors = vectors.replace("vectors ", "", 1)
    return f"{vectors} vectors byte for byte, env-credential Signer matches"


def python_job(r: Result, job: Job, version: str, wheel: Path, db: dict[str, str]) -> None:
    venv = f"{VENVS}/venv-{version}"
    py = f"{venv}/bin/python"
    pip = [py, "-m", "pip", "install", "--quiet"]
    r.version = job.run(
        "interpreter",
        [f"python{version}", "-c", "import platform; print(platform.python_version())"],
    ).strip()
    r.name = f"Python {r.version}"
    job.run("venv", ["/bin/sh", "-c", f"rm -rf {venv} && python{version} -m venv {venv}"])
    pip_version = job.run("venv", [py, "-m", "pip", "--version"]).split()[1]
    job.run("wheel install", [*pip, str(wheel)])
    r.notes.append(f"wheel installed (pip {pip_version})")
    smoke = job.run("smoke.py", [py, "-s", str(CHECKOUT / "scripts/dist/smoke.py")])
    r.notes.append(smoke_summary(smoke))

    impls = []
    try:
        job.run("psycopg[binary]", [*pip, PSYCOPG.replace("psycopg", "psycopg[binary]", 1)])
        impls = ["binary", "python"]
    except StepFailed as e:
        job.write(
            f"(no binary psycopg for Python {version}: {e.detail}; trying the pure package)\n"
        )
        try:
            job.run("psycopg", [*pip, PSYCOPG])
            impls = ["python"]
            r.notes.append("no psycopg-binary wheel: pure psycopg over the root's libpq5")
        except StepFailed as e2:
            r.driver = f"psycopg could not install: {e2.detail}"
    logins = []
    for impl in impls:
        line = logged_in(
            job, db, f"login ({impl})", [py, "-s", str(HERE / "login.py")], {"PSYCOPG_IMPL": impl}
        )
        logins.append(line.split(": ", 1)[1].split(":", 1)[0])
    if logins:
        r.driver = "logged in, TLS verified against the RDS name: " + "; ".join(logins)


def node_project(release: str, tarballs: list[str], job: Job) -> Path:
    """The tarballs and pg (the version the tests use) in an empty project."""
    project = NODE_PROJECTS / release
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "package.json").write_text('{ "name": "rds-iam-matrix", "private": true }\n')
    lock = json.loads((CHECKOUT / "package-lock.json").read_text())
    pg = lock["packages"]["node_modules/pg"]["version"]
    argv = ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", *tarballs, f"pg@{pg}"]
    job.run("npm install", argv, inside=False, cwd=project)
    return project


def engines_refused(project: Path, version: str) -> tuple[list[str], list[str]]:
    """Installed packages whose engines.node refuses `version` (npm checks only the Node that
    runs npm: the host's), and those whose range is not a plain `>= X[.Y[.Z]]` (not read)."""
    have = tuple(int(x) for x in version.lstrip("v").split("."))
    refused, unread = [], []
    for manifest in sorted(project.glob("node_modules/**/package.json")):
        try:
            meta = json.loads(manifest.read_text())
        except ValueError:
            continue
        wanted = (meta.get("engines") or {}).get("node") if isinstance(meta, dict) else None
        if not isinstance(wanted, str) or "name" not in meta:
            continue
        part = r"(?:\.(\d+|[xX*]))?"
        m = re.fullmatch(rf">=\s*v?(\d+){part}{part}", wanted.strip())
        if not m:
            unread.append(f"{meta['name']} ({wanted})")
        elif have < tuple(int(x) if x and x.isdigit() else 0 for x in m.groups()):
            refused.append(f"{meta['name']} ({wanted})")
    return refused, unread


def node_job(r: Result, job: Job, release: str, tarballs: list[str], db: dict[str, str]) -> None:
    version = job.run("interpreter", ["node", "--version"]).strip()
    r.version = version.lstrip("v")
    r.name = f"Node {r.version}"
    project = node_project(release, tarballs, job)
    refused, unread = engines_refused(project, version)
    if refused:
        raise StepFailed("engines", f"{version} is outside engines.node of {', '.join(refused)}")
    r.notes.append(
        f"tarballs and pg installed, every engines.node allows {version}"
        + (f" (not read: {', '.join(unread)})" if unread else "")
    )
    smoke = job.run("smoke.js", ["node", str(CHECKOUT / "scripts/dist/smoke.js"), str(project)])
    r.notes.append(smoke_summary(smoke))
    line = logged_in(job, db, "login", ["node", str(HERE / "login.js"), str(project)])
    r.driver = (
        "logged in, TLS verified against the RDS name: " + line.split(": ", 1)[1].split(":")[0]
    )


def guarded(name: str, log: str, release: str, broken: str, fn, *args) -> Result:  # type: ignore[no-untyped-def]
    """Runs one interpreter's job and prints its line; a failure never loses the summary."""
    r = Result(name, release, name)
    job = Job(log, release)
    start = time.monotonic()
    try:
        if broken:
            raise StepFailed("root", broken)
        fn(r, job, *args)
        r.passed = True
    except StepFailed as e:
        r.failure = f"{e.step}: {e.detail}"
    except Exception as e:  # a bug here is a failed line, not a lost summary
        r.failure = f"{type(e).__name__}: {e}"
    r.seconds = time.monotonic() - start
    line = f"matrix-check: {r.name} ({release}): "
    if r.passed:
        line += "passed - " + "; ".join(r.notes) + f"; {r.driver or 'no driver'}"
    else:
        line += f"FAILED at {r.failure} (log: {job.log})"
    print(f"{line} [{r.seconds:.0f} s]", flush=True)
    return r


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="interpreters to run, e.g. python3.9 node-sid (default: all)",
    )
    args = parser.parse_args()
    start = time.monotonic()
    wheel = one("dist/rds_iam-*-manylinux2014_x86_64*.whl")
    want = set(args.only) if args.only is not None else None
    known = {f"python{v}" for v, _ in PYTHONS} | {f"node-{rel}" for rel in NODES}
    if want is not None and want - known:
        parser.error(
            f"unknown: {' '.join(sorted(want - known))} (known: {' '.join(sorted(known))})"
        )
    pythons = [(v, rel) for v, rel in PYTHONS if want is None or f"python{v}" in want]
    nodes = [rel for rel in NODES if want is None or f"node-{rel}" in want]
    tarball_list = CHECKOUT / "target" / "node-test" / "tarballs.txt"  # make node-pack's
    tarballs = tarball_list.read_text().split() if nodes else []
    releases = [r for r in RELEASES if r in {rel for _, rel in pythons} | set(nodes)]

    NODE_PROJECTS.mkdir(parents=True, exist_ok=True)
    jobs: dict[str, list[tuple]] = {rel: [] for rel in releases}  # type: ignore[type-arg]
    for version, rel in pythons:
        jobs[rel].append((f"Python {version}", f"python{version}", python_job, version, wheel))
    for rel in nodes:
        jobs[rel].append((f"Node ({rel})", f"node-{rel}", node_job, rel, tarballs))
    order = [f"Python {v}" for v, _ in pythons] + [f"Node ({rel})" for rel in nodes]
    results: list[Result] = []
    with (MATRIX_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one run at a time per MATRIX_DIR
        ensure_mmdebstrap()
        db = iamdb_up()
        # What chroot.sh binds besides the checkout: iamdb's CA, the Node projects if elsewhere.
        binds = [str(Path(db["IAMDB_CA_FILE"]).parent)]
        if not NODE_PROJECTS.is_relative_to(CHECKOUT):
            binds.append(str(NODE_PROJECTS))
        os.environ["MATRIX_BIND"] = ":".join(binds)
        try:
            # Roots are made two at a time (mostly download and unpack); a release's
            # interpreters run as soon as its root is there, while the others are being made.
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                biggest_first = sorted(releases, key=lambda r: -len(RELEASES[r]))
                made = {pool.submit(make_root, rel): rel for rel in biggest_first}
                for future in concurrent.futures.as_completed(made):
                    rel = made[future]
                    broken = future.result()
                    for name, log, fn, *args in jobs[rel]:
                        results.append(guarded(name, log, rel, broken, fn, *args, db))
        finally:
            iamdb_down()
    results.sort(key=lambda r: order.index(r.label))
    (MATRIX_DIR / "results.json").write_text(
        json.dumps([r.__dict__ for r in results], indent=2) + "\n"
    )
    passed = sum(r.passed for r in results)
    print(
        f"matrix-check: took {time.monotonic() - start:.0f} s; results in "
        f"{MATRIX_DIR / 'results.json'}"
    )
    print(f"matrix-check: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
