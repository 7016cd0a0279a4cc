#!/usr/bin/env bash
# A fresh wine prefix for the checks: Windows 10 (node.exe 20/22 refuse the Windows 7 a new prefix
# reports), the bcryptprimitives shim in system32, and wineserver left running for the checks.
# wine's first run starts background services that inherit the caller's stdio, so a pipe to make
# or CI would never close: everything here runs with stdio on /dev/null.
source "$(dirname "$0")/env.sh"
"$WINESERVER" -k > /dev/null 2>&1 || true
rm -rf "$WINEPREFIX"
mkdir -p "$WINEPREFIX"
"$WINESERVER" -p < /dev/null > /dev/null 2>&1
"$WINE" cmd /c exit < /dev/null > /dev/null 2>&1
"$WINE" winecfg -v win10 < /dev/null > /dev/null 2>&1
cp "$WIN_SHIM/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
