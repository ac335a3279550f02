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
# The reference every ratio is taken against: the bare loop with odflash's own chunk sizes,
# measured in the same boot.
ref_s=$(grep -oE 'ODFLASH-BENCH sgloop-same-chunks .*' "$logfile" | grep -oE 'wall_s=[0-9.]+' | cut -d= -f2)
ref_loop=$(grep -oE 'ODFLASH-BENCH sgloop-same-chunks .*' "$logfile" | grep -oE 'loop_ms=[0-9.]+' | cut -d= -f2)
echo "VM (real kernel: usb-storage, sg; emulated drive behind the USB gadget):"
printf '%-20s %9s %7s %8s %8s %9s %9s\n' run commands chunk wall_s vs_bare loop_ms vs_bare
grep -oE 'ODFLASH-BENCH .*' "$logfile" | while read -r _ name rest; do
    if [[ $rest == failed* ]]; then
        printf '%-20s %s\n' "$name" "$rest"
        continue
    fi
    field() { grep -oE "$1=[0-9.]+" <<<"$rest" | cut -d= -f2 || true; }
    cmds=$(field commands)
    chunk=$(field chunk)
    wall=$(field wall_s)
    loop=$(field loop_ms)
    ratio() { awk -v w="$1" -v r="$2" 'BEGIN { if (w != "" && r > 0) printf "%.2f", w / r; else print "-" }'; }
    printf '%-20s %9s %7s %8s %8s %9s %9s\n' "$name" "$cmds" "$chunk" "$wall" "$(ratio "$wall" "$ref_s")" \
        "${loop:--}" "$(ratio "$loop" "$ref_loop")"
done
grep -oE 'ODFLASH-MEASURE (usb-storage-max_sectors|max_hw_sectors_kb|flash-phases|flash-peak-rss-kib) .*' "$logfile" | sed 's/^ODFLASH-MEASURE /  /'
echo
echo "Host (in-process emulated drives; cargo bench --bench engine):"
(cd "$REPO_DIR" && cargo bench --locked --bench engine 2>/dev/null) || die "host benchmark failed"
echo
echo "Emulator throughput (cargo bench -p odflash-emu):"
(cd "$REPO_DIR" && cargo bench --locked -p odflash-emu 2>/dev/null) || die "emulator benchmark failed"
