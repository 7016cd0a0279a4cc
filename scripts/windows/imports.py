"""The DLLs each Windows build imports (x86_64-w64-mingw32-objdump -p), printed, and checked: only
Windows' own DLLs, python3.dll for the .pyd (abi3: no versioned pythonXY.dll), and no mingw
runtime (libgcc_s, libwinpthread, libstdc++) or libnode.dll that a user's machine lacks.

    python3 scripts/windows/imports.py FILE...
"""

from __future__ import annotations

import subprocess
import sys

#: What a Windows 10 machine has (bcryptprimitives: Windows 8 and later; the api-ms-win-* sets
#: are Windows' API sets).
SYSTEM = {
    "advapi32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "crypt32.dll",
    "kernel32.dll",
    "msvcrt.dll",
    "ncrypt.dll",
    "ntdll.dll",
    "secur32.dll",
    "userenv.dll",
    "ws2_32.dll",
}


def imports(path: str) -> list[str]:
    text = subprocess.run(
        ["x86_64-w64-mingw32-objdump", "-p", path], check=True, capture_output=True, text=True
    ).stdout
    return sorted(
        {
            line.split("DLL Name:")[1].strip().lower()
            for line in text.splitlines()
            if "DLL Name:" in line
        }
    )


def main() -> int:
    bad = False
    for path in sys.argv[1:]:
        dlls = imports(path)
        allowed = SYSTEM | ({"python3.dll"} if "python" in path else set())
        foreign = [d for d in dlls if d not in allowed and not d.startswith("api-ms-win-")]
        print(f"imports: {path.rsplit('/', 1)[-1]}: {', '.join(dlls)}")
        if foreign:
            print(f"imports: {path}: imports {foreign}, which Windows does not ship")
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
