"""What `make dist` built, checked without running it (the first half of `make dist-check`).

    .venv/bin/python scripts/dist/inspect_dist.py [--dist DIR] [--only FILE ...]

For every artifact in dist/python (wheels), dist/npm (platform packages) and dist/cli (static
binaries): each ELF file's machine, interpreter, libc and highest GLIBC_ symbol version (at
most 2.17 for glibc builds), checked against what the artifact's name or package.json claims;
every wheel's `auditwheel show` against its tag; each platform package's os/cpu/libc; sizes
packed and unpacked (at most 4 MB packed); the README each registry shows and a LICENSE in
every wheel and npm package, and in the crate (registry_pages.py). Prints one table; exits 1
listing every problem.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

sys.path.insert(0, str(Path(__file__).resolve().parent))
import registry_pages

MAX_PACKED = 4 * 1024 * 1024
GLIBC_FLOOR = (2, 17)
MACHINES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}
NODE_CPU = {"x64": "x86_64", "arm64": "aarch64"}


@dataclass
class Elf:
    """The facts of one ELF file that say where it runs."""

    name: str
    machine: str
    interpreter: str | None
    needed: list[str]
    glibc: tuple[int, ...] | None

    @property
    def libc(self) -> str:
        """glibc's soname is libc.so.6; musl's is libc.so (zig's link) or libc.musl-<arch>.so.1."""
        musl = ("musl" in n or n == "libc.so" for n in self.needed)
        if any(musl) or (self.interpreter and "musl" in self.interpreter):
            return "musl"
        if "libc.so.6" in self.needed or self.glibc:
            return "glibc"
        return "static" if not self.interpreter and not self.needed else "none"


@dataclass
class Artifact:
    path: Path
    expect_machine: str
    expect_libc: str  # glibc | musl | static
    packed: int = 0
    unpacked: int = 0
    elfs: list[Elf] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_elf(name: str, data: bytes) -> Elf | None:
    if not data.startswith(b"\x7fELF"):
        return None
    elf = ELFFile(io.BytesIO(data))
    interpreter = None
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_INTERP":
            interpreter = seg.get_interp_name()
    needed: list[str] = []
    dynamic = elf.get_section_by_name(".dynamic")
    if dynamic is not None:
        needed = [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
    versions: list[tuple[int, ...]] = []
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for _, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    m = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", aux.name)
                    if m:
                        versions.append(tuple(int(x) for x in m.group(1).split(".")))
    return Elf(
        name,
        MACHINES.get(elf["e_machine"], elf["e_machine"]),
        interpreter,
        needed,
        max(versions) if versions else None,
    )


def members(path: Path) -> list[tuple[str, bytes]]:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return [(i.filename, z.read(i)) for i in z.infolist() if not i.is_dir()]
    if path.name.endswith(".tgz"):
        with tarfile.open(path) as t:
            return [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]  # type: ignore[union-attr]
    return [(path.name, path.read_bytes())]


def check_elfs(
    a: Artifact, files: list[tuple[str, bytes]], problems: list[str], packed: int | None = None
) -> None:
    a.packed = packed if packed is not None else a.path.stat().st_size
    a.unpacked = sum(len(d) for _, d in files)
    a.elfs = [e for n, d in files if (e := read_elf(n, d))]
    if len(a.elfs) != 1:
        problems.append(f"{a.path.name}: {len(a.elfs)} ELF files, expected exactly one")
    for e in a.elfs:
        if e.machine != a.expect_machine:
            problems.append(f"{a.path.name}: {e.name} is {e.machine}, expected {a.expect_machine}")
        if e.libc != a.expect_libc:
            problems.append(
                f"{a.path.name}: {e.name} links {e.libc} ({e.needed}), expected {a.expect_libc}"
            )
        if e.glibc and e.glibc > GLIBC_FLOOR:
            problems.append(
                f"{a.path.name}: {e.name} needs GLIBC_{'.'.join(map(str, e.glibc))} > 2.17"
            )
        if a.expect_libc == "static" and (e.interpreter or e.needed):
            problems.append(
                f"{a.path.name}: not static (interpreter {e.interpreter}, needs {e.needed})"
            )
    if a.packed > MAX_PACKED:
        problems.append(f"{a.path.name}: {a.packed / 1e6:.2f} MB packed, over the 4 MB target")


def wheel(path: Path, problems: list[str]) -> Artifact:
    m = re.search(r"-(manylinux2014|musllinux_1_2)_(x86_64|aarch64)", path.name)
    if not m:
        problems.append(f"{path.name}: not a manylinux2014/musllinux_1_2 x86_64/aarch64 wheel")
        return Artifact(path, "?", "?")
    a = Artifact(path, m.group(2), "glibc" if m.group(1) == "manylinux2014" else "musl")
    files = members(path)
    check_elfs(a, files, problems)
    a.notes.append(registry_pages.wheel(path.name, files, problems))
    show = subprocess.run(
        [str(Path(sys.executable).parent / "auditwheel"), "show", str(path)],
        capture_output=True,
        text=True,
    )
    text = " ".join(show.stdout.split())
    want = (
        f"manylinux_2_17_{m.group(2)}"
        if m.group(1) == "manylinux2014"
        else f"musllinux_1_2_{m.group(2)}"
    )
    agrees = (
        show.returncode == 0 and f'consistent with the following platform tag: "{want}"' in text
    )
    a.notes.append(f"auditwheel: {want}" if agrees else "auditwheel: DISAGREES")
    if not agrees:
        problems.append(
            f"{path.name}: auditwheel show does not give {want}:\n{show.stdout}{show.stderr}"
        )
    return a


def npm_package(path: Path, problems: list[str]) -> Artifact | None:
    files = members(path)
    pkg = json.loads(dict(files)["package/package.json"])
    pages = registry_pages.npm(path.name, files, problems)
    # the main package: JS only, optionalDependencies on every platform package
    if "cpu" not in pkg:
        if any(n.endswith(".node") for n, _ in files):
            problems.append(f"{path.name}: the main package carries a .node file")
        deps = pkg.get("optionalDependencies", {})
        if len(deps) != len(pkg["napi"]["targets"]) or set(deps.values()) != {pkg["version"]}:
            problems.append(
                f"{path.name}: optionalDependencies {deps} "
                f"do not list every target at {pkg['version']}"
            )
        a = Artifact(path, "-", "-", path.stat().st_size, sum(len(d) for _, d in files))
        a.notes += [f"main: {len(deps)} optionalDependencies at {pkg['version']}", pages]
        return a
    cpu, libc = pkg["cpu"], pkg.get("libc")
    a = Artifact(path, NODE_CPU.get(cpu[0], cpu[0]), "glibc" if libc == ["glibc"] else "musl")
    a.notes += [f"os={pkg['os']} cpu={cpu} libc={libc}", pages]
    if pkg["os"] != ["linux"] or len(cpu) != 1 or libc not in (["glibc"], ["musl"]):
        problems.append(
            f"{path.name}: os/cpu/libc {pkg['os']}/{cpu}/{libc} do not name one Linux platform"
        )
    check_elfs(a, files, problems)
    return a


def cli(path: Path, problems: list[str]) -> Artifact:
    """A bare binary: its packed size is gzip -9's (a compressed download or image layer)."""
    arch = "aarch64" if "aarch64" in path.name else "x86_64"
    a = Artifact(path, arch, "static")
    files = members(path)
    check_elfs(a, files, problems, packed=len(gzip.compress(files[0][1], 9)))
    a.notes.append("packed = gzip -9")
    return a


def describe(a: Artifact) -> str:
    elf = a.elfs[0] if a.elfs else None
    facts = "-"
    if elf:
        glibc = f"GLIBC_{'.'.join(map(str, elf.glibc))}" if elf.glibc else "no GLIBC_"
        facts = f"{elf.machine} {elf.libc} interp={elf.interpreter or '-'} {glibc}"
    return (
        f"{a.path.parent.name}/{a.path.name:<62} "
        f"{a.packed / 1e6:6.2f} MB {a.unpacked / 1e6:6.2f} MB  "
        f"{facts}  {'; '.join(a.notes)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path(__file__).resolve().parents[2] / "dist")
    parser.add_argument(
        "--only", type=Path, nargs="+", help="check these artifacts, not all of dist/"
    )
    ns = parser.parse_args()
    problems: list[str] = []
    found = ns.only or sorted(
        [
            *(ns.dist / "python").glob("*.whl"),
            *(ns.dist / "npm").glob("*.tgz"),
            *(ns.dist / "cli").glob("rds-iam-*"),
        ]
    )
    artifacts = []
    for p in found:
        if p.suffix == ".whl":
            artifacts.append(wheel(p, problems))
        elif p.name.endswith(".tgz"):
            artifacts += [a for a in [npm_package(p, problems)] if a]
        else:
            artifacts.append(cli(p, problems))
    sdists = [] if ns.only else sorted((ns.dist / "python").glob("*.tar.gz"))
    if not ns.only:
        kinds = (
            lambda p: p.suffix == ".whl",
            lambda p: p.name.endswith(".tgz"),
            lambda p: p.parent.name == "cli",
        )
        counts = (*(len([p for p in found if kind(p)]) for kind in kinds), len(sdists))
        if counts != (4, 5, 2, 1):
            problems.append(
                f"expected 4 wheels, 5 npm tarballs, 2 CLIs and 1 sdist; found {counts}"
            )
    print(
        f"{'artifact':<69} {'packed':>9} {'unpacked':>9}  "
        "ELF machine, libc, interpreter, highest GLIBC_"
    )
    for a in artifacts:
        print(describe(a))
    for s in sdists:
        pages = registry_pages.sdist(s, problems)
        print(f"python/{s.name:<62} {s.stat().st_size / 1e6:6.2f} MB  (sdist)  {pages}")
    if not ns.only:
        print(registry_pages.crate(problems))
    for p in problems:
        print(f"inspect_dist.py: PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
