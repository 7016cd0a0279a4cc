#!/usr/bin/env bash
# run_captured.sh NAME COMMAND...: runs one test suite with everything it prints (stdout and
# stderr) kept in $SECRETS_DIR/NAME-suite.txt, so that `make secrets-scan` scans the output of the
# suite's one run instead of running it again. Shows the suite's summary lines on success and
# the end of its output on failure; exits with the suite's status.
set -uo pipefail
name=$1
shift
out=${SECRETS_DIR:?SECRETS_DIR must name the capture folder}/$name-suite.txt
mkdir -p "$SECRETS_DIR"
echo "$name: $* > ${out#"$PWD"/}"
started=$SECONDS
"$@" >"$out" 2>&1
status=$?
took=$((SECONDS - started))
if [ "$status" = 0 ]; then
  # cargo test's, pytest's and node --test's (TAP) result lines
  grep -E '^test result: |^# (tests|pass|fail) [0-9]|(^|= )[0-9]+ (passed|failed)' "$out" | sed "s/^/$name: /" | tail -n 40
  echo "$name: passed in ${took}s"
else
  tail -n 80 "$out"
  echo "$name: FAILED (exit $status) after ${took}s; its whole output is in $out"
fi
exit "$status"
