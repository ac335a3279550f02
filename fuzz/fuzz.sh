#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30), one at a time, after writing the
# seed corpora. Usage: fuzz/fuzz.sh [SECONDS] [TARGET...]
# FUZZ_RUNS=N also stops each target after N executions (whichever comes first).
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...). Only the stable toolchain is
# installed here, so RUSTC_BOOTSTRAP=1 lets stable rustc accept them.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-30}
shift || true
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
./seeds.sh
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
limits=(-max_total_time="$secs")
[ -z "${FUZZ_RUNS:-}" ] || limits+=(-runs="$FUZZ_RUNS")
mkdir -p logs
status=0
for t in "${targets[@]}"; do
    log="logs/$t.log"
    # Past crash inputs seed the run too (read only: new inputs go to corpus/$t).
    extra=()
    [ ! -d "regressions/$t" ] || extra+=("regressions/$t")
    if cargo fuzz run "$t" "corpus/$t" "${extra[@]}" -- "${limits[@]}" -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    printf '%-14s %-6s %10s execs %8s exec/s  (%s)\n' "$t" "$result" "${execs:-?}" \
        "${rate:-?}" "fuzz/$log"
done
exit $status
