# Benchmark (not a test verdict on speed): a 2 MiB flash read by `odflash dump` against a bare
# SG_IO loop issuing the same READ BUFFER mode 6 chunks (odflash-sgloop), where the dump's time
# goes, what the guest's CPU costs for the work odflash does and the loop does not, a flash's
# commands and memory, a scan of several drives and plug-in to verdict. Prints ODFLASH-BENCH and
# ODFLASH-MEASURE lines that vm/bench.sh turns into one table.
GADGET_LOG=info # no per-command log lines while timing
# Repetitions of each timed run, alternating odflash and the bare loop.
RUNS=5
gadget_start emu:mt1959
usb_limits "$SG"
# Every run is timed the same way, as a whole process from this shell (start, open, the
# commands, writing its file). Each program runs once untimed first: qemu translates a
# program's code the first time it runs, and both should be measured warm.
# clock / clock_us: the wall clock (the clock of odflash's trace timestamps) in microseconds,
# read by busybox adjtimex (busybox date has no sub-second format); `clock` only reads it, so
# about one busybox start (see start-ms) separates each reading from the run it brackets.
clock() { busybox adjtimex; }
clock_us() { printf '%s\n' "$1" | awk '/time.tv_sec/ { s = $2 } /time.tv_usec/ { u = $2 } END { printf "%d%06d", s, u }'; }
odflash dump "$DEV" -o /tmp/bench.bin >/dev/null 2>&1 || fail "odflash dump (warm-up)"
odflash-sgloop "$DEV" -o /tmp/sgloop.bin >/dev/null 2>&1 || fail "odflash-sgloop (warm-up)"

# The traced dump: the commands, the chunk size, and where the time goes (process start and
# open, identification, the sweep, hashing and writing the files), from the trace's timestamps.
c0=$(clock)
odflash --trace /tmp/bench.trace dump "$DEV" -o /tmp/bench.bin >/tmp/bench.out 2>&1
rc=$?
c1=$(clock)
e0=$(clock_us "$c0")
e1=$(clock_us "$c1")
chunk=0
[ -s /tmp/bench.trace ] && chunk=$(trace_max_len /tmp/bench.trace 3c)
[ "$rc" -eq 0 ] && [ "$chunk" -gt 0 ] ||
    fail "odflash dump exited $rc, no READ BUFFER traced: $(tail -c 200 /tmp/bench.out | tr '\n' ' ')"
# Identification ends with its TEST UNIT READY; the sweep is every command after it.
jq -s --argjson e0 "$e0" --argjson e1 "$e1" '
    (map(.cdb) | rindex("000000000000")) as $tur
    | (.[$tur] | .time_us + .duration_us) as $ident_end
    | (.[-1] | .time_us + .duration_us) as $last_end
    | "ODFLASH-MEASURE dump-phases-ms start_open=\((.[0].time_us - $e0) / 1000 | floor)"
      + " identification=\(($ident_end - .[0].time_us) / 1000 | floor)"
      + " sweep=\(($last_end - $ident_end) / 1000 | floor)"
      + " hash_files_exit=\(($e1 - $last_end) / 1000 | floor)"
      + " total=\(($e1 - $e0) / 1000 | floor)",
      "ODFLASH-MEASURE dump-commands total=\(length) identification=\($tur + 1) reads=\(length - $tur - 1)"
' -r /tmp/bench.trace

