# j. odflash's traffic to the gadget, captured with usbmon (the text interface, and tcpdump
# writing pcap on usbmonN) and imported with `trace import`, equals odflash's own --trace of the
# same run, command for command: the same CDBs, directions, lengths, statuses and sense; from
# the pcap also the same payloads. The imported pcap replays through `replay:`.
gadget_start emu:mt1959
# Keep the kernel's media polling off the bus during the capture: only odflash talks.
[ -n "$SR" ] && echo 0 >"/sys/block/$SR/events_poll_msecs" 2>/dev/null
modprobe usbmon || fail "modprobe usbmon"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug || fail "mount debugfs"
d=$(readlink -f "/sys/class/scsi_generic/$SG/device")
while [ "$d" != / ] && [ ! -f "$d/busnum" ]; do d=$(dirname "$d"); done
[ -f "$d/busnum" ] || fail "no USB device above $SG"
bus=$(cat "$d/busnum")
addr=$(cat "$d/devnum")
udevadm settle --timeout=10
cat "/sys/kernel/debug/usb/usbmon/${bus}u" >/tmp/cap.mon &
cat_pid=$!
tcpdump -i "usbmon$bus" -s 0 -U -w /tmp/cap.pcap 2>/tmp/tcpdump.err &
tcpdump_pid=$!
wait_for 10 test -s /tmp/tcpdump.err || fail "tcpdump did not start: $(cat /tmp/tcpdump.err)"
sleep 1
odf --trace /tmp/own.jsonl --trace-payload info "$DEV"
[ "$ODF_RC" -eq 0 ] || fail "info exited $ODF_RC"
sleep 1
kill "$cat_pid" "$tcpdump_pid"
wait "$cat_pid" "$tcpdump_pid" 2>/dev/null

# The fields a capture carries, one line per command.
fields() {
    jq -c '[.cdb, .direction, .requested, .transferred, .status, (.sense // "")]' "$1"
}
for cap in mon pcap; do
    odf trace import "/tmp/cap.$cap" -o "/tmp/imp-$cap.jsonl" --device "$bus:$addr"
    [ "$ODF_RC" -eq 0 ] || fail "trace import of the $cap capture exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
    fields /tmp/own.jsonl >/tmp/own.fields
    fields "/tmp/imp-$cap.jsonl" >"/tmp/imp-$cap.fields"
    cmp -s /tmp/own.fields "/tmp/imp-$cap.fields" ||
        fail "the $cap import differs from odflash's own trace: $(diff /tmp/own.fields "/tmp/imp-$cap.fields" | head -5)"
done
jq -c '.payload // ""' /tmp/own.jsonl >/tmp/own.payloads
jq -c '.payload // ""' /tmp/imp-pcap.jsonl >/tmp/imp.payloads
cmp -s /tmp/own.payloads /tmp/imp.payloads || fail "the pcap import's payloads differ from odflash's own"
odf info "replay:/tmp/imp-pcap.jsonl"
[ "$ODF_RC" -eq 0 ] || fail "info on the imported pcap replay exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
n=$(wc -l </tmp/own.jsonl)
pass "usbmon text and tcpdump pcap imports equal odflash's own trace ($n commands); the pcap replays"
