# guest: system
# n. The hotplug unit as the package ships it, started by udev and systemd: a test drop-in adds
# one ExecStartPost= probe, which runs in the unit's own sandbox, and records what that sandbox
# lets a process do: its user and capabilities, opening the node read-write, a WRITE BUFFER on
# the read-only node, a socket outside AF_UNIX, the network interfaces, writing the file system.
# Then: the verdict file (mode, owner, no serial); unplugging removes it, and plugging the same
# drive in again classifies and announces it again.
[ "$GUEST_KIND" = system ] || fail "needs the system guest (systemd as PID 1)"
dpkg -i "$ODFLASH_DEB" >/tmp/dpkg-i.log 2>&1 || fail "dpkg -i failed: $(tail -c 300 /tmp/dpkg-i.log)"

# The probe: a shell script run as the unit's ExecStartPost=, so with every setting of the unit.
# Each line is KEY=VALUE; a probe that cannot run at all leaves no file, which fails below.
mkdir -p /usr/local/lib/odflash-test
cat >/usr/local/lib/odflash-test/sandbox-probe <<'EOF'
#!/bin/sh
dev=/dev/$1
echo "uid=$(id -u)"
echo "groups=$(id -Gn)"
sed -n 's/^\(Cap[A-Za-z]*\):[[:space:]]*/\1=/p' /proc/self/status
outcome() { if "$@" >/tmp/probe.out 2>&1; then echo passed; else echo "refused: $(grep -v '^ *$' /tmp/probe.out | tail -n 1)"; fi; }
echo "read-only-inquiry=$(outcome sg_raw -R -r 96 "$dev" 12 00 00 00 60 00)"
echo "read-write-open=$(outcome sg_raw -r 96 "$dev" 12 00 00 00 60 00)"
echo "write-buffer=$(outcome sg_raw -R "$dev" 3b 02 00 00 00 00 00 00 00 00)"
echo "inet-socket=$(outcome bash -c 'exec 3<>/dev/udp/127.0.0.1/9')"
echo "interfaces=$(sed -n 's/^ *\([^:]*\):.*/\1/p' /proc/self/net/dev | tr '\n' ' ')"
echo "write-usr=$(outcome touch /usr/odflash-probe)"
echo "write-etc=$(outcome touch /etc/odflash-probe)"
exit 0
EOF
chmod 0755 /usr/local/lib/odflash-test/sandbox-probe
mkdir -p /run/systemd/system/odflash-hotplug@.service.d
cat >/run/systemd/system/odflash-hotplug@.service.d/probe.conf <<'EOF'
[Service]
ExecStartPost=/bin/sh -c '/usr/local/lib/odflash-test/sandbox-probe %i >/run/odflash/%i.probe 2>&1'
EOF
systemctl daemon-reload

# announced: how many recovery lines the hotplug units (any node) logged in this boot.
announced() {
    journalctl -b -q -o cat -u 'odflash-hotplug@*' --no-pager 2>/dev/null | grep -c "is in recovery" || true
}

gadget_start "emu:mt1959,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
json=/run/odflash/$SG.json
probe=/run/odflash/$SG.probe
wait_for 60 test -s "$probe" || fail "the probe did not run in odflash-hotplug@$SG.service"
value() { sed -n "s/^$1=//p" "$probe"; }
wait_for 30 sh -c "systemctl show -P ActiveState odflash-hotplug@$SG.service | grep -qx active" ||
    fail "odflash-hotplug@$SG.service is not active after its check (RemainAfterExit=)"
[ "$(systemctl show -P Result "odflash-hotplug@$SG.service")" = success ] || fail "the unit did not succeed"
# The probe has finished once the unit is active (ExecStartPost= is part of its start).
sed 's/^/  probe: /' "$probe"
[ -s "$json" ] || fail "no $json"
[ "$(jq -r .verdict "$json")" = recovery ] || fail "the verdict is not recovery"

