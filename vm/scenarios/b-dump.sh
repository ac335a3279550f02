# b. A full firmware dump through usb-storage equals the emulator's flash byte for byte (apart
# from the documented quirk: the first page reads as a mirror of 0x10000), and the chunk size
# odflash chose fits what usb-storage allows.
gadget_start emu:mt1959
usb_limits "$SG"
limit=$(($(cat "/sys/block/$SR/queue/max_hw_sectors_kb") * 1024))
t0=$(uptime_s)
odf --trace /tmp/dump.trace dump "$DEV" -o /tmp/dump.bin
measure dump-2MiB-seconds "$(elapsed "$t0")"
[ "$ODF_RC" -eq 0 ] || fail "odflash dump exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
[ -f /tmp/dump.bin ] || fail "odflash dump wrote no /tmp/dump.bin"
gadget_save_flash
size=$(wc -c </tmp/dump.bin)
[ "$size" -eq 2097152 ] || fail "dump is $size bytes, expected 2 MiB"
# The first page (0x1000 bytes) reads as flash 0x10000.. (layout MIRROR_SOURCE/MIRROR_LEN).
head -c 4096 /tmp/dump.bin >/tmp/dump-page0.bin
dd if="$EMU_FLASH" bs=4096 skip=16 count=1 2>/dev/null >/tmp/flash-mirror.bin
cmp /tmp/dump-page0.bin /tmp/flash-mirror.bin || fail "first page is not the mirror of 0x10000"
tail -c +4097 /tmp/dump.bin >/tmp/dump-rest.bin
tail -c +4097 "$EMU_FLASH" >/tmp/flash-rest.bin
cmp /tmp/dump-rest.bin /tmp/flash-rest.bin || fail "dump differs from the emulator's flash after the first page"
[ -s /tmp/dump.trace ] || fail "odflash dump wrote no trace"
chunk=$(trace_max_len /tmp/dump.trace 3c)
reads=$(trace_count /tmp/dump.trace 3c)
measure dump-chunk-bytes "$chunk"
measure dump-read-commands "$reads"
measure dump-read-lengths "$(jq -r 'select(.cdb | startswith("3c")) | "\(.cdb[12:18]):\(.status)"' /tmp/dump.trace |
    sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')"
[ "$chunk" -gt 0 ] || fail "no READ BUFFER in the trace"
[ "$chunk" -le "$limit" ] || fail "chunk $chunk exceeds the usb-storage limit $limit"
bad=$(trace_opcodes /tmp/dump.trace | grep -E '^(3b|[c-f][0-9a-f])$')
[ -z "$bad" ] || fail "dump sent write/vendor opcodes: $bad"
pass "2 MiB dump = emulator flash (page 0 mirrored); $reads READ BUFFERs of up to $chunk bytes (usb-storage allows $limit)"
