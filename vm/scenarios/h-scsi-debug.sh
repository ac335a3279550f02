# h. An independent emulated drive (the kernel's scsi_debug as an optical device): odflash must
# identify it as not MediaTek and send it no vendor or write command (checked from the trace).
modprobe scsi_debug ptype=5 || fail "modprobe scsi_debug ptype=5"
wait_for 10 sg_not_usb || fail "no sg node for scsi_debug"
SG=$(sg_not_usb)
DEV=/dev/$SG
udevadm settle --timeout=10
sg_inq "$DEV" | grep -q 'PDT=5' || fail "scsi_debug is not peripheral type 5"

# Commands that change a drive or talk vendor protocol: WRITE BUFFER and anything in the
# vendor-specific opcode range C0-FF.
forbidden() { grep -E '^(3b|[c-f][0-9a-f])$' "$1"; }

odf --trace /tmp/info.trace info "$DEV" --json
odf_json "odflash info --json"
if json_has /tmp/odf.out mt1959 || json_has /tmp/odf.out mt1939; then
    fail "odflash identified scsi_debug as a MediaTek drive"
fi
[ -s /tmp/info.trace ] || fail "odflash info wrote no trace"
trace_opcodes /tmp/info.trace >/tmp/info.ops
bad=$(forbidden /tmp/info.ops)
[ -z "$bad" ] || fail "odflash info sent opcodes $bad to a non-MediaTek drive"

# A flash attempt must be refused before any byte is written.
head -c 2097152 /dev/zero >/tmp/zero.img
odf --trace /tmp/flash.trace flash "$DEV" /tmp/zero.img --execute --yes-i-understand-the-risk
[ "$ODF_RC" -ne 0 ] || fail "odflash flash succeeded on scsi_debug"
if [ -s /tmp/flash.trace ]; then
    trace_opcodes /tmp/flash.trace >/tmp/flash.ops
    bad=$(forbidden /tmp/flash.ops)
    [ -z "$bad" ] || fail "odflash flash sent opcodes $bad to a non-MediaTek drive"
fi
pass "identified as not MediaTek; opcodes sent: $(paste -sd' ' /tmp/info.ops); flash refused (exit $ODF_RC)"
