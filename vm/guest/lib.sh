# Guest-side library for the init and the scenario scripts (POSIX sh: busybox sh in the
# initramfs guest, dash in the system guest; sourced).
#
# Owns: guest setup (modules, configfs, udevd), the scenario runner and its result lines, the
# gadget life cycle (configfs + FunctionFS + odflash-gadget + UDC plug/unplug), device lookup and
# assertion helpers. Scenario scripts call these helpers and end with `pass` or `fail`.
#
# Result protocol (parsed by vm/run.sh):
#   ODFLASH-RESULT <scenario> PASS|FAIL <detail>
#   ODFLASH-TIMING <what> <seconds> s
#   ODFLASH-MEASURE <key> <value>
#   ODFLASH-DONE

GADGET=/sys/kernel/config/usb_gadget/odf
FFS=/dev/ffs-odf
EMU_FLASH=/tmp/emu-flash.bin
# A benign USB-SATA bridge (JMicron JM20339) unless a scenario asks for another identity.
DEFAULT_VIDPID=152d:2339
# Which guest runs us: "system" (Debian with systemd as PID 1, vm/build-system-guest.sh) or
# "initramfs" (busybox init, vm/build-guest.sh). Scenarios pick theirs with a "# guest:" line.
if [ -d /run/systemd/system ]; then GUEST_KIND=system; else GUEST_KIND=initramfs; fi
# The package `make deb` built, in the system guest (not installed: scenarios install it).
ODFLASH_DEB=/vm/odflash.deb

uptime_s() { cut -d' ' -f1 /proc/uptime; }
# elapsed T0: seconds since T0 (an uptime_s value), two decimals.
elapsed() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }'; }
cmdline_value() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -1; }
measure() { echo "ODFLASH-MEASURE $1 $2"; }

# ---------------------------------------------------------------- scenario results

