#!/usr/bin/env bash
# Boots the test guest under qemu (TCG), runs scenarios in it and turns its result lines into a
# verdict.
#
# Usage: vm/run.sh [--scenarios a,b,...|all] [--timeout SECONDS] [--log FILE]
#   --scenarios   scenario names (files in vm/scenarios/ without .sh); default: all except bench
#   --timeout     limit for the whole boot (default 600); each scenario also has a guest-side
#                 limit of 180 s (ODFLASH_VM_SCENARIO_TIMEOUT)
#   --log         console log (default $VM_OUT/console.log)
# Needs $VM_OUT/vmlinuz and $VM_OUT/initrd.gz (vm/build-guest.sh).
# Prints one line per scenario and exits 0 only when every requested scenario passed.

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

scenarios=all
timeout_s=600
logfile=$VM_OUT/console.log
while (($#)); do
    case $1 in
        --scenarios) scenarios=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        --log) logfile=$2; shift 2 ;;
        *) die "unknown argument $1 (see the header of $0)" ;;
    esac
done
need qemu-system-x86_64:qemu-system-x86 timeout:coreutils
[[ -f $VM_OUT/vmlinuz && -f $VM_OUT/initrd.gz ]] || die "no guest in $VM_OUT: run vm/build-guest.sh"

if [[ $scenarios == all ]]; then
    scenarios=$(cd "$VM_DIR/scenarios" && ls ./*.sh | sed 's|^\./||; s|\.sh$||' | grep -vx bench | paste -sd, -)
fi
for s in ${scenarios//,/ }; do
    [[ -f $VM_DIR/scenarios/$s.sh ]] || die "no scenario $s in vm/scenarios"
done

mkdir -p "$(dirname "$logfile")"
log "booting: scenarios $scenarios (console -> $logfile)"
start=$(date +%s.%N)
set +e
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 \
    -accel tcg -cpu max -m 512 -smp 1 -nographic -no-reboot -nic none \
    -kernel "$VM_OUT/vmlinuz" -initrd "$VM_OUT/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 odflash.scenarios=$scenarios odflash.timeout=${ODFLASH_VM_SCENARIO_TIMEOUT:-180}" \
    </dev/null 2>&1 | tr -d '\r' | tee "$logfile" | {
    if [[ ${ODFLASH_VM_VERBOSE:-0} == 1 ]]; then cat >&2; else grep --line-buffered -oE 'ODFLASH-.*' >&2; fi
}
qemu_rc=${PIPESTATUS[0]}
set -e
end=$(date +%s.%N)
wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')

failed=0
if ((qemu_rc == 124 || qemu_rc == 137)); then
    log "qemu timed out after ${timeout_s}s"
    failed=1
elif ((qemu_rc != 0)); then
    log "qemu exited with status $qemu_rc"
    failed=1
fi
grep -q '^ODFLASH-DONE' "$logfile" || { log "the guest did not finish (no ODFLASH-DONE)"; failed=1; }
grep -q '^ODFLASH-RESULT setup FAIL' "$logfile" && { log "guest setup failed"; failed=1; }
echo "scenario results (boot wall time ${wall}s, log $logfile):"
for s in ${scenarios//,/ }; do
    line=$(grep -E "^ODFLASH-RESULT $s " "$logfile" | tail -1 || true)
    t=$(sed -n "s/^ODFLASH-TIMING scenario-$s \([0-9.]*\) s$/\1/p" "$logfile" | tail -1)
    if [[ -z $line ]]; then
        printf '  %-20s %-4s %6ss  %s\n' "$s" MISSING "-" "no result line"
        failed=1
    else
        verdict=$(awk '{print $3}' <<<"$line")
        detail=$(cut -d' ' -f4- <<<"$line")
        printf '  %-20s %-4s %6ss  %s\n' "$s" "$verdict" "${t:--}" "$detail"
        [[ $verdict == PASS ]] || failed=1
    fi
done
grep -E '^ODFLASH-(MEASURE|TIMING) ' "$logfile" | grep -v 'scenario-' | sed 's/^ODFLASH-/  /' || true
echo "  TIMING boot-wall ${wall} s"
exit "$failed"
