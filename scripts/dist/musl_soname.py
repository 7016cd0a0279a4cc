"""Names musl's libc the way musllinux expects in a zig-built artifact.

zig links a musl cdylib against `libc.so`; musl's loader resolves that name to itself, so the
artifact runs, but auditwheel (and Alpine's package checks) want `libc.musl-<arch>.so.1`, the
soname Alpine's musl carries. Usage: musl_soname.py <wheel or .node> ...  A wheel is unpacked,
its extension modules patched and repacked (RECORD recomputed); a .node is patched in place.
"""

import pathlib
import shutil
import subprocess
import sys
import tempfile

MUSL_SONAME = {"x86_64": "libc.musl-x86_64.so.1", "aarch64": "libc.musl-aarch64.so.1"}


def arch_of(path: pathlib.Path) -> str:
    """The ELF machine of a shared object: x86_64 or aarch64."""
    machine = int.from_bytes(path.read_bytes()[18:20], "little")
    return {62: "x86_64", 183: "aarch64"}[machine]


def patch(so: pathlib.Path) -> bool:
    """Replaces a DT_NEEDED `libc.so` with musl's soname; False when there is none."""
    needed = subprocess.run(
        ["patchelf", "--print-needed", str(so)], check=True, capture_output=True, text=True
    ).stdout.split()
    if "libc.so" not in needed:
        return False
    subprocess.run(
        ["patchelf", "--replace-needed", "libc.so", MUSL_SONAME[arch_of(so)], str(so)], check=True
    )
    return True


def patch_wheel(wheel: pathlib.Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "wheel", "unpack", "-d", tmp, str(wheel)],
            check=True,
            capture_output=True,
        )
        (root,) = pathlib.Path(tmp).iterdir()
        changed = [so for so in root.rglob("*.so") if patch(so)]
        if not changed:
            return
        out = pathlib.Path(tmp) / "out"
        out.mkdir()
        subprocess.run(
            [sys.executable, "-m", "wheel", "pack", "-d", str(out), str(root)],
            check=True,
            capture_output=True,
        )
        (packed,) = out.iterdir()
        shutil.move(str(packed), str(wheel))
        print(
            f"{wheel.name}: {', '.join(so.name for so in changed)} needs "
            f"{MUSL_SONAME[arch_of(changed[0])]}"
        )


def main(paths: list[str]) -> None:
    for p in map(pathlib.Path, paths):
        if p.suffix == ".whl":
            patch_wheel(p)
        elif patch(p):
            print(f"{p.name}: needs {MUSL_SONAME[arch_of(p)]}")


if __name__ == "__main__":
    main(sys.argv[1:])
