# e. Unplug in the middle of a flash (the UDC is detached while WRITE BUFFERs stream): odflash
# must fail with a clear message and the flash-failed exit code, never report success. The drive
# then comes back in recovery state (boot loader, its USB identity) and `odflash rescue`
# completes.
image_for "emu:mt1959,revision=1.03" /tmp/fw-1.03.bin
# The gadget pulls the plug itself (echo "" > UDC) when the chunk at 1 MiB arrives: a fault plan
# action turned into a real USB disconnect (--udc-file), so the unplug lands mid-stream every
# time instead of racing a poll of the gadget's log.
cat >/tmp/unplug.json <<'JSON'
{ "faults": [ { "trigger": { "phase": "stream", "offset": 1048576 }, "action": { "kind": "power-loss" } } ] }
JSON
gadget_start "emu:mt1959,revision=1.02,faults=/tmp/unplug.json"
odf --trace /tmp/flash.trace flash "$DEV" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk
rc=$ODF_RC
grep -q 'emulated power loss' /tmp/gadget.log || fail "the planned unplug never happened"
at=$(grep -c '"cdb":"3b06' /tmp/flash.trace || true)
measure unplug-after-chunks "$at"
[ "$at" -lt 128 ] || fail "the unplug came after the whole image was streamed ($at chunks)"
[ "$rc" -ne 0 ] || fail "odflash flash reported success after an unplug"
# 104 = write interrupted (drive state uncertain), 35 = transport error, 15 = cannot open.
case $rc in 104 | 35 | 15) ;; *) fail "flash exit code $rc after an unplug (expected 104, 35 or 15)" ;; esac
grep -qiE 'unplug|gone|disconnect|vanish|no such device|lost' /tmp/odf.err ||
    fail "exit $rc but no message naming the lost device: $(tail -c 240 /tmp/odf.err)"
! grep -q '"cdb":"3b07' /tmp/flash.trace || fail "a COMMIT followed the failed stream"
gadget_stop
# ASSUMPTION: an interrupted MT1959 download leaves the application intact until the burn
# (docs/protocol.md §7.5), so the recovery state is set explicitly: the drive that comes back is
# in its boot loader, with the MediaTek boot-loader USB identity.
gadget_start "emu:mt1959,revision=1.02,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
odf info "$DEV" --json
odf_json "odflash info --json on the drive in recovery"
json_has /tmp/odf.out boot || json_has /tmp/odf.out recovery || fail "info does not report the boot/recovery state"
odf rescue "$DEV" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk --restore-unit-data no
[ "$ODF_RC" -eq 0 ] || fail "odflash rescue exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
gadget_save_flash
cmp /tmp/fw-1.03.bin "$EMU_FLASH" || fail "after rescue the emulator's flash is not the image"
pass "unplug after $at/128 chunks -> exit $rc with a clear message; replugged in recovery; rescue flashed and verified"
