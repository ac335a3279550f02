# j. The TSST "FF download" through the real kernel: the SE-506CB (MT1939 class) is backed up
# with READ BUFFER, downloaded with 34 vendor FF 00 01 data-out commands whose last completes
# with a residual equal to its length (usb-storage reports it in the CSW; odflash must take it as
# success, docs/protocol.md §4.6), rebooted and verified; then a TS-H353C gets exactly 5
# commands and, having no public read, is reported "not verified" (exit 105).
image_for "emu:se-506cb,revision=TS02" /tmp/se-ts02.bin
gadget_start "emu:se-506cb"
odf --trace /tmp/se.trace flash "$DEV" /tmp/se-ts02.bin --execute --yes-i-understand-the-risk
[ "$ODF_RC" -eq 0 ] || fail "SE-506CB flash exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
downloads=$(trace_count /tmp/se.trace ff)
[ "$downloads" -eq 34 ] || fail "$downloads FF commands to the SE-506CB (expected 34)"
[ "$(trace_count /tmp/se.trace 3b)" -eq 0 ] || fail "WRITE BUFFER reached a TSST drive"
last_resid=$(jq -s '[.[] | select(.cdb | startswith("ff0001"))] | last | .requested - .transferred' /tmp/se.trace)
[ "$last_resid" -eq 2048 ] || fail "the last download's residual was $last_resid, not its 2048-byte length"
gadget_save_flash
cmp /tmp/se-ts02.bin "$EMU_FLASH" 65536 65536 || fail "the SE-506CB's flash above the boot region is not the image"
measure tsst-se506cb-commands "$(jq -s length /tmp/se.trace)"
gadget_stop

image_for "emu:ts-h353c,revision=ID02" /tmp/h353c.bin
gadget_start "emu:ts-h353c"
odf --trace /tmp/dvd.trace flash "$DEV" /tmp/h353c.bin --execute --yes-i-understand-the-risk
[ "$ODF_RC" -eq 100 ] || fail "a TS-H353C flash without --without-backup exited $ODF_RC (expected 100)"
[ "$(trace_count /tmp/dvd.trace ff)" -eq 0 ] || fail "a refused flash sent FF commands"
odf --trace /tmp/dvd.trace flash "$DEV" /tmp/h353c.bin --execute --yes-i-understand-the-risk --without-backup
[ "$ODF_RC" -eq 105 ] || fail "TS-H353C flash exited $ODF_RC (expected 105, not verified): $(head -c 300 /tmp/odf.err)"
downloads=$(trace_count /tmp/dvd.trace ff)
[ "$downloads" -eq 5 ] || fail "$downloads FF commands to the TS-H353C (expected 5)"
gadget_save_flash
cmp /tmp/h353c.bin "$EMU_FLASH" || fail "the TS-H353C's flash is not the image"
pass "SE-506CB: backup, 34 FF downloads (last residual 2048 taken as success), verified; TS-H353C: refused without --without-backup, then 5 FF downloads, exit 105"
