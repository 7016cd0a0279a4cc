#!/usr/bin/env bash
# Runs every fuzz target (or those named in FUZZ_ONLY) for SECONDS each, one after the other,
# from the committed seeds (fuzz/corpus/<target>/, read only) plus what earlier runs found
# (target/fuzz/corpus/<target>/, where new inputs go). Prints executions per second per target
# and fails if any target crashed, hung or ran out of memory; the input that did it is kept in
# target/fuzz/artifacts/<target>/ with the command that replays it.
#
#   fuzz/run.sh SECONDS BIN_DIR TARGET_DIR TARGET...
set -uo pipefail
seconds=$1 bin_dir=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
summary=$work/summary.txt
mkdir -p "$work"
: >"$summary"
failed=()
for target in "$@"; do
  corpus=$work/corpus/$target artifacts=$work/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  log=$work/$target.log
  # -max_len: PostgreSQL's startup packet may be 10,000 bytes; -timeout: a parse that takes a
  # second is a hang; -rss_limit_mb: one input may not cost 1 GB.
  "$bin_dir/$target" "$corpus" "$here/corpus/$target" \
    -max_total_time="$seconds" -max_len=12000 -timeout=5 -rss_limit_mb=1024 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    printf '%-24s ok     %10s runs  %7s exec/s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "$cov" | tee -a "$summary"
  else
    failed+=("$target")
    printf '%-24s FAILED (exit %s)  %s\n' "$target" "$rc" "$cov" | tee -a "$summary"
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -8
    for crash in "$artifacts"/*; do
      [ -e "$crash" ] && echo "  replay: $bin_dir/$target $crash"
    done
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed; the logs are $work/<target>.log" >&2
  exit 1
fi
echo "fuzz: ${#@} targets, ${seconds} s each, no crash"
