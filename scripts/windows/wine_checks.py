"""The Windows builds (x86_64-pc-windows-gnu) run under wine: the CLI, the Node addon under
node.exe 20 and 22, and `rds-iam.exe proxy` in front of iamdb with Linux psql as its client.

    python3 scripts/windows/wine_checks.py [CHECK ...]     (run by scripts/windows/run.sh)

Runs every check (or the named ones), prints one line per check, exits 1 if any failed.
"""

from __future__ import annotations

import sys
import time
import traceback

import checks_cli
import checks_node
import checks_proxy

CHECKS = {
    "core-unit-tests": checks_cli.core_unit_tests,
    "vectors": checks_cli.vectors,
    "profile-in-windows-home": checks_cli.profile_in_windows_home,
    "shared-files-at-windows-paths": checks_cli.shared_files_at_windows_paths,
    "credential-process-cmd": checks_cli.credential_process_cmd,
    "doctor": checks_cli.doctor,
    "explain": checks_cli.explain,
    **{f"node-{v}": checks_node.check(v) for v in checks_node.VERSIONS},
    "proxy": checks_proxy.proxy,
    "proxy-unix-socket-refused": checks_proxy.unix_socket_refused,
}


def main() -> int:
    names = sys.argv[1:] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print(f"wine_checks: no check {unknown}; the checks: {', '.join(CHECKS)}")
        return 2
    failed = []
    for name in names:
        start = time.monotonic()
        try:
            said = CHECKS[name]()
        except Exception:  # every failure is reported, then the next check runs
            failed.append(name)
            took = time.monotonic() - start
            print(f"wine_checks: FAIL {name} ({took:.1f} s)\n{traceback.format_exc()}", flush=True)
            continue
        print(f"wine_checks: ok {name} ({time.monotonic() - start:.1f} s): {said}", flush=True)
    print(
        f"wine_checks: {len(names) - len(failed)}/{len(names)} checks passed"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
