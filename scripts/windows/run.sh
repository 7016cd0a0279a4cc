#!/usr/bin/env bash
# Runs the Windows builds under wine (scripts/windows/wine_checks.py), in a fresh prefix unless
# WIN_KEEP_PREFIX=1. Usage: run.sh [CHECK ...]
source "$(dirname "$0")/env.sh"
[[ ${WIN_KEEP_PREFIX:-0} == 1 && -d $WINEPREFIX/drive_c ]] || timed "$ROOT/scripts/windows/prefix.sh"
export WINE WIN_DIR WIN_BIN WIN_NODE_DIR WIN_NODE_VERSIONS="${WIN_NODE_VERSIONS[*]}"
status=0
timed "$WIN_PY" "$ROOT/scripts/windows/wine_checks.py" "$@" || status=$?
"$WINESERVER" -k > /dev/null 2>&1 || true
exit "$status"
