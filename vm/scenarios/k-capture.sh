# k. odflash's traffic to the gadget, captured on the bus with usbmon (its text interface, and
# tcpdump writing pcap on usbmonN) and imported with `trace import`, equals odflash's own --trace
# of the same run, command for command: the same CDBs, directions, lengths, statuses and sense;
# from the pcap also the same payloads. An `info` capture replays through `replay:`; a flash
# capture decodes in `trace show` into the MT19xx steps (PREPARE, 128 chunks, COMMIT).
gadget_start "emu:mt1959,revision=1.02"
# Only odflash may talk during the captures: with sr bound, the drive's reboot after the burn
# (a UNIT ATTENTION) makes the kernel's sr driver and udev's cdrom_id query it too (GET EVENT
# STATUS, INQUIRY, GET CONFIGURATION), which a capture records and odflash's trace does not.
scsi_id=$(basename "$(readlink -f "/sys/class/scsi_generic/$SG/device")")
[ -n "$SR" ] && { echo "$scsi_id" >/sys/bus/scsi/drivers/sr/unbind || fail "unbind sr from $scsi_id"; }
udevadm settle --timeout=10
modprobe usbmon || fail "modprobe usbmon"
grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs none /sys/kernel/debug ||
    fail "mount debugfs"
d=$(readlink -f "/sys/class/scsi_generic/$SG/device")
while [ "$d" != / ] && [ ! -f "$d/busnum" ]; do d=$(dirname "$d"); done
[ -f "$d/busnum" ] || fail "no USB device above $SG"
bus=$(cat "$d/busnum")
addr=$(cat "$d/devnum")
udevadm settle --timeout=10

# capture NAME: start recording the bus as /tmp/NAME.mon (text) and /tmp/NAME.pcap (tcpdump).
capture() {
    rm -f "/tmp/$1.mon" "/tmp/$1.pcap" /tmp/tcpdump.err
    cat "/sys/kernel/debug/usb/usbmon/${bus}u" >"/tmp/$1.mon" &
    cat_pid=$!
    # Immediate mode and no privilege drop: every packet reaches the file before the kill,
    # and the guest has no tcpdump user to drop to.
    tcpdump -i "usbmon$bus" -s 0 -U --immediate-mode -Z root -w "/tmp/$1.pcap" 2>/tmp/tcpdump.err &
    tcpdump_pid=$!
    wait_for 10 test -s /tmp/tcpdump.err || fail "tcpdump did not start"
    sleep 1
}
# capture_stop: end both recordings.
capture_stop() {
    sleep 2
    kill "$cat_pid" "$tcpdump_pid"
    wait "$cat_pid" "$tcpdump_pid" 2>/dev/null
    sed 's/^/  tcpdump: /' /tmp/tcpdump.err
}
# fields TRACE: what a capture carries of each command, one line per command.
fields() {
    jq -c '[.cdb, .direction, .requested, .transferred, .status, (.sense // "")]' "$1"
}
# same_as_own NAME OWN CONTAINERS...: each capture of NAME imports to OWN's commands.
same_as_own() {
    name=$1 own=$2
    shift 2
    fields "$own" >/tmp/own.fields
    for cap in "$@"; do
        odf trace import "/tmp/$name.$cap" -o "/tmp/$name-$cap.jsonl" --device "$bus:$addr"
        [ "$ODF_RC" -eq 0 ] || fail "trace import of $name.$cap exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
        fields "/tmp/$name-$cap.jsonl" >/tmp/imp.fields
        cmp -s /tmp/own.fields /tmp/imp.fields ||
            fail "$name.$cap imports unlike odflash's own trace: $(diff /tmp/own.fields /tmp/imp.fields | head -5)"
    done
    jq -c '.payload // ""' "$own" >/tmp/own.payloads
    jq -c '.payload // ""' "/tmp/$name-pcap.jsonl" >/tmp/imp.payloads
    cmp -s /tmp/own.payloads /tmp/imp.payloads || fail "$name.pcap's payloads differ from odflash's own"
}

capture info
odf --trace /tmp/info-own.jsonl --trace-payload info "$DEV"
[ "$ODF_RC" -eq 0 ] || fail "info exited $ODF_RC"
capture_stop
same_as_own info /tmp/info-own.jsonl mon pcap
odf info "replay:/tmp/info-pcap.jsonl"
[ "$ODF_RC" -eq 0 ] || fail "info on the imported capture exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
n_info=$(wc -l </tmp/info-own.jsonl)

image_for "emu:mt1959,revision=1.03" /tmp/fw-1.03.bin
capture flash
odf --trace /tmp/flash-own.jsonl --trace-payload flash "$DEV" /tmp/fw-1.03.bin --execute \
    --yes-i-understand-the-risk
[ "$ODF_RC" -eq 0 ] || fail "flash exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
capture_stop
same_as_own flash /tmp/flash-own.jsonl pcap
odf trace show /tmp/flash-pcap.jsonl
[ "$ODF_RC" -eq 0 ] || fail "trace show exited $ODF_RC"
for step in "mt19xx: PREPARE" "128 x WRITE BUFFER mode 6" "mt19xx: COMMIT" \
    "128 chunks, 2097152 bytes (128 x 16384)"; do
    grep -qF "$step" /tmp/odf.out || fail "trace show of the flash capture lacks '$step'"
done
n_flash=$(wc -l </tmp/flash-own.jsonl)
pass "usbmon text and tcpdump pcap imports equal odflash's own traces (info $n_info, flash $n_flash commands); info replays; the flash decodes to PREPARE, 128 chunks, COMMIT"
