#!/usr/bin/env bash
# Benchmark, not a test: in the guest, a 2 MiB flash read by `odflash dump` against a bare SG_IO
# loop issuing the same READ BUFFER mode 6 chunks (odflash-sgloop, at odflash's chunk size and
# at 4 KiB). Prints commands issued and wall time for each as a table.

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

need_host_tools
need cargo:cargo
(cd "$REPO_DIR" && cargo build --release -p odflash -p odflash-vm-gadget >&2) ||
    die "cargo build failed"
"$VM_DIR/build-guest.sh" "${CARGO_TARGET_DIR:-$REPO_DIR/target}/release"
logfile=$VM_OUT/bench.log
"$VM_DIR/run.sh" --scenarios bench --timeout 600 --log "$logfile" >/dev/null 2>&1 || true
grep -q 'ODFLASH-BENCH' "$logfile" || die "no benchmark lines in $logfile"
printf '%-20s %10s %10s %10s\n' reader commands chunk wall_s
grep -oE 'ODFLASH-BENCH .*' "$logfile" | while read -r _ name rest; do
    if [[ $rest == failed* ]]; then
        printf '%-20s %s\n' "$name" "$rest"
        continue
    fi
    field() { grep -oE "$1=[0-9.]+" <<<"$rest" | cut -d= -f2 || true; }
    cmds=$(field commands)
    chunk=$(field chunk)
    wall=$(field wall_s)
    ms=$(field wall_ms)
    [[ -n $ms ]] && wall=$(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }')
    printf '%-20s %10s %10s %10s\n' "$name" "$cmds" "$chunk" "$wall"
done
grep -oE 'ODFLASH-MEASURE (usb-storage-max_sectors|max_hw_sectors_kb) .*' "$logfile" | sed 's/^ODFLASH-MEASURE /  /'
