# c. Flash with read-back verify through the real kernel, then an EEPROM (unit data) dump ->
# restore -> dump round trip. The drive runs 1.02; the image is the emulator's signed 1.03.
gadget_start "emu:mt1959,revision=1.02"
image_for "emu:mt1959,revision=1.03" /tmp/fw-1.03.bin
odf --trace /tmp/flash.trace flash "$DEV" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk
[ "$ODF_RC" -eq 0 ] || fail "odflash flash exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
gadget_save_flash
cmp /tmp/fw-1.03.bin "$EMU_FLASH" || fail "the emulator's flash is not the image after flashing"
writes=$(trace_count /tmp/flash.trace 3b)
[ "$writes" -gt 0 ] || fail "no WRITE BUFFER in the flash trace"
reads=$(trace_count /tmp/flash.trace 3c)
[ "$reads" -gt 0 ] || fail "no read-back (READ BUFFER) after the flash"
measure flash-write-commands "$writes"

odf eeprom dump "$DEV" -o /tmp/ee1.bin
[ "$ODF_RC" -eq 0 ] || fail "eeprom dump exited $ODF_RC"
odf eeprom restore "$DEV" /tmp/ee1.bin --execute --yes-i-understand-the-risk
[ "$ODF_RC" -eq 0 ] || fail "eeprom restore exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
odf eeprom dump "$DEV" -o /tmp/ee2.bin
[ "$ODF_RC" -eq 0 ] || fail "second eeprom dump exited $ODF_RC"
same_bundle_parts /tmp/ee1.bin /tmp/ee2.bin || fail "EEPROM dump -> restore -> dump changed the data"
# The parts are the drive's flash windows (identity 0x1EC000+0x100, calibration 0x1F0000+0x10000).
gadget_save_flash
dd if="$EMU_FLASH" bs=256 skip=$((0x1ec000 / 256)) count=1 2>/dev/null >/tmp/flash-identity.bin
dd if="$EMU_FLASH" bs=65536 skip=31 count=1 2>/dev/null >/tmp/flash-calibration.bin
cmp /tmp/bundle-a/identity.bin /tmp/flash-identity.bin || fail "dumped identity differs from flash 0x1EC000"
cmp /tmp/bundle-a/calibration.bin /tmp/flash-calibration.bin || fail "dumped calibration differs from flash 0x1F0000"
pass "flash 1.02 -> 1.03 verified ($writes WRITE BUFFERs, emulator flash = image); EEPROM round trip identical"
