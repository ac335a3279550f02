# guest: system
# m. Who may do what, through the real kernel's sg permissions and command filter: a member of
# group cdrom (alice) and a user outside it (bob) run every command on the gadget drive, through
# /dev/sgN, /dev/srN and its /dev/disk/by-id link. alice identifies, dumps and backs up (the node
# opened O_RDONLY, so the kernel filters every command), is refused every write with "needs
# root" (exit 15) before anything is sent; bob is told to use sudo or join group cdrom (exit 15)
# and nothing at all reaches the drive. The gadget's own command log is the witness. Last, the
# reason odflash checks for root itself: an O_RDWR sg node passes alice's WRITE BUFFER unfiltered.
[ "$GUEST_KIND" = system ] || fail "needs the system guest (real users, udev's cdrom group)"
dpkg -i "$ODFLASH_DEB" >/tmp/dpkg-i.log 2>&1 || fail "dpkg -i failed: $(tail -c 300 /tmp/dpkg-i.log)"
useradd -m -G cdrom alice || fail "useradd alice"
useradd -m bob || fail "useradd bob"

# as USER ARGS...: run odflash as USER, with USER's own groups and no capabilities, like odf.
as() {
    who=$1
    shift
    echo "+ [$who] odflash $*"
    setpriv --reuid="$who" --regid="$who" --init-groups env HOME="/home/$who" \
        odflash "$@" </dev/null >/tmp/odf.out 2>/tmp/odf.err
    ODF_RC=$?
    sed 's/^/  out: /' /tmp/odf.out | head -n 12
    sed 's/^/  err: /' /tmp/odf.err | head -n 12
    echo "  exit: $ODF_RC"
}
# expect RC WHAT: the last run exited RC, else fail naming WHAT.
expect() {
    [ "$ODF_RC" -eq "$1" ] || fail "$2: exit $ODF_RC, expected $1: $(head -c 300 /tmp/odf.err)"
}
# says TEXT WHAT: the last run's stderr says TEXT, else fail naming WHAT.
says() {
    grep -qF "$1" /tmp/odf.err || fail "$2: stderr does not say '$1': $(head -c 300 /tmp/odf.err)"
}
# What reached the drive, by opcode. Not TEST UNIT READY and REQUEST SENSE: sr's media polling
# sends them every few seconds (with GET EVENT STATUS NOTIFICATION), whoever else is running.
changing() { gadget_count $CHANGING_OPCODES; }
anything() { gadget_count 12 46 3c $CHANGING_OPCODES; }

