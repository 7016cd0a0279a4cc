#!/usr/bin/env python3
"""Checks that the wheel (python/), the Node addon (node/) and the CLI (core/, default features)
ask the same features of every crate they share, for each target `make dist` builds. They build
in one target dir per target with one compiler (scripts/dist/env.sh), so a shared crate with
other features is compiled twice, and so is everything above it (a syn feature once rebuilt 71
of the addon's crates after the wheel).
Exits 1 naming each crate whose features differ; cargo tree reads only the manifests and the lock.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu", "x86_64-unknown-linux-musl",
           "aarch64-unknown-linux-musl"]
OWN = {"rds-iam-python", "rds-iam-node", "rds-iam"}
BUILDS = {"wheel": "python", "addon": "node", "CLI": "core"}


def features(binding: str, target: str) -> dict[str, set[str]]:
    """{'name version': {'feature,feature', ...}} over the binding's normal and build graph."""
    out = subprocess.run(
        ["cargo", "tree", "--manifest-path", str(ROOT / binding / "Cargo.toml"), "--target", target,
         "--edges", "normal,build", "--prefix", "none", "--format", "{p}|{f}"],
        capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"shared-features: cargo tree for {binding}/ failed:\n{out.stderr}")
    found: dict[str, set[str]] = {}
    for line in out.stdout.splitlines():
        package, _, feats = line.partition("|")
        name, version = package.split()[:2]
        if name not in OWN:
            found.setdefault(f"{name} {version}", set()).add(feats.split(" (*)")[0].strip())
    return found


def main() -> int:
    problems = []
    for target in TARGETS:
        graphs = {name: features(folder, target) for name, folder in BUILDS.items()}
        crates = sorted({crate for graph in graphs.values() for crate in graph})
        shared = 0
        for crate in crates:
            seen = {name: sorted(g[crate]) for name, g in graphs.items() if crate in g}
            if len(seen) < 2:
                continue
            shared += 1
            if len({str(v) for v in seen.values()}) > 1:
                problems.append(f"{target}: {crate}: " + ", ".join(f"{n} {v}" for n, v in seen.items()))
        print(f"shared-features: {target}: {shared} crates in two or more of the builds")
    for p in problems:
        print(f"shared-features: {p}", file=sys.stderr)
    if problems:
        print("shared-features: ask the same features of these crates in each build "
              "(core/Cargo.toml's cli feature holds the ones asked only for that)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
