#!/usr/bin/env bash
# Benchmark, not a test: every figure of the speed and memory targets, measured in one run and
# printed as one table at the end, each beside its reference from the same run.
#
# - In the guest (vm/scenarios/bench.sh, the real kernel's usb-storage, sg and udev path): a
#   2 MiB flash read by `odflash dump` against a bare SG_IO loop issuing the same READ BUFFER
#   mode 6 chunks (odflash-sgloop), where the dump's time goes, the guest CPU's cost of starting
#   each program and of SHA-256, a flash (commands per phase, readiness polls, peak RSS), a scan
#   of 1 and 16 drives (scsi_debug), plug-in to verdict.
# - On the host: `cargo bench --bench engine` (per-command overhead and allocations in process,
#   command counts, peak RSS, a scan of 16 emulated drives with 2 hung), the "flat in image size"
#   heap measurement (a test of odflash-core on its 8 MiB test family), emulator throughput.

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

need_host_tools
need cargo:cargo
(cd "$REPO_DIR" && cargo build --release -p odflash -p odflash-vm-gadget >&2) ||
    die "cargo build failed"
"$VM_DIR/build-guest.sh" "${CARGO_TARGET_DIR:-$REPO_DIR/target}/release"
logfile=$VM_OUT/bench.log
"$VM_DIR/run.sh" --scenarios bench --timeout 900 --log "$logfile" >/dev/null 2>&1 || true
grep -q 'ODFLASH-BENCH' "$logfile" || die "no benchmark lines in $logfile"
grep -q 'ODFLASH-RESULT bench PASS' "$logfile" ||
    echo "warning: the bench scenario did not pass: $(grep -a 'ODFLASH-RESULT bench' "$logfile")" >&2
host_log=$VM_OUT/bench-host.log

# measured KEY [FIELD]: the value of the ODFLASH-MEASURE KEY lines (the whole value, or FIELD=...
# from any of them).
measured() {
    local line
    line=$(grep -ahoE "ODFLASH-MEASURE $1 .*" "$logfile" "$host_log" 2>/dev/null |
        sed "s/^ODFLASH-MEASURE $1 //" | paste -sd' ')
    if [[ -n ${2:-} ]]; then
        grep -oE "(^| )$2=[^ ]+" <<<"$line" | head -1 | cut -d= -f2
    else
        echo "$line"
    fi
}
# walls NAME: the wall_s values of every ODFLASH-BENCH NAME line, one per line.
walls() { grep -aoE "ODFLASH-BENCH $1 .*" "$logfile" | grep -oE 'wall_s=[0-9.]+' | cut -d= -f2; }
# median_range: "median (min-max)" of the numbers on stdin.
median_range() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v w="$1" -v r="$2" 'BEGIN { if (w != "" && r > 0) printf "%.2f", w / r; else print "-" }'; }

echo "VM (real kernel: usb-storage, sg; emulated drive behind the USB gadget), each run:"
printf '%-20s %9s %7s %8s %9s\n' run commands chunk wall_s loop_ms
grep -aoE 'ODFLASH-BENCH .*' "$logfile" | while read -r _ name rest; do
    field() { grep -oE "$1=[0-9.]+" <<<"$rest" | cut -d= -f2 || true; }
    printf '%-20s %9s %7s %8s %9s\n' "$name" "$(field commands)" "$(field chunk)" "$(field wall_s)" \
        "$(field loop_ms)"
done
grep -aoE 'ODFLASH-MEASURE (usb-storage-max_sectors|max_hw_sectors_kb) .*' "$logfile" | sed 's/^ODFLASH-MEASURE /  /'
echo
echo "Host (in-process emulated drives; cargo bench --bench engine):"
(cd "$REPO_DIR" && cargo bench --locked --bench engine 2>/dev/null) | tee "$host_log" | grep -v '^ODFLASH-' ||
    die "host benchmark failed"
echo
echo "Flash heap against image size (cargo test -p odflash-core --lib flash_memory):"
(cd "$REPO_DIR" && cargo test --locked -p odflash-core --lib flash_memory -- --nocapture 2>/dev/null) |
    grep -a 'ODFLASH-MEASURE' | tee -a "$host_log" || die "flash heap measurement failed"
echo
echo "Emulator throughput (cargo bench -p odflash-emu):"
(cd "$REPO_DIR" && cargo bench --locked -p odflash-emu 2>/dev/null) | grep -vE '^(test |running |$|test result)' ||
    die "emulator benchmark failed"

