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
# doctor, through the same kernel: the sg module and the drive found, the bridge failed by name,
# and none of odflash's commands sent to the drive (udev's cdrom_id may send its own INQUIRY, so
# the count is of the commands only odflash sends).
before=$(gadget_count 3c $CHANGING_OPCODES)
odf doctor
[ "$ODF_RC" -eq 0 ] || fail "doctor exited $ODF_RC (it exits 0 whatever it finds)"
grep -qE '^ok +sg-module:' /tmp/odf.out || fail "doctor does not find the sg module loaded"
grep -qE "^fail +bus ${DEV#/dev/}: .*13fd:3609" /tmp/odf.out ||
    fail "doctor does not fail the bus check of ${DEV#/dev/} naming the 13fd:3609 bridge"
grep -qE '^worst: fail$' /tmp/odf.out || fail "doctor's worst finding is not fail"
[ "$(gadget_count 3c $CHANGING_OPCODES)" -eq "$before" ] || fail "doctor sent commands to the drive"
pass "flash plan warns about the 13fd:3609 bridge; dry run sent no WRITE BUFFER; doctor fails the bus check naming it"
