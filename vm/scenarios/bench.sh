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
pass "benchmark done"