# ---- the one table
dump=$(walls odflash-dump | median)
bare=$(walls sgloop-same-chunks | median)
bare64=$(walls sgloop-65536 | median)
row() { printf '%-44s %-34s %-30s %s\n' "$@"; }
echo
echo "Figures (VM rows: one boot; ratios against the bare loop measured in it):"
row figure measured reference target
row "dump 2 MiB, commands" \
    "$(measured dump-commands total) ($(measured dump-commands identification) identify + $(measured dump-commands reads) read)" \
    "bare loop same reads: $(grep -aoE 'ODFLASH-BENCH sgloop-same-chunks .*' "$logfile" | head -1 | grep -oE 'commands=[0-9]+' | cut -d= -f2)" \
    "identify + 1 banner + 32"
row "dump 2 MiB, wall s (median of runs)" "$(walls odflash-dump | median_range)" \
    "bare loop $(walls sgloop-same-chunks | median_range)" "<= 1.15x: $(ratio "$dump" "$bare")x"
fixed=$(walls odflash-dump-fixed-addresses | median)
bare_fixed=$(walls sgloop-same-chunks-fixed-addresses | median)
row "  the same, guest ASLR off (warm code)" "$(walls odflash-dump-fixed-addresses | median_range)" \
    "bare loop $(walls sgloop-same-chunks-fixed-addresses | median_range)" "($(ratio "$fixed" "$bare_fixed")x)"
row "  bare loop of 32 x 64 KiB + banner" "$(walls sgloop-65536 | median_range)" "-" "($(ratio "$dump" "$bare64")x)"
row "dump time by phase, ms (traced run)" \
    "$(measured dump-phases-ms | sed 's/start_open/start+open/; s/hash_files_exit/hash+files/')" "-" "-"
row "program start, ms (no device work)" "odflash $(measured start-ms odflash)" \
    "sgloop $(measured start-ms sgloop), busybox $(measured start-ms busybox)" "-"
row "  the same, guest ASLR off" "odflash $(measured start-ms-fixed-addresses odflash)" \
    "sgloop $(measured start-ms-fixed-addresses sgloop)" "-"
row "SHA-256 of 2 MiB in the guest, ms" "$(measured sha256-2MiB-ms)" "(qemu TCG CPU)" "-"
row "guest CPU idle while reading, %" "dump $(measured cpu-idle-pct odflash_dump)" \
    "bare loop $(measured cpu-idle-pct sgloop)" "(room to overlap work)"
row "flash 2 MiB, commands per phase" "$(measured flash-phases | cut -c1-34)" "-" "see below"
row "flash readiness polls after commit" \
    "$(measured flash-ready-polls count) TUR, first +$(measured flash-ready-polls first_after_commit_ms) ms" \
    "ready +$(measured flash-ready-polls ready_after_commit_ms) ms" "first within 100 ms"
row "flash 2 MiB, peak RSS (VmHWM)" "$(measured flash-peak-rss-kib) KiB" "-" "<= 12288 KiB"
row "flash heap growth 64 KiB -> 8 MiB image" \
    "$(measured flash-heap-peak growth_per_image_byte) x image size" \
    "$(measured flash-heap-peak small_kib) -> $(measured flash-heap-peak large_kib) KiB" "1 x image size"
row "host overhead per 64 KiB read" "$(measured host-overhead us_per_command) us" \
    "bare $(measured host-overhead bare_us) us" "< 50 us"
row "odflash's own allocations per read sweep" \
    "$(measured host-overhead own_allocations_per_sweep) (31 chunks)" \
    "$(measured host-overhead own_allocations_per_half_sweep) (15 chunks)" "equal: 0 per chunk"
row "host peak RSS (emulator in process)" \
    "flash $(measured host-peak-rss-kib flash) KiB" "--version $(measured host-peak-rss-kib version) KiB" "-"
row "scan, 16 emulated drives, 2 hung (host)" "$(measured host-scan-16-2-hung wall_s) s" \
    "timeout $(measured host-scan-16-2-hung timeout_s) s" "<= 1.3x: $(measured host-scan-16-2-hung ratio)x"
row "scan, 16 scsi_debug drives (VM)" "$(measured scan-ms drives16) ms" "1 drive $(measured scan-ms drives1) ms" "-"
row "plug-in to verdict (VM)" "$(walls plug-to-verdict | median) s" "-" "< 1 s"
echo "flash phases: $(measured flash-phases)"
