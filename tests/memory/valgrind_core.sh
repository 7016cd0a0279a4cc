#!/usr/bin/env bash
# valgrind over the core's unit tests and its cache + vectors integration tests (issue 8).
# Builds them with cargo (debug profile), finds the executables through --message-format=json,
# runs each under memcheck: any invalid read/write, use of uninitialised memory or DEFINITE leak
# fails (--error-exitcode=1 --errors-for-leak-kinds=definite). Logs: target/valgrind/<name>.log.
# Every test runs, the 10 000-task storm of tests/cache.rs included (~20 s under valgrind on 2
# cores); VALGRIND_SKIP_STORM=1 skips it (--skip) on a slow machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO=${CARGO:-cargo}
OUT=target/valgrind
mkdir -p "$OUT"
mapfile -t BINS < <($CARGO test -p rds-iam --no-run --lib --test cache --test vectors \
  --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"].get("test"):
        print(m["target"]["name"] + " " + m["executable"])
')
[ "${#BINS[@]}" -eq 3 ] || { echo "expected 3 test executables, got: ${BINS[*]}" >&2; exit 1; }
STORM=ten_thousand_concurrent_requests_share_one_fetch_and_one_signature
status=0
for entry in "${BINS[@]}"; do
  name=${entry%% *}; exe=${entry#* }
  filter=()
  if [ "$name" = cache ] && [ "${VALGRIND_SKIP_STORM:-0}" = 1 ]; then filter=(--skip "$STORM"); fi
  start=$(date +%s)
  # --test-threads=1: one test at a time, so a report points at one test; the tests spawn their
  # own threads (tokio runtime, blocking callers) anyway.
  if valgrind --suppressions=tests/memory/valgrind.supp --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
       --show-leak-kinds=definite --track-origins=yes --num-callers=40 --log-file="$OUT/$name.log" \
       "$exe" --test-threads=1 "${filter[@]}" > "$OUT/$name.out" 2>&1; then
    verdict=clean
  else
    verdict="FAILED (exit $?)"; status=1
  fi
  ran=$(grep -cE '^test .* \.\.\. ok$' "$OUT/$name.out" || true)
  summary=$(grep -E 'ERROR SUMMARY|definitely lost' "$OUT/$name.log" | sed 's/^==[0-9]*== //' | tr '\n' ';')
  echo "valgrind $name: $verdict — $ran tests passed in $(( $(date +%s) - start )) s; $summary"
  if [ "$verdict" != clean ]; then tail -n 40 "$OUT/$name.out"; grep -A40 -E 'Invalid|definitely lost in' "$OUT/$name.log" | head -120; fi
done
exit $status
