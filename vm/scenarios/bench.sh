# Benchmark (not a test verdict on speed): a 2 MiB flash read by `odflash dump` against a bare
# SG_IO loop issuing the same READ BUFFER mode 6 chunks (odflash-sgloop). Prints
# ODFLASH-BENCH lines that vm/bench.sh turns into a table.
GADGET_LOG=info # no per-command log lines while timing
gadget_start emu:mt1959
usb_limits "$SG"
t0=$(uptime_s)
odflash --trace /tmp/bench.trace dump "$DEV" -o /tmp/bench.bin >/tmp/bench.out 2>&1
rc=$?
wall=$(elapsed "$t0")
chunk=0
[ -s /tmp/bench.trace ] && chunk=$(trace_max_len /tmp/bench.trace 3c)
if [ "$rc" -eq 0 ] && [ "$chunk" -gt 0 ]; then
    n=$(jq -s length /tmp/bench.trace)
    echo "ODFLASH-BENCH odflash-dump commands=$n chunk=$chunk wall_s=$wall"
else
    echo "ODFLASH-BENCH odflash-dump failed exit=$rc, no READ BUFFER traced: $(tail -c 200 /tmp/bench.out | tr '\n' ' ')"
fi
if [ "$chunk" -gt 0 ] && [ "$rc" -eq 0 ]; then
    out=$(odflash-sgloop "$DEV" --same-as /tmp/bench.trace 2>&1) || fail "odflash-sgloop: $out"
    echo "ODFLASH-BENCH sgloop-same-chunks $out"
fi
for c in 65536 4096; do
    out=$(odflash-sgloop "$DEV" --chunk "$c" 2>&1) || fail "odflash-sgloop: $out"
    echo "ODFLASH-BENCH sgloop-$c $out"
done
gadget_stop

# Plug-in to verdict: from binding the gadget (the drive appears on the bus) to the hotplug
# helper's /run/odflash/<sg>.json, the helper run as the unit runs it (no systemd in the guest).
unit=/vm/odflash-hotplug@.service
rm -rf /run/odflash
t0=$(uptime_s)
gadget_start "emu:mt1959,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$SG/g; s/%I/$SG/g")
set -- $exec_start
"$@" >/dev/null 2>&1 || fail "hotplug helper: $*"
[ -f "/run/odflash/$SG.json" ] || fail "no verdict file"
echo "ODFLASH-BENCH plug-to-verdict commands=0 chunk=0 wall_s=$(elapsed "$t0")"
gadget_stop

# A flash of 2 MiB through the real kernel: commands per phase and wall time.
image_for "emu:mt1959,revision=1.03" /tmp/bench-fw.bin
gadget_start "emu:mt1959,revision=1.02"
t0=$(uptime_s)
odflash --trace /tmp/bench-flash.trace flash "$DEV" /tmp/bench-fw.bin --execute --yes-i-understand-the-risk >/tmp/bench.out 2>&1 ||
    fail "bench flash: $(tail -c 200 /tmp/bench.out)"
wall=$(elapsed "$t0")
n=$(jq -s length /tmp/bench-flash.trace)
phases=$(jq -r '.cdb[0:4]' /tmp/bench-flash.trace | uniq -c | awk '{printf "%s%sx%s", sep, $1, $2; sep="+"}')
echo "ODFLASH-BENCH odflash-flash commands=$n chunk=65536 wall_s=$wall"
echo "ODFLASH-MEASURE flash-phases $phases"
pass "benchmark done"
