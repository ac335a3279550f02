# a. scan and info through real SG_IO report the emulator's identity, bus usb and the gadget's
# VID:PID. The kernel path is proven with sg_inq and udev first, then odflash must agree.
VID=152d
PID=2339
gadget_start emu:mt1959 "$VID:$PID"
sg_inq "$DEV" >/tmp/sg_inq.txt 2>&1 || fail "sg_inq $DEV failed"
vendor=$(sed -n 's/^ *Vendor identification: *//p' /tmp/sg_inq.txt | sed 's/ *$//')
product=$(sed -n 's/^ *Product identification: *//p' /tmp/sg_inq.txt | sed 's/ *$//')
revision=$(sed -n 's/^ *Product revision level: *//p' /tmp/sg_inq.txt | sed 's/ *$//')
[ "$vendor" = HL-DT-ST ] || fail "sg_inq vendor '$vendor', expected the emulator's HL-DT-ST"
[ "$product" = "BD-RE BU40N" ] || fail "sg_inq product '$product', expected BD-RE BU40N"
# udev's persistent-storage rules describe the sr block node (sg nodes get no ID_* there).
[ -n "$SR" ] || fail "sr_mod did not bind the gadget"
udevadm info -q property -n "/dev/$SR" >/tmp/udev.txt
grep -qx "ID_VENDOR_ID=$VID" /tmp/udev.txt || fail "udev: no ID_VENDOR_ID=$VID on /dev/$SR"
grep -qx "ID_MODEL_ID=$PID" /tmp/udev.txt || fail "udev: no ID_MODEL_ID=$PID on /dev/$SR"
grep -qx "ID_BUS=usb" /tmp/udev.txt || fail "udev: /dev/$SR is not ID_BUS=usb"
grep -qx "ID_CDROM=1" /tmp/udev.txt || fail "udev: cdrom_id did not mark /dev/$SR ID_CDROM=1"

odf scan --json
odf_json "odflash scan --json"
json_has /tmp/odf.out "$DEV" || json_has /tmp/odf.out "$SG" || fail "scan does not list $DEV"
json_has /tmp/odf.out "$vendor" || fail "scan lacks vendor '$vendor'"
json_has /tmp/odf.out "$product" || fail "scan lacks product '$product'"
json_has /tmp/odf.out usb || fail "scan does not say bus usb"
json_has_usb_id /tmp/odf.out "$VID" "$PID" || fail "scan lacks the bridge's VID:PID $VID:$PID"
json_has /tmp/odf.out mt1959 || fail "scan does not name the chip family mt1959"

odf info "$DEV" --json
odf_json "odflash info --json"
for v in "$vendor" "$product" "$revision" usb; do
    json_has /tmp/odf.out "$v" || fail "info lacks '$v'"
done
json_has_usb_id /tmp/odf.out "$VID" "$PID" || fail "info lacks the bridge's VID:PID $VID:$PID"
pass "sg_inq + udev (ID_BUS=usb $VID:$PID) + odflash scan/info agree: $vendor $product $revision"
