# guest: system
# l. The Debian package on a systemd machine: dpkg -i puts the rule, the unit and the man pages
# in place, and plugging in a drive in recovery (MediaTek boot-loader USB identity 0e8d:1956)
# makes udev and systemd start odflash-hotplug@sgN.service by themselves, which writes
# /run/odflash/sgN.json and logs its line. Then dpkg -r and dpkg -P leave no file behind and
# a new plug-in is no longer classified.
[ "$GUEST_KIND" = system ] || fail "needs the system guest (systemd as PID 1)"
[ -f "$ODFLASH_DEB" ] || fail "no package at $ODFLASH_DEB"
RULE=/usr/lib/udev/rules.d/60-odflash.rules
UNIT=/usr/lib/systemd/system/odflash-hotplug@.service

# snapshot FILE: every path under /usr /etc /var/lib with its type and mode, except dpkg's own
# database (which records the package's history on purpose) and the account databases with
# their backups: the package's system user stays after a purge, as Debian keeps system users
# (checked on its own below).
snapshot() {
    find /usr /etc /var/lib -path /var/lib/dpkg -prune -o -printf '%p %y %m\n' |
        grep -vE '^/etc/(passwd|group|shadow|gshadow)-? ' | sort >"$1"
}
# hotplug_lines: how many lines the hotplug units logged in this boot (journalctl complains
# on stderr while no unit matches the pattern).
hotplug_lines() {
    journalctl -b -q -o cat -u 'odflash-hotplug@*' --no-pager 2>/dev/null | grep -c . || true
}

snapshot /tmp/fs-before.txt
t0=$(uptime_s)
dpkg -i "$ODFLASH_DEB" >/tmp/dpkg-i.log 2>&1 || fail "dpkg -i failed: $(tail -c 300 /tmp/dpkg-i.log)"
measure dpkg-install-s "$(elapsed "$t0")"
dpkg -L odflash | sort >/tmp/deb-list.txt
# Paths the package owns (dpkg -L also names the shared directories such as /usr).
while read -r p; do [ -d "$p" ] || echo "$p"; done </tmp/deb-list.txt >/tmp/deb-files.txt
sed 's/^/  owned: /' /tmp/deb-files.txt
[ -f "$RULE" ] || fail "dpkg -i did not install $RULE"
[ -f "$UNIT" ] || fail "dpkg -i did not install $UNIT"
[ -x /usr/bin/odflash ] || fail "dpkg -i did not install /usr/bin/odflash"

# The unit as systemd reads it, for one instance.
systemd-analyze verify odflash-hotplug@sg0.service >/tmp/verify.txt 2>&1 ||
    fail "systemd-analyze verify failed: $(head -c 400 /tmp/verify.txt)"
sed 's/^/  verify: /' /tmp/verify.txt
verify_lines=$(grep -c . /tmp/verify.txt || true)

# The man page man-db renders, with the sections a command's page must have.
man -P cat odflash-flash >/tmp/man.txt 2>/tmp/man.err || fail "man odflash-flash: $(head -c 300 /tmp/man.err)"
for h in "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
    grep -qx "$h" /tmp/man.txt || fail "man odflash-flash has no $h section"
done

# Plug in a drive in recovery: udev tags it, systemd starts the unit, the JSON appears.
lines0=$(hotplug_lines)
gadget_start "emu:mt1959,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
t0=$(uptime_s)
json=/run/odflash/$SG.json
wait_for 60 test -s "$json" || fail "no $json: systemd did not run odflash-hotplug@$SG.service"
measure hotplug-json-s "$(elapsed "$t0")"
# The unit stays active after its check (RemainAfterExit=) until the drive goes.
wait_for 30 sh -c "systemctl show -P ActiveState odflash-hotplug@$SG.service | grep -qx active" ||
    fail "odflash-hotplug@$SG.service did not finish its check"
