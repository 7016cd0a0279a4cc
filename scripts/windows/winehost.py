"""The wine side of the Windows checks: where the builds and the prefix are, Windows paths for
the files the checks write, and running an .exe under wine with a clean environment.

Every Windows process here is one wine process on this machine: its stdio go to files (wine's
node.exe fails with EBADF on a pipe) and its environment is a Windows user's (clean_env): no HOME
(wine drops it anyway: a Windows program finds %USERPROFILE%), no variable of ours.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WINE = os.environ.get("WINE", "/usr/lib/wine/wine64")
PREFIX = Path(os.environ["WINEPREFIX"])
#: scripts/windows/env.sh's WIN_DIR (target/windows) and the build's output dir in it.
WIN_DIR = Path(os.environ["WIN_DIR"])
BIN = Path(os.environ["WIN_BIN"])
CLI = BIN / "rds-iam.exe"
#: %USERPROFILE% of the prefix's user (wine names it after the Unix user).
PROFILE_DIR = PREFIX / "drive_c" / "users" / getpass.getuser()
#: Where the checks write their files, on C: (a real Windows drive of the prefix, not Z:).
WORK = PREFIX / "drive_c" / "rds iam check"


def win_path(p: Path) -> str:
    """The Windows path of `p`: C:\\… inside the prefix's drive_c, else Z:\\… (wine's / drive)."""
    p = Path(p).resolve()
    c = (PREFIX / "drive_c").resolve()
    if p.is_relative_to(c):
        return "C:\\" + str(p.relative_to(c)).replace("/", "\\")
    return "Z:" + str(p).replace("/", "\\")


#: What the Windows processes see of this machine's environment: wine's own settings, the
#: locale and PATH. Nothing else: no HOME, no AWS_ variable, and no Unix paths such as
#: SSL_CERT_FILE (which a Windows program would read as a path on its current drive).
KEPT = ("WINEPREFIX", "WINEDEBUG", "WINEARCH", "PATH", "LANG", "USER", "LOGNAME")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a Windows process starts with here, IMDS off, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k in KEPT or k.startswith("LC_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


class Ran:
    """A finished wine process: exit code, stdout and stderr as text."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        # A token is a password for 15 minutes: failures name it, never show it.
        out = "<a token>" if "X-Amz-Signature=" in self.out else repr(self.out[-600:])
        return f"exit {self.code}; stdout {out}; stderr {self.err[-600:]!r}"


def run(exe: Path, args: list[str], env: dict[str, str], timeout: float = 120) -> Ran:
    """Runs `exe args` under wine, stdio through files; waits at most `timeout` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = subprocess.run(
            [WINE, str(exe), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            timeout=timeout,
            check=False,
        ).returncode
        out.seek(0)
        err.seek(0)
        return Ran(code, out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def popen(exe: Path, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Starts `exe args` under wine in a process group of its own, stdout and stderr into `log`."""
    with open(log, "wb") as f:
        return subprocess.Popen(
            [WINE, str(exe), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=f,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def running_command_lines(marker: str) -> list[str]:
    """Command lines of this machine's processes that contain `marker` (wine's processes too:
    each Windows process is one here, its Windows command line in /proc/PID/cmdline)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            line = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in line:
            found.append(f"{d.name}: {line.strip()}")
    return found
