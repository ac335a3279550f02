# i. Power loss during the burn (the emulator's fault plan): the drive drops off the bus mid-burn
# and comes back, by itself, in its boot loader. odflash must report the interrupted write with
# its exit code and the next command, never success; the drive that comes back must read as
# being in recovery.
cat >/tmp/faults.json <<'JSON'
{ "faults": [ { "trigger": { "phase": "burn" }, "action": { "kind": "power-loss" } } ] }
JSON
image_for "emu:mt1959,revision=1.03" /tmp/fw-1.03.bin
gadget_start "emu:mt1959,revision=1.02,faults=/tmp/faults.json"
odf --trace /tmp/flash.trace flash "$DEV" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk
grep -q 'emulated power loss' /tmp/gadget.log || fail "the fault plan's power loss never fired"
[ "$ODF_RC" -ne 0 ] || fail "odflash flash reported success through a power loss"
[ "$ODF_RC" -eq 104 ] || fail "flash exit code $ODF_RC after a power loss mid-burn (expected 104)"
grep -qi 'rescue' /tmp/odf.err || fail "no next command (rescue) in: $(tail -c 240 /tmp/odf.err)"
# The drive is back by itself (the gadget rebinds after 1 s).
wait_for 20 sg_usb || fail "the drive did not come back after the power loss"
SG=$(sg_usb)
DEV=/dev/$SG
udevadm settle --timeout=10
odf info "$DEV" --json
odf_json "odflash info --json after the power loss"
json_has /tmp/odf.out boot || json_has /tmp/odf.out recovery || fail "info does not report the boot/recovery state"
pass "power loss mid-burn -> exit 104 with next step; drive back in its boot loader and identified as such"
