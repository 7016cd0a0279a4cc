"""Each artifact carries the README meant for its registry, and a LICENSE (issue 34).

PyPI shows the wheel's METADATA body: python/README.md. npm shows the tarball's README.md: the
main package node/README.md, a platform package node/npm/<platform>/README.md. crates.io shows
the crate's `readme`: core/README.md. Every one of them carries the Apache-2.0 LICENSE.
"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LICENSE = (REPO / "LICENSE").read_bytes()


def _same(a: bytes | str, b: bytes | str) -> bool:
    """Equal but for line endings and surrounding white space."""
    norm = lambda t: (t.decode() if isinstance(t, bytes) else t).replace("\r\n", "\n").strip()  # noqa: E731
    return norm(a) == norm(b)


def wheel(name: str, files: list[tuple[str, bytes]], problems: list[str]) -> str:
    """The wheel's description is python/README.md, and it carries LICENSE."""
    by_name = dict(files)
    meta = next((d for n, d in files if n.endswith(".dist-info/METADATA")), b"").decode()
    headers, _, body = meta.partition("\n\n")
    readme = (REPO / "python/README.md").read_text()
    if not _same(body, readme) or "Description-Content-Type: text/markdown" not in headers:
        problems.append(f"{name}: its description (PyPI's page) is not python/README.md")
    licenses = [n for n in by_name if re.search(r"\.dist-info/licenses/LICENSE$", n)]
    if not licenses or not _same(by_name[licenses[0]], LICENSE):
        problems.append(f"{name}: no .dist-info/licenses/LICENSE with the Apache-2.0 text")
    return "README: python/README.md, LICENSE"


def sdist(path: Path, problems: list[str]) -> str:
    """The sdist (what pip builds elsewhere) carries the same PKG-INFO description and LICENSE."""
    with tarfile.open(path) as t:
        files = {m.name.split("/", 1)[-1]: m for m in t.getmembers() if m.isfile()}
        read = lambda n: t.extractfile(files[n]).read() if n in files else b""  # type: ignore[union-attr]  # noqa: E731
        body = read("PKG-INFO").decode().partition("\n\n")[2]
        if not _same(body, (REPO / "python/README.md").read_text()):
            problems.append(f"{path.name}: its PKG-INFO description is not python/README.md")
        if not _same(read("LICENSE"), LICENSE):
            problems.append(f"{path.name}: no LICENSE with the Apache-2.0 text")
    return "README: python/README.md, LICENSE"


def npm(name: str, files: list[tuple[str, bytes]], problems: list[str]) -> str:
    """The main package shows node/README.md, a platform package its own; both carry LICENSE."""
    by_name = dict(files)
    pkg = json.loads(by_name["package/package.json"])
    platform = pkg["name"].removeprefix("rds-iam-") if "cpu" in pkg else None
    page = f"node/npm/{platform}/README.md" if platform else "node/README.md"
    if not _same(by_name.get("package/README.md", b""), (REPO / page).read_bytes()):
        problems.append(f"{name}: package/README.md (npm's page) is not {page}")
    if not _same(by_name.get("package/LICENSE", b""), LICENSE):
        problems.append(f"{name}: no package/LICENSE with the Apache-2.0 text")
    return f"README: {page}, LICENSE"


def crate(problems: list[str]) -> str:
    """`cargo package --list` of the core crate holds its readme and LICENSE."""
    res = subprocess.run(
        ["cargo", "package", "--list", "-p", "rds-iam", "--allow-dirty", "--offline"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    listed = set(res.stdout.split())
    if res.returncode or not {"README.md", "LICENSE", "Cargo.toml"} <= listed:
        problems.append(f"crate rds-iam: README.md and LICENSE not both packaged:\n{res.stderr}")
    manifest = (REPO / "core/Cargo.toml").read_text()
    if not re.search(r'^readme = "README.md"$', manifest, re.M):
        problems.append('core/Cargo.toml: no readme = "README.md" (crates.io would show none)')
    return "crate rds-iam: README core/README.md, LICENSE"