pass() { echo "PASS $*" >"$RESULT_FILE"; exit 0; }
fail() {
    echo "FAIL $*" >"$RESULT_FILE"
    echo "--- failure in $SCENARIO: $*"
    [ -f /tmp/gadget.log ] && { echo "--- gadget log (tail)"; tail -n 20 /tmp/gadget.log; }
    exit 1
}
# check DESCRIPTION CMD...: run CMD; fail with DESCRIPTION when it fails.
check() {
    what=$1
    shift
    "$@" || fail "$what (command: $*)"
}
# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; non-zero once SECONDS of
# uptime have passed (the budget is wall time: CMD itself may be slow under TCG).
wait_for() {
    deadline=$(awk -v n="$(uptime_s)" -v s="$1" 'BEGIN { printf "%d", (n + s) * 100 }')
    shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(awk -v n="$(uptime_s)" 'BEGIN { printf "%d", n * 100 }')" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# odf ARGS...: run odflash, keep stdout in /tmp/odf.out, stderr in /tmp/odf.err, the exit code
# in $ODF_RC, and echo both streams to the console for the log.
odf() {
    echo "+ odflash $*"
    odf_t0=$(uptime_s)
    rm -f /tmp/odf.out.flat
    # No terminal on stdin: odflash must be driven by flags alone, as a script would drive it.
    odflash "$@" </dev/null >/tmp/odf.out 2>/tmp/odf.err
    ODF_RC=$?
    sed 's/^/  out: /' /tmp/odf.out | head -n 40
    sed 's/^/  err: /' /tmp/odf.err | head -n 40
    echo "  exit: $ODF_RC after $(elapsed "$odf_t0") s"
    return 0
}
# odf_json WHAT: /tmp/odf.out must be JSON from a successful run, else fail naming WHAT.
odf_json() {
    [ "$ODF_RC" -eq 0 ] || fail "$1 exited $ODF_RC: $(head -c 300 /tmp/odf.err)"
    jq -e . /tmp/odf.out >/dev/null 2>&1 || fail "$1 printed no JSON (CLI pending?)"
}
# json_has FILE STRING: some scalar or object key in the JSON document equals STRING
# (case-insensitive, surrounding blanks ignored). Keys count because serde writes enum variants
# with data as keys (`"bus": {"usb": {...}}`). Scenarios assert on values, not on paths, so they
# survive changes in the shape of the CLI's JSON.
# The flattened values are cached beside the file (jq starts slowly under TCG); odf() drops the
# cache of /tmp/odf.out when it rewrites it.
json_has() {
    if ! [ -f "$1.flat" ] || [ "$1" -nt "$1.flat" ]; then
        jq -r '.. | (scalars | tostring), (objects | keys[])' "$1" | sed 's/^ *//; s/ *$//' >"$1.flat"
    fi
    grep -qixF "$2" "$1.flat"
}
# json_has_usb_id FILE VID PID: the JSON names the USB VID:PID (as "vid:pid", as separate hex
# strings, or as decimal numbers).
json_has_usb_id() {
    json_has "$1" "$2:$3" && return 0
    { json_has "$1" "$2" || json_has "$1" "0x$2" || json_has "$1" "$((0x$2))"; } &&
        { json_has "$1" "$3" || json_has "$1" "0x$3" || json_has "$1" "$((0x$3))"; }
}
# trace_opcodes FILE: the distinct CDB opcodes (two hex digits) in an odflash --trace file.
trace_opcodes() {
    jq -r '(.cdb // .cdb_hex // "") | ascii_downcase | .[0:2]' "$1" | grep -v '^$' | sort -u || true
}
# trace_count FILE OPCODE: number of traced commands with this opcode.
trace_count() {
    jq -r '(.cdb // .cdb_hex // "") | ascii_downcase | .[0:2]' "$1" | grep -c "^$2\$" || true
}

# gadget_count OPCODE...: how many commands with one of these opcodes (two lowercase hex digits)
# the gadget has served since it started: the drive's own account, whoever sent them (its
# "#N cdb HEX moved ..." debug lines in /tmp/gadget.log).
gadget_count() {
    pattern=$(echo "$*" | sed 's/ /|/g')
    sed -n 's/.* cdb \([0-9a-f]*\) moved .*/\1/p' /tmp/gadget.log | grep -cE "^($pattern)" || true
}
# Opcodes that change a drive or are vendor-specific: WRITE BUFFER, and the vendor commands of
# the families odflash knows (docs/protocol.md §1.4): what an unprivileged caller must never get
# through.
CHANGING_OPCODES="3b df e7 f1 f3 ff"

# trace_max_len FILE OPCODE: the largest 24-bit length field (CDB bytes 6..8, READ/WRITE
# BUFFER) among traced commands with this opcode, in decimal.
trace_max_len() {
    max=0
    for h in $(jq -r --arg op "$2" 'select((.cdb // "") | ascii_downcase | startswith($op)) | .cdb[12:18]' "$1"); do
        v=$((0x$h))
        [ "$v" -gt "$max" ] && max=$v
    done
    echo "$max"
}
# trace_not_read_only FILE: prints the traced opcodes the hotplug helper must never send; it may
# send only TEST UNIT READY, REQUEST SENSE, INQUIRY, GET CONFIGURATION, READ BUFFER (DESIGN §3).
trace_not_read_only() {
    trace_opcodes "$1" | grep -vE '^(00|03|12|46|3c)$'
}
# image_for SPEC OUT: the signed image a fresh emulated drive of SPEC holds (e.g. a newer
# revision than the drive under test runs).
image_for() {
    odflash-gadget image "$1" -o "$2" || fail "odflash-gadget image $1"
}

# same_bundle_parts A B: two odflash bundles (tar) hold the same parts with the same bytes;
# the manifests may differ (they carry the time of writing).
same_bundle_parts() {
    rm -rf /tmp/bundle-a /tmp/bundle-b
    mkdir -p /tmp/bundle-a /tmp/bundle-b
    tar -xf "$1" -C /tmp/bundle-a && tar -xf "$2" -C /tmp/bundle-b || return 1
    parts=$(cd /tmp/bundle-a && ls | grep -v '^manifest.json$')
    [ -n "$parts" ] && [ "$parts" = "$(cd /tmp/bundle-b && ls | grep -v '^manifest.json$')" ] || return 1
    for p in $parts; do
        cmp "/tmp/bundle-a/$p" "/tmp/bundle-b/$p" || return 1
    done
}

# ---------------------------------------------------------------- devices

# peer_read DEV OFFSET LENGTH FILE: READ BUFFER(10) mode 6 through sg3_utils into FILE.
# sg_raw, not sg_read_buffer: Debian 12's sg_read_buffer (1.30 20191220, sg3-utils 1.46-3) sends
# an allocation length of 0 whatever --length says (`sg_read_buffer -vv -m 6 -l 256` shows
# `3c 06 00 00 00 00 00 00 00 00`), so it cannot read flash bytes.
peer_read() {
    o=$(($2))
    l=$(($3))
    cdb=$(printf '3c 06 00 %02x %02x %02x %02x %02x %02x 00' \
        $((o >> 16 & 255)) $((o >> 8 & 255)) $((o & 255)) \
        $((l >> 16 & 255)) $((l >> 8 & 255)) $((l & 255)))
    # shellcheck disable=SC2086
    sg_raw -n -r "$l" -o "$4" "$1" $cdb 2>/tmp/sg_raw.err
}

# sg_usb: the sg node (e.g. sg0) of the type-5 device on the USB bus, if any.
sg_usb() {
    for d in /sys/class/scsi_generic/sg*; do
        [ -e "$d/device/type" ] || continue
        [ "$(cat "$d/device/type")" = 5 ] || continue
        case $(readlink -f "$d/device") in */usb*) basename "$d"; return 0 ;; esac
    done
    return 1
}
# sg_not_usb: the sg node of a type-5 device that is not on USB (scsi_debug).
sg_not_usb() {
    for d in /sys/class/scsi_generic/sg*; do
        [ -e "$d/device/type" ] || continue
        [ "$(cat "$d/device/type")" = 5 ] || continue
        case $(readlink -f "$d/device") in */usb*) ;; *) basename "$d"; return 0 ;; esac
    done
    return 1
}
# sr_of SG: the sr block node (sr0) sharing SG's SCSI device, if sr_mod bound it.
sr_of() {
    ls "/sys/class/scsi_generic/$1/device/block" 2>/dev/null | head -1
}
# usb_limits SG: record the transfer limits usb-storage gives the device.
usb_limits() {
    dev=/sys/class/scsi_generic/$1/device
    [ -r "$dev/max_sectors" ] && measure usb-storage-max_sectors "$(cat "$dev/max_sectors")"
    sr=$(sr_of "$1")
    if [ -n "$sr" ]; then
        measure max_hw_sectors_kb "$(cat "/sys/block/$sr/queue/max_hw_sectors_kb")"
        measure max_sectors_kb "$(cat "/sys/block/$sr/queue/max_sectors_kb")"
    fi
}