result=$(systemctl show -P Result "odflash-hotplug@$SG.service")
[ "$result" = success ] || fail "odflash-hotplug@$SG.service ended with result $result"
verdict=$(jq -r .verdict "$json")
[ "$verdict" = recovery ] || fail "the hotplug JSON says verdict $verdict, not recovery"
journalctl -b -q -o cat -u "odflash-hotplug@$SG.service" --no-pager >/tmp/hotplug-journal.txt
sed 's/^/  journal: /' /tmp/hotplug-journal.txt
[ "$(hotplug_lines)" -gt "$lines0" ] || fail "the hotplug unit logged nothing to the journal"
grep -q "is in recovery" /tmp/hotplug-journal.txt || fail "the journal has no recovery line"

odf doctor --json
jq -e . /tmp/odf.out >/dev/null || fail "odflash doctor --json printed no JSON"
for c in udev-rule hotplug-unit hotplug-user; do
    st=$(jq -r --arg c "$c" '.findings[] | select(.check == $c) | .status' /tmp/odf.out)
    [ "$st" = ok ] || fail "odflash doctor: $c is '$st', not ok"
done
gadget_stop
# The drive went: its unit stopped and took the verdict with it.
wait_for 20 sh -c "! test -e $json" || fail "$json is still there after the drive went"

# Removal: every file of the package goes, udev and systemd forget the rule and the unit.
dpkg -r odflash >/tmp/dpkg-r.log 2>&1 || fail "dpkg -r failed: $(tail -c 300 /tmp/dpkg-r.log)"
left=$(while read -r p; do [ -e "$p" ] && echo "$p"; done </tmp/deb-files.txt)
[ -z "$left" ] || fail "dpkg -r left $(echo "$left" | wc -l) files: $(echo "$left" | head -3 | paste -sd' ' -)"
lines1=$(hotplug_lines)
gadget_start "emu:mt1959,mode=boot" 0e8d:1956 "MediaTek Inc" MT1956
udevadm info -q property -n "$DEV" >/tmp/udev-after.txt
grep -q '^ODFLASH_' /tmp/udev-after.txt && fail "ODFLASH_* properties after dpkg -r (udev not reloaded)"
grep -q '^SYSTEMD_WANTS=.*odflash' /tmp/udev-after.txt && fail "SYSTEMD_WANTS names odflash after dpkg -r"
# The unit would have written its JSON within the time the first plug-in took, several times over.
sleep 5
[ -e "$json" ] && fail "odflash-hotplug@$SG.service ran after dpkg -r"
[ "$(hotplug_lines)" -eq "$lines1" ] || fail "the hotplug unit logged after dpkg -r"
load=$(systemctl show -P LoadState "odflash-hotplug@$SG.service")
[ "$load" = not-found ] || fail "systemd still knows odflash-hotplug@$SG.service ($load) after dpkg -r"
gadget_stop

dpkg -P odflash >/tmp/dpkg-p.log 2>&1 || fail "dpkg -P failed: $(tail -c 300 /tmp/dpkg-p.log)"
[ -e /run/odflash ] && fail "/run/odflash still there after dpkg -P"
dpkg-query -W odflash >/dev/null 2>&1 && fail "dpkg still lists odflash after dpkg -P"
id -u odflash-hotplug >/dev/null 2>&1 || fail "dpkg -P removed the system user odflash-hotplug"
snapshot /tmp/fs-after.txt
if ! cmp -s /tmp/fs-before.txt /tmp/fs-after.txt; then
    diff /tmp/fs-before.txt /tmp/fs-after.txt | head -20
    fail "/usr /etc /var/lib differ after dpkg -P from before dpkg -i"
fi
pass "installed $(wc -l </tmp/deb-files.txt) files; verify printed $verify_lines lines; man has 4 sections;" \
    "hotplug unit started by systemd, verdict recovery; doctor ok;" \
    "removal left 0 of $(wc -l </tmp/deb-files.txt) files, $(wc -l </tmp/fs-after.txt) paths unchanged after purge"