gadget_start "emu:mt1959,revision=1.02"
image_for "emu:mt1959,revision=1.03" /tmp/fw-1.03.bin
chmod 0644 /tmp/fw-1.03.bin
[ -n "$SR" ] || fail "sr_mod did not bind the gadget"
BYID=
for link in /dev/disk/by-id/*; do
    [ "$(readlink -f "$link")" = "/dev/$SR" ] && BYID=$link && break
done
[ -n "$BYID" ] || fail "no /dev/disk/by-id link to /dev/$SR"
# The nodes as udev made them (systemd's 50-udev-default.rules: optical sg and sr nodes go to
# group cdrom, mode 0660).
for n in "$DEV" "/dev/$SR"; do
    [ "$(stat -c '%U:%G %a' "$n")" = "root:cdrom 660" ] ||
        fail "$n is $(stat -c '%U:%G %a' "$n"), not root:cdrom 660"
done
NODES="$DEV /dev/$SR $BYID"

# ---- root: the backup in the default place, private all the way down.
odf backup "$DEV"
[ "$ODF_RC" -eq 0 ] || fail "root: backup exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
bundle=$(find /var/lib/odflash/backups -name '*.odbk' | head -1)
[ -n "$bundle" ] || fail "root: no bundle under /var/lib/odflash/backups"
[ "$(stat -c '%U %a' "$bundle")" = "root 600" ] || fail "root: $bundle is $(stat -c '%U %a' "$bundle")"
d=$(dirname "$bundle")
while [ "$d" != /var/lib/odflash ]; do
    [ "$(stat -c '%U %a' "$d")" = "root 700" ] || fail "root: $d is $(stat -c '%U %a' "$d"), not root 700"
    d=$(dirname "$d")
done

# ---- alice, in group cdrom: identification and reads work, every write is refused first.
before=$(changing)
as alice scan --json
expect 0 "alice: scan"
json_has /tmp/odf.out mt19xx || fail "alice: scan does not identify the drive (mt19xx)"
for n in $NODES; do
    as alice info "$n" --json
    expect 0 "alice: info $n"
    json_has /tmp/odf.out mt19xx || fail "alice: info $n does not identify the drive"
done
as alice dump "$BYID" -o /home/alice/fw.bin
expect 0 "alice: dump"
[ "$(stat -c %s /home/alice/fw.bin)" -eq 2097152 ] || fail "alice: the dump is not 2 MiB"
[ "$(stat -c '%U %a' /home/alice/fw.bin)" = "alice 600" ] ||
    fail "alice: the dump is $(stat -c '%U %a' /home/alice/fw.bin), not alice 600"
as alice backup "/dev/$SR" --backup-dir /home/alice/backups
expect 0 "alice: backup"
bundle=$(find /home/alice/backups -name '*.odbk' | head -1)
[ -n "$bundle" ] || fail "alice: no bundle under /home/alice/backups"
[ "$(stat -c '%U %a' "$bundle")" = "alice 600" ] ||
    fail "alice: the bundle is $(stat -c '%U %a' "$bundle"), not alice 600"
[ "$(stat -c '%U %a' "$(dirname "$bundle")")" = "alice 700" ] ||
    fail "alice: the bundle's directory is $(stat -c '%U %a' "$(dirname "$bundle")"), not alice 700"
as alice eeprom dump "$DEV" -o /home/alice/unit.odbk
expect 0 "alice: eeprom dump"
as alice flash "$DEV" /tmp/fw-1.03.bin
expect 0 "alice: flash dry run"
as alice hotplug "$SG" --run-dir /home/alice/run
expect 0 "alice: hotplug"
[ "$(jq -r .verdict "/home/alice/run/$SG.json")" = healthy ] || fail "alice: hotplug verdict is not healthy"
for n in $NODES; do
    as alice flash "$n" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk
    expect 15 "alice: flash --execute $n"
    says "needs root" "alice: flash --execute $n"
done
as alice eeprom restore "$DEV" /home/alice/unit.odbk --execute --yes-i-understand-the-risk
expect 15 "alice: eeprom restore --execute"
says "needs root" "alice: eeprom restore --execute"
as alice rescue "$DEV" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk
expect 15 "alice: rescue --execute"
says "needs root" "alice: rescue --execute"
[ "$(changing)" -eq "$before" ] ||
    fail "alice's runs sent $(($(changing) - before)) WRITE BUFFER or vendor commands to the drive"
[ "$(gadget_count 3c)" -gt 0 ] || fail "the gadget log shows no READ BUFFER at all (is it logging?)"

# The kernel filter on alice's O_RDONLY opens: a WRITE BUFFER (mode 2, data buffer, no data)
# fails with EPERM and never reaches the drive.
if setpriv --reuid=alice --regid=alice --init-groups sg_raw -R "$DEV" 3b 02 00 00 00 00 00 00 00 00 \
    >/tmp/sg_raw.out 2>&1; then
    fail "alice's WRITE BUFFER through an O_RDONLY sg node was not refused"
fi
grep -qi "not permitted" /tmp/sg_raw.out || fail "the refusal is not EPERM: $(head -c 200 /tmp/sg_raw.out)"
[ "$(changing)" -eq "$before" ] || fail "the refused WRITE BUFFER reached the drive"

# ---- bob, in no group that owns the nodes: told what to do, nothing sent.
before_any=$(anything)
as bob scan
expect 0 "bob: scan (it lists what it cannot open)"
grep -qF "run with sudo (or join group cdrom" /tmp/odf.out || fail "bob: scan does not say to use sudo or join cdrom"
for n in $NODES; do
    as bob info "$n"
    expect 15 "bob: info $n"
    says "run with sudo (or join group cdrom" "bob: info $n"
done
for args in "dump $DEV -o /home/bob/fw.bin" "backup $DEV --backup-dir /home/bob/backups" \
    "eeprom dump $DEV -o /home/bob/unit.odbk" "flash $DEV /tmp/fw-1.03.bin" "hotplug $SG --run-dir /home/bob/run"; do
    # shellcheck disable=SC2086
    as bob $args
    expect 15 "bob: ${args%% *}"
    says "run with sudo (or join group cdrom" "bob: $args"
done
as bob flash "$DEV" /tmp/fw-1.03.bin --execute --yes-i-understand-the-risk
expect 15 "bob: flash --execute"
says "needs root" "bob: flash --execute"
[ -e /home/bob/fw.bin ] && fail "bob: a dump file was written"
[ "$(anything)" -eq "$before_any" ] || fail "bob's runs sent $(($(anything) - before_any)) commands to the drive"

# ---- Why odflash checks for root itself: opened O_RDWR, the sg node is not filtered at all, so
# the same WRITE BUFFER from alice reaches the drive (mode 2 with no data changes nothing).
setpriv --reuid=alice --regid=alice --init-groups sg_raw "$DEV" 3b 02 00 00 00 00 00 00 00 00 \
    >/tmp/sg_raw.out 2>&1
[ "$(changing)" -eq $((before + 1)) ] ||
    fail "alice's O_RDWR WRITE BUFFER did not reach the drive: the kernel filters O_RDWR sg nodes here"
gadget_stop
dpkg -P odflash >/tmp/dpkg-p.log 2>&1 || fail "dpkg -P failed"
pass "alice (cdrom): scan, info on sg/sr/by-id, dump, backup (600 in 700), eeprom dump, dry run," \
    "hotplug ok; flash/eeprom restore/rescue --execute refused 'needs root' (15), 0 writes;" \
    "O_RDONLY WRITE BUFFER EPERM; bob: 15 'sudo or cdrom', 0 commands; O_RDWR passes unfiltered"