# ---------------------------------------------------------------- the gadget

# gadget_start SPEC [VID:PID] [MANUFACTURER] [PRODUCT] : create the configfs gadget with that USB
# identity, mount FunctionFS, start odflash-gadget serving SPEC, plug it in and wait for its sg
# node. Sets SG (sg0), DEV (/dev/sg0) and SR (sr0, may be empty).
gadget_start() {
    spec=$1
    vidpid=${2:-$DEFAULT_VIDPID}
    manufacturer=${3:-JMicron}
    product=${4:-USB to ATA/ATAPI Bridge}
    t0=$(uptime_s)
    mkdir "$GADGET" || fail "configfs gadget exists already"
    echo "0x${vidpid%:*}" >"$GADGET/idVendor"
    echo "0x${vidpid#*:}" >"$GADGET/idProduct"
    echo 0x0200 >"$GADGET/bcdUSB"
    mkdir "$GADGET/strings/0x409"
    echo "$manufacturer" >"$GADGET/strings/0x409/manufacturer"
    echo "$product" >"$GADGET/strings/0x409/product"
    echo "ODF0000000001" >"$GADGET/strings/0x409/serialnumber"
    mkdir -p "$GADGET/configs/c.1/strings/0x409"
    echo "odflash test" >"$GADGET/configs/c.1/strings/0x409/configuration"
    mkdir "$GADGET/functions/ffs.odf"
    ln -s "$GADGET/functions/ffs.odf" "$GADGET/configs/c.1/"
    mkdir -p "$FFS"
    mount -t functionfs odf "$FFS" || fail "mount functionfs"
    RUST_LOG=${GADGET_LOG:-debug} odflash-gadget serve "$FFS" "$spec" --flash-out "$EMU_FLASH" \
        --udc-file "$GADGET/UDC" >>/tmp/gadget.log 2>&1 &
    echo $! >/tmp/gadget.pid
    wait_for 10 test -e "$FFS/ep1" || fail "odflash-gadget did not write its descriptors"
    gadget_plug
    measure "plug-$SCENARIO" "$(elapsed "$t0")"
}
# gadget_plug: bind the gadget to the UDC and wait for its sg node and for udev to settle.
gadget_plug() {
    ls /sys/class/udc | head -1 >"$GADGET/UDC" || fail "bind the gadget to the UDC"
    wait_for 15 sg_usb || fail "no sg node appeared for the gadget"
    SG=$(sg_usb)
    DEV=/dev/$SG
    udevadm settle --timeout=15
    wait_for 5 test -c "$DEV" || fail "$DEV missing"
    SR=$(sr_of "$SG")
    echo "gadget plugged: $DEV ${SR:+/dev/$SR}"
}
# gadget_unplug: detach from the UDC (the host sees a disconnect) and wait for the node to go.
gadget_unplug() {
    echo "" >"$GADGET/UDC"
    wait_for 10 sh -c '! ls /sys/class/scsi_generic/ 2>/dev/null | grep -qx '"$SG"
    udevadm settle --timeout=10
}
# gadget_save_flash: make the gadget write the emulator's current flash to $EMU_FLASH.
gadget_save_flash() {
    rm -f "$EMU_FLASH"
    kill -USR1 "$(cat /tmp/gadget.pid)"
    wait_for 10 test -f "$EMU_FLASH" || fail "gadget did not write its flash"
}
# gadget_stop: unplug, stop the gadget process and remove the configfs gadget.
gadget_stop() {
    [ -d "$GADGET" ] || return 0
    [ -n "$(cat "$GADGET/UDC" 2>/dev/null)" ] && echo "" >"$GADGET/UDC"
    if [ -f /tmp/gadget.pid ]; then
        kill "$(cat /tmp/gadget.pid)" 2>/dev/null
        wait_for 5 sh -c "! kill -0 $(cat /tmp/gadget.pid) 2>/dev/null"
        rm -f /tmp/gadget.pid
    fi
    umount "$FFS" 2>/dev/null
    rm -f "$GADGET/configs/c.1/ffs.odf"
    rmdir "$GADGET/configs/c.1/strings/0x409" "$GADGET/configs/c.1" \
        "$GADGET/functions/ffs.odf" "$GADGET/strings/0x409" "$GADGET" 2>/dev/null
    udevadm settle --timeout=10
}