# The timed runs, untraced (a user's dump records no trace; recording costs per command).
# bare_run NAME ARGS...: the bare SG_IO loop as a process, writing its 2 MiB like odflash does.
bare_run() {
    name=$1
    shift
    t0=$(uptime_s)
    out=$(odflash-sgloop "$DEV" "$@" -o /tmp/sgloop.bin 2>&1) || fail "odflash-sgloop: $out"
    wall=$(elapsed "$t0")
    echo "ODFLASH-BENCH $name ${out/wall_ms=/loop_ms=} wall_s=$wall"
}
n=$(jq -s length /tmp/bench.trace)
# side_by_side [SUFFIX]: RUNS timed runs of the dump, each followed by the bare loop issuing the
# same reads, after one warm-up of the loop (the dump's ran above).
side_by_side() {
    odflash-sgloop "$DEV" --same-as /tmp/bench.trace -o /tmp/sgloop.bin >/dev/null 2>&1
    for run in $(seq "$RUNS"); do
        t0=$(uptime_s)
        odflash dump "$DEV" -o /tmp/bench.bin >/tmp/bench.out 2>&1 || fail "odflash dump: $(tail -c 200 /tmp/bench.out)"
        echo "ODFLASH-BENCH odflash-dump${1:-} commands=$n chunk=$chunk wall_s=$(elapsed "$t0")"
        bare_run "sgloop-same-chunks${1:-}" --same-as /tmp/bench.trace
    done
}
side_by_side
for c in 65536 4096; do
    bare_run "sgloop-$c" --chunk "$c"
done

# How much of the guest's one CPU sits idle while each reader runs (/proc/stat, idle + iowait
# ticks of all ticks): time the reader's own work could overlap with its commands.
cpu_ticks() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
idle_pct() {
    before=$(cpu_ticks)
    "$@" >/dev/null 2>&1
    echo "$before $(cpu_ticks)" | awk '{ printf "%d", ($3 - $1) * 100 / ($4 - $2) }'
}
measure cpu-idle-pct "odflash_dump=$(idle_pct odflash dump "$DEV" -o /tmp/bench.bin) sgloop=$(idle_pct odflash-sgloop "$DEV" --same-as /tmp/bench.trace -o /tmp/sgloop.bin)"

# What the guest's CPU (qemu TCG) costs for work the bare loop does not do: starting the larger
# program (5 starts each, no device work) and SHA-256 of 2 MiB (the dump's manifest hashes the
# file; busybox's sha256sum, less the start of busybox itself).
per_start_ms() {
    t0=$(uptime_s)
    for _ in 1 2 3 4 5; do "$@" >/dev/null 2>&1; done
    awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%d", (b - a) * 1000 / 5 }'
}
measure start-ms "odflash=$(per_start_ms odflash --version) sgloop=$(per_start_ms odflash-sgloop --help) busybox=$(per_start_ms busybox true)"
measure sha256-2MiB-ms "$(($(per_start_ms sha256sum /tmp/bench.bin) - $(per_start_ms busybox true)))"

# The same side-by-side runs with address-space randomisation off in this throwaway guest. qemu
# keys the code it has translated by virtual address, so with randomisation every run of a
# program is translated afresh (a cost in proportion to how much code it runs, which a real CPU
# does not have); without it a warm run reuses the translation, as a real CPU runs warm code.
echo 0 >/proc/sys/kernel/randomize_va_space
odflash dump "$DEV" -o /tmp/bench.bin >/dev/null 2>&1
side_by_side -fixed-addresses
measure start-ms-fixed-addresses "odflash=$(per_start_ms odflash --version) sgloop=$(per_start_ms odflash-sgloop --help)"
echo 2 >/proc/sys/kernel/randomize_va_space
gadget_stop

# Plug-in to verdict: from udev's add event for the drive's sg node (udevadm monitor's
# timestamp, CLOCK_MONOTONIC like /proc/uptime in this guest) to the hotplug helper's
# /run/odflash/<sg>.json, the helper run as the unit runs it (no systemd in the guest).
unit=/vm/odflash-hotplug@.service
rm -rf /run/odflash
udevadm monitor --udev --subsystem-match=scsi_generic >/tmp/udev-mon.txt 2>&1 &
mon=$!
gadget_start "emu:mt1959,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$SG/g; s/%I/$SG/g")
set -- $exec_start
"$@" >/dev/null 2>&1 || fail "hotplug helper: $*"
t1=$(uptime_s)
kill "$mon" 2>/dev/null
[ -f "/run/odflash/$SG.json" ] || fail "no verdict file"
t_event=$(sed -n 's/^UDEV *\[\([0-9.]*\)\] *add .*/\1/p' /tmp/udev-mon.txt | head -1)
[ -n "$t_event" ] || fail "udevadm monitor saw no add event: $(head -c 200 /tmp/udev-mon.txt)"
echo "ODFLASH-BENCH plug-to-verdict commands=0 chunk=0 wall_s=$(awk -v a="$t_event" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
gadget_stop

