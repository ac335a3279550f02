# Benchmark (not a test verdict on speed): a 2 MiB flash read by `odflash dump` against a bare
# SG_IO loop issuing the same READ BUFFER mode 6 chunks (odflash-sgloop). Prints
# ODFLASH-BENCH lines that vm/bench.sh turns into a table.
GADGET_LOG=info # no per-command log lines while timing
gadget_start emu:mt1959
usb_limits "$SG"
# Every run is timed the same way, as a whole process from this shell (start, open, the
# commands, writing its file); loop_ms is the span of the commands alone (odflash: from its
# trace's timestamps; the bare loop: its own clock around the loop).
span_ms() { jq -s '((.[-1].time_us + .[-1].duration_us) - .[0].time_us) / 1000 | floor' "$1"; }
t0=$(uptime_s)
odflash --trace /tmp/bench.trace dump "$DEV" -o /tmp/bench.bin >/tmp/bench.out 2>&1
rc=$?
wall=$(elapsed "$t0")
chunk=0
[ -s /tmp/bench.trace ] && chunk=$(trace_max_len /tmp/bench.trace 3c)
if [ "$rc" -eq 0 ] && [ "$chunk" -gt 0 ]; then
    n=$(jq -s length /tmp/bench.trace)
    echo "ODFLASH-BENCH odflash-dump commands=$n chunk=$chunk wall_s=$wall loop_ms=$(span_ms /tmp/bench.trace)"
else
    echo "ODFLASH-BENCH odflash-dump failed exit=$rc, no READ BUFFER traced: $(tail -c 200 /tmp/bench.out | tr '\n' ' ')"
fi
# bare_run NAME ARGS...: the bare SG_IO loop as a process, writing its 2 MiB like odflash does.
bare_run() {
    name=$1
    shift
    t0=$(uptime_s)
    out=$(odflash-sgloop "$DEV" "$@" -o /tmp/sgloop.bin 2>&1) || fail "odflash-sgloop: $out"
    wall=$(elapsed "$t0")
    echo "ODFLASH-BENCH $name ${out/wall_ms=/loop_ms=} wall_s=$wall"
}
if [ "$chunk" -gt 0 ] && [ "$rc" -eq 0 ]; then
    bare_run sgloop-same-chunks --same-as /tmp/bench.trace
fi
for c in 65536 4096; do
    bare_run "sgloop-$c" --chunk "$c"
done
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

# A flash of 2 MiB through the real kernel: commands per phase and wall time.
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
echo "ODFLASH-BENCH odflash-flash commands=$n chunk=65536 wall_s=$wall loop_ms=$(span_ms /tmp/bench-flash.trace)"
echo "ODFLASH-MEASURE flash-phases $phases"
pass "benchmark done"
