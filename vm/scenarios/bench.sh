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
if [ "$rc" -eq 0 ]; then
    n=$(jq -s length /tmp/bench.trace)
    chunk=$(trace_max_len /tmp/bench.trace 3c)
    echo "ODFLASH-BENCH odflash-dump commands=$n chunk=$chunk wall_s=$wall"
else
    echo "ODFLASH-BENCH odflash-dump failed exit=$rc $(tail -c 200 /tmp/bench.out | tr '\n' ' ')"
    chunk=65536
fi
for c in "$chunk" 4096; do
    out=$(odflash-sgloop "$DEV" --size 0x200000 --chunk "$c" 2>&1) || fail "odflash-sgloop: $out"
    echo "ODFLASH-BENCH sgloop-$c $out"
done
pass "benchmark done"