# A flash of 2 MiB through the real kernel: commands per phase, the readiness polls after the
# commit, wall time and odflash's peak RSS.
image_for "emu:mt1959,revision=1.03" /tmp/bench-fw.bin
gadget_start "emu:mt1959,revision=1.02"
t0=$(uptime_s)
odflash --trace /tmp/bench-flash.trace flash "$DEV" /tmp/bench-fw.bin --execute --yes-i-understand-the-risk >/tmp/bench.out 2>&1 &
pid=$!
# odflash's own peak RSS (the drive is the gadget's process here): VmHWM, read until it exits.
hwm=0
while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [ -n "$v" ] && hwm=$v
    sleep 0.1
done
wait "$pid" || fail "bench flash: $(tail -c 200 /tmp/bench.out)"
wall=$(elapsed "$t0")
echo "ODFLASH-MEASURE flash-peak-rss-kib $hwm"
n=$(jq -s length /tmp/bench-flash.trace)
phases=$(jq -r '.cdb[0:4]' /tmp/bench-flash.trace | uniq -c | awk '{printf "%s%sx%s", sep, $1, $2; sep="+"}')
echo "ODFLASH-BENCH odflash-flash commands=$n chunk=65536 wall_s=$wall"
echo "ODFLASH-MEASURE flash-phases $phases"
# After the commit (WRITE BUFFER mode 7): how long until the first TEST UNIT READY, and how many.
jq -s -r '
    (map(.cdb[0:4]) | index("3b07")) as $commit
    | (.[$commit] | .time_us + .duration_us) as $commit_end
    | [.[$commit + 1:][] | select(.cdb == "000000000000")] as $polls
    | "ODFLASH-MEASURE flash-ready-polls count=\($polls | length)"
      + " first_after_commit_ms=\(($polls[0].time_us - $commit_end) / 1000 | floor)"
      + " ready_after_commit_ms=\(($polls[-1].time_us - $commit_end) / 1000 | floor)"
' /tmp/bench-flash.trace
gadget_stop

# A scan of several drives through the real kernel: scsi_debug as optical drives (ptype 5), one
# and then sixteen (its add_host knob adds the other fifteen).
add_host=/sys/bus/pseudo/drivers/scsi_debug/add_host
modprobe scsi_debug ptype=5 || fail "modprobe scsi_debug ptype=5"
# scan_ms N: make N scsi_debug drives, then time `odflash scan` listing them.
scan_ms() {
    have=$(cat /sys/bus/pseudo/drivers/scsi_debug/add_host)
    [ "$1" -gt "$have" ] && echo $(($1 - have)) >"$add_host"
    wait_for 30 sh -c "[ \$(ls /sys/class/scsi_generic | wc -l) -ge $1 ]" || return 1
    udevadm settle --timeout=30
    odflash scan --json >/dev/null 2>&1
    t0=$(uptime_s)
    odflash scan --json >/tmp/scan.json 2>/tmp/scan.err || return 1
    ms=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%d", (b - a) * 1000 }')
    [ "$(jq length /tmp/scan.json)" -eq "$1" ] || return 1
    echo "$ms"
}
one=$(scan_ms 1) || fail "scan of 1 scsi_debug drive: $(tail -c 200 /tmp/scan.err)"
sixteen=$(scan_ms 16) || fail "scan of 16 scsi_debug drives: $(jq length /tmp/scan.json) listed, $(tail -c 200 /tmp/scan.err)"
measure scan-ms "drives1=$one drives16=$sixteen"
pass "benchmark done"
