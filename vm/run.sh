#!/usr/bin/env bash
# Boots the test guests under qemu (TCG), runs scenarios in them and turns their result lines
# into a verdict.
#
# Usage: vm/run.sh [--scenarios a,b,...|all] [--timeout SECONDS] [--log FILE]
#   --scenarios   scenario names (files in vm/scenarios/ without .sh); default: all except bench
#   --timeout     limit for each boot (default 600); each scenario also has a guest-side
#                 limit of 180 s (ODFLASH_VM_SCENARIO_TIMEOUT)
#   --log         console log, every boot after the other (default $VM_OUT/console.log)
# A scenario runs in the guest its "# guest: initramfs|system" line names (initramfs when it
# has none); each guest kind needed boots once, with its scenarios in the order given.
# Needs $VM_OUT/vmlinuz and, per kind, $VM_OUT/initrd.gz (vm/build-guest.sh) or
# $VM_OUT/system-initrd.gz + system.ext4 (vm/build-system-guest.sh).
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

if [[ $scenarios == all ]]; then
    scenarios=$(cd "$VM_DIR/scenarios" && ls ./*.sh | sed 's|^\./||; s|\.sh$||' | grep -vx bench | paste -sd, -)
fi
# guest_of NAME: the guest kind scenario NAME declares.
guest_of() {
    local kind
    kind=$(sed -n 's/^# guest: *\([a-z]*\) *$/\1/p' "$VM_DIR/scenarios/$1.sh" | head -1)
    case ${kind:-initramfs} in
        initramfs | system) echo "${kind:-initramfs}" ;;
        *) die "scenario $1 names an unknown guest kind '$kind' (initramfs or system)" ;;
    esac
}

# boot KIND LIST: boots the guest of KIND with the scenarios in LIST (a,b,...), appends its
# console to $logfile, prints one line per scenario; non-zero when any of them failed.
boot() {
    local kind=$1 list=$2 machine=() bootlog qemu_rc start end wall failed=0 s line t verdict detail
    case $kind in
        initramfs)
            [[ -f $VM_OUT/vmlinuz && -f $VM_OUT/initrd.gz ]] || die "no initramfs guest in $VM_OUT: run vm/build-guest.sh"
            machine=(-m 512 -initrd "$VM_OUT/initrd.gz")
            ;;
        system)
            [[ -f $VM_OUT/vmlinuz && -f $VM_OUT/system-initrd.gz && -e $VM_OUT/system.ext4 ]] ||
                die "no system guest in $VM_OUT: run vm/build-system-guest.sh"
            # snapshot=on: the guest's writes go to a temporary file, the cached image stays as built.
            machine=(-m 1024 -initrd "$VM_OUT/system-initrd.gz"
                -drive "file=$VM_OUT/system.ext4,if=virtio,format=raw,snapshot=on")
            ;;
    esac
    bootlog=$(mktemp "$VM_OUT/console-$kind.XXXXXX")
    log "booting the $kind guest: scenarios $list (console -> $logfile)"
    start=$(date +%s.%N)
    set +e
    timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 \
        -accel tcg -cpu max -smp 1 -nographic -no-reboot -nic none "${machine[@]}" \
        -kernel "$VM_OUT/vmlinuz" \
        -append "console=ttyS0 quiet panic=-1 odflash.scenarios=$list odflash.timeout=${ODFLASH_VM_SCENARIO_TIMEOUT:-180}" \
        </dev/null 2>&1 | tr -d '\r' | tee "$bootlog" | {
        if [[ ${ODFLASH_VM_VERBOSE:-0} == 1 ]]; then cat >&2; else grep --line-buffered -oE 'ODFLASH-.*' >&2; fi
    }
    qemu_rc=${PIPESTATUS[0]}
    set -e
    end=$(date +%s.%N)
    wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    cat "$bootlog" >>"$logfile"
    # The protocol lines, without the console noise a line may start with (terminal resets).
    grep -aoE 'ODFLASH-.*' "$bootlog" >"$bootlog.lines" || true

    if ((qemu_rc == 124 || qemu_rc == 137)); then
        log "qemu timed out after ${timeout_s}s"
        failed=1
    elif ((qemu_rc != 0)); then
        log "qemu exited with status $qemu_rc"
        failed=1
    fi
    grep -q '^ODFLASH-DONE' "$bootlog.lines" || { log "the $kind guest did not finish (no ODFLASH-DONE)"; failed=1; }
    grep -q '^ODFLASH-RESULT setup FAIL' "$bootlog.lines" && { log "$kind guest setup failed"; failed=1; }
    echo "scenario results, $kind guest (boot wall time ${wall}s, log $logfile):"
    for s in ${list//,/ }; do
        line=$(grep -E "^ODFLASH-RESULT $s " "$bootlog.lines" | tail -1 || true)
        t=$(sed -n "s/^ODFLASH-TIMING scenario-$s \([0-9.]*\) s$/\1/p" "$bootlog.lines" | tail -1)
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
    grep -E '^ODFLASH-(MEASURE|TIMING) ' "$bootlog.lines" | grep -v 'scenario-' | sed 's/^ODFLASH-/  /' || true
    echo "  TIMING boot-wall-$kind ${wall} s"
    rm -f "$bootlog" "$bootlog.lines"
    return "$failed"
}

for s in ${scenarios//,/ }; do
    [[ -f $VM_DIR/scenarios/$s.sh ]] || die "no scenario $s in vm/scenarios"
    guest_of "$s" >/dev/null
done

mkdir -p "$(dirname "$logfile")"
: >"$logfile"
failed=0
for kind in initramfs system; do
    list=$(for s in ${scenarios//,/ }; do if [[ $(guest_of "$s") == "$kind" ]]; then echo "$s"; fi; done | paste -sd, -)
    [[ -z $list ]] && continue
    boot "$kind" "$list" || failed=1
done
exit "$failed"
