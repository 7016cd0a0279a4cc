#!/usr/bin/env python3
"""Checks that the wheel (python/) and the Node addon (node/) ask the same features of every crate
they share, for each target `make dist` builds. Both build in one target dir per target with one
compiler (scripts/dist/env.sh), so a shared crate with other features is compiled twice, and so is
everything above it (a syn feature once rebuilt 71 of the addon's crates after the wheel).
Exits 1 naming each crate whose features differ; cargo tree reads only the manifests and the lock.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu", "x86_64-unknown-linux-musl",
           "aarch64-unknown-linux-musl"]
OWN = {"rds-iam-python", "rds-iam-node"}


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
        wheel, addon = features("python", target), features("node", target)
        shared = sorted(set(wheel) & set(addon))
        for crate in shared:
            if wheel[crate] != addon[crate]:
                problems.append(f"{target}: {crate}: wheel {sorted(wheel[crate])}, addon {sorted(addon[crate])}")
        print(f"shared-features: {target}: {len(shared)} shared crates")
    for p in problems:
        print(f"shared-features: {p}", file=sys.stderr)
    if problems:
        print("shared-features: give both bindings the same features of these crates "
              "(python/Cargo.toml, node/Cargo.toml)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