# Who the helper ran as: the package's system user (sysusers.d), in group cdrom, no capability
# in any set.
uid=$(value uid)
id -u odflash-hotplug >/dev/null 2>&1 || fail "dpkg -i did not create the user odflash-hotplug"
[ "$uid" = "$(id -u odflash-hotplug)" ] || fail "the unit ran as uid $uid, not odflash-hotplug"
[ "$uid" -ne 0 ] || fail "the unit ran as root"
value groups | tr ' ' '\n' | grep -qx cdrom || fail "the unit's user is not in group cdrom: $(value groups)"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(value "$cap")" = 0000000000000000 ] || fail "$cap is $(value "$cap"), not 0"
done
# What it can do with the drive: the read-only node answers INQUIRY, the read-write open is refused by
# the device cgroup, and WRITE BUFFER by the kernel's command filter (EPERM); none reached it.
[ "$(value read-only-inquiry)" = passed ] || fail "the sandbox cannot even send INQUIRY: $(value read-only-inquiry)"
case $(value read-write-open) in refused*) ;; *) fail "the sandbox opened $DEV read-write" ;; esac
case $(value write-buffer) in
    refused*"not permitted"*) ;;
    *) fail "WRITE BUFFER from the sandbox was not refused with EPERM: $(value write-buffer)" ;;
esac
[ "$(gadget_count $CHANGING_OPCODES)" -eq 0 ] || fail "a WRITE BUFFER or vendor command reached the drive"
# No network: no socket outside AF_UNIX, and only a loopback device in its namespace.
case $(value inet-socket) in
    refused*"not supported"*) ;;
    *) fail "the sandbox created an AF_INET socket: $(value inet-socket)" ;;
esac
[ "$(value interfaces)" = "lo " ] || fail "the sandbox sees network interfaces '$(value interfaces)'"
# No file system writes outside /run/odflash.
for w in write-usr write-etc; do
    case $(value $w) in *"Read-only file system"*) ;; *) fail "$w: $(value $w)" ;; esac
done

# The verdict file: world-readable, no serial (the emulator's is EMU1959K0001), owned by the
# unit's user in its directory (a real directory: no /run/private behind a link).
[ "$(stat -c '%u %a' "$json")" = "$uid 644" ] || fail "$json is $(stat -c '%u %a' "$json"), not $uid 644"
[ -d /run/odflash ] && ! [ -L /run/odflash ] || fail "/run/odflash is not a plain directory"
[ "$(stat -c '%u %a' /run/odflash)" = "$uid 755" ] ||
    fail "/run/odflash is $(stat -c '%u %a' /run/odflash), not $uid 755"
setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$json" >/dev/null ||
    fail "a user outside every group cannot read $json"
grep -q EMU1959K0001 "$json" && fail "$json holds the drive's serial"

# Unplug: the unit stops with the node and takes the verdict with it; the same drive plugged in
# again is classified and announced again.
lines=$(announced)
gadget_unplug
wait_for 20 sh -c "! test -e $json" || fail "$json is still there after the drive went"
rm -f "$probe"
gadget_plug
wait_for 60 test -s "/run/odflash/$SG.json" || fail "no verdict after plugging the same drive in again"
wait_for 20 sh -c '[ "$(journalctl -b -q -o cat -u "odflash-hotplug@*" --no-pager | grep -c "is in recovery")" -gt '"$lines"' ]' ||
    fail "the same drive plugged in again was not announced again"
gadget_stop
dpkg -P odflash >/tmp/dpkg-p.log 2>&1 || fail "dpkg -P failed"
pass "hotplug unit: user odflash-hotplug (uid $uid) in cdrom, all capability sets 0; O_RDWR open refused;" \
    "WRITE BUFFER EPERM, 0 reached the drive; AF_INET refused, only lo; / read-only;" \
    "verdict 0644 without serial; removed on unplug, announced again on re-plug"
