# d. Plug-in of a drive in recovery state (MediaTek boot-loader USB identity 0e8d:1956): our udev
# rule fires, udevadm shows the ODFLASH_* properties and SYSTEMD_WANTS, and the hotplug helper
# (run as the unit would run it) writes its JSON while sending only read-only opcodes.
[ -f /etc/udev/rules.d/60-odflash.rules ] || fail "udev-rules/60-odflash.rules not in the guest (pending on main)"
gadget_start "emu:mt1959,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
udevadm info -q property -n "$DEV" >/tmp/udev.txt
cat /tmp/udev.txt | grep -E '^(ODFLASH_|SYSTEMD_WANTS|ID_BUS|ID_VENDOR_ID|ID_MODEL_ID)'
grep -q '^ODFLASH_' /tmp/udev.txt || fail "no ODFLASH_* properties on $DEV"
grep -q "^SYSTEMD_WANTS=.*odflash-hotplug@$SG" /tmp/udev.txt ||
    fail "SYSTEMD_WANTS does not start odflash-hotplug@$SG"
# The unit's own command line (systemd/odflash-hotplug@.service, ExecStart= with %i = the sg
# node), with --trace added after the program.
unit=/vm/odflash-hotplug@.service
[ -f "$unit" ] || fail "systemd/odflash-hotplug@.service not in the guest"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$SG/g; s/%I/$SG/g")
[ -n "$exec_start" ] || fail "no ExecStart= in the hotplug unit"
set -- $exec_start
[ "$1" = /usr/bin/odflash ] || fail "the unit runs $1, not /usr/bin/odflash"
shift
rm -rf /run/odflash
odf --trace /tmp/hotplug.trace "$@"
[ "$ODF_RC" -eq 0 ] || fail "odflash $* exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
[ -f "/run/odflash/$SG.json" ] || fail "no /run/odflash/$SG.json"
jq -e . "/run/odflash/$SG.json" >/dev/null || fail "/run/odflash/$SG.json is not JSON"
json_has "/run/odflash/$SG.json" boot || json_has "/run/odflash/$SG.json" recovery ||
    fail "hotplug JSON does not report the recovery/boot state"
[ -s /tmp/hotplug.trace ] || fail "odflash hotplug wrote no trace"
bad=$(trace_not_read_only /tmp/hotplug.trace)
[ -z "$bad" ] || fail "hotplug sent non-read-only opcodes: $bad"
pass "rule fired ($(grep -c '^ODFLASH_' /tmp/udev.txt) ODFLASH_* props, SYSTEMD_WANTS); hotplug JSON written; opcodes $(trace_opcodes /tmp/hotplug.trace | paste -sd' ' -)"
