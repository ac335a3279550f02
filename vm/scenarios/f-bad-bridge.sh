# f. A drive behind a known-bad USB bridge (INIC-3609, 13fd:3609): the flash plan warns before
# anything is written (dry run, so nothing is).
gadget_start "emu:mt1959,revision=1.02" 13fd:3609 "Initio Corporation" "INIC-3609"
image_for "emu:mt1959,revision=1.03" /tmp/fw-1.03.bin
odf --trace /tmp/flash.trace flash "$DEV" /tmp/fw-1.03.bin
cat /tmp/odf.out /tmp/odf.err >/tmp/flash.all
grep -qiE '3609|inic' /tmp/flash.all || fail "no bridge warning naming 13fd:3609/INIC-3609 in the flash plan"
grep -qiE 'warn|bridge' /tmp/flash.all || fail "the bridge is named but not as a warning"
writes=$(trace_count /tmp/flash.trace 3b 2>/dev/null || echo 0)
[ "${writes:-0}" -eq 0 ] || fail "the dry run sent $writes WRITE BUFFERs"
pass "flash plan warns about the 13fd:3609 bridge; dry run sent no WRITE BUFFER"