# ---------------------------------------------------------------- init

vm_setup() {
    for m in sg sr_mod configfs libcomposite usb_f_fs dummy_hcd; do
        modprobe "$m" || return 1
    done
    # delay_use=0: usb-storage otherwise waits 1 s before scanning a new device.
    modprobe usb-storage delay_use=0 || return 1
    # systemd mounts configfs itself when the module is there at boot; it is not, so mount it.
    grep -q ' /sys/kernel/config configfs ' /proc/mounts ||
        mount -t configfs none /sys/kernel/config || return 1
    # Under systemd, systemd-udevd.service runs and has replayed the boot's events already.
    if [ "$GUEST_KIND" = initramfs ]; then
        /lib/systemd/systemd-udevd --daemon --resolve-names=never 2>/tmp/udevd.log || return 1
        udevadm trigger --action=add
    fi
    udevadm settle --timeout=30
    [ -n "$(ls /sys/class/udc)" ]
}

# run_scenario NAME: run /vm/scenarios/NAME.sh under a timeout, print its result and timing.
run_scenario() {
    name=$1
    file=/vm/scenarios/$name.sh
    RESULT_FILE=/tmp/result.$name
    rm -f "$RESULT_FILE" /tmp/gadget.log
    t0=$(uptime_s)
    if [ -f "$file" ]; then
        echo "=== scenario $name"
        SCENARIO=$name RESULT_FILE=$RESULT_FILE timeout "$SCENARIO_TIMEOUT" \
            sh -c ". /vm/lib.sh; . $file; fail 'scenario ended without a verdict'" 2>&1
        rc=$?
    else
        echo "FAIL no such scenario" >"$RESULT_FILE"
        rc=1
    fi
    if [ -s "$RESULT_FILE" ]; then
        verdict=$(cat "$RESULT_FILE")
    elif [ "$rc" -ge 124 ]; then
        verdict="FAIL timed out after ${SCENARIO_TIMEOUT}s"
    else
        verdict="FAIL exited $rc without a verdict"
    fi
    gadget_stop
    lsmod | grep -q '^scsi_debug' && rmmod scsi_debug
    echo "ODFLASH-TIMING scenario-$name $(elapsed "$t0") s"
    echo "ODFLASH-RESULT $name $verdict"
}

vm_main() {
    echo "ODFLASH-TIMING boot $(uptime_s) s"
    scenarios=$(cmdline_value odflash.scenarios)
    SCENARIO_TIMEOUT=$(cmdline_value odflash.timeout)
    SCENARIO_TIMEOUT=${SCENARIO_TIMEOUT:-180}
    t0=$(uptime_s)
    if ! vm_setup; then
        [ -f /tmp/udevd.log ] && cat /tmp/udevd.log
        echo "ODFLASH-RESULT setup FAIL guest setup failed (modules, configfs or udevd)"
        echo "ODFLASH-DONE"
        return
    fi
    echo "ODFLASH-TIMING setup $(elapsed "$t0") s"
    echo "kernel $(uname -r), $GUEST_KIND guest; scenarios: $scenarios"
    for s in $(echo "$scenarios" | tr ',' ' '); do
        run_scenario "$s"
    done
    echo "ODFLASH-DONE"
}
