#!/usr/bin/env bash
# Builds the test guest: a Debian kernel plus an initramfs with busybox, systemd-udevd, sg3_utils,
# the needed kernel modules, the binaries under test and the scenario scripts.
#
# Usage: vm/build-guest.sh BIN_DIR
#   BIN_DIR holds odflash, odflash-gadget and odflash-sgloop (a cargo target/{release,debug}).
# Output: $VM_OUT/vmlinuz and $VM_OUT/initrd.gz (the cached base archive + a fresh overlay).
#
# The kernel .deb is fetched once with `apt-get download` (resolved through the linux-image-amd64
# metapackage), unpacked with dpkg -x (never installed) and cached with the base archive under
# $VM_CACHE; only the small overlay (binaries, scripts, udev rule) is rebuilt on every run.

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

BIN_DIR=${1:?usage: build-guest.sh BIN_DIR}
need_host_tools

# Host programs copied into the guest (with their shared libraries).
SG3=(sg_inq sg_raw sg_read_buffer sg_write_buffer sg_turs sg_map)
# jq lets the scenario scripts assert on odflash's --json output and traces; tcpdump writes the
# pcap capture scenario k-capture imports.
TOOLS=(jq tcpdump)
BASE_VERSION=4   # bump when the base archive's contents change

start=$(date +%s.%N)
mkdir -p "$VM_CACHE" "$VM_OUT"

# ---- kernel package (cached) ----
resolve_kernel
kver=$KVER
cp "$KROOT/boot/vmlinuz-$kver" "$VM_OUT/vmlinuz"

# ---- base archive (cached): busybox, modules, udev, sg3_utils, passwd/group ----
base=$VM_CACHE/base-$kver-v$BASE_VERSION.cpio.gz
if [[ ! -f $base ]]; then
    log "building base archive for $kver"
    stage=$(mktemp -d "$VM_CACHE/stage.XXXXXX")
    trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,run,tmp,mnt,root,usr/bin,usr/sbin,lib64}
    busybox_root "$stage"
    mods=$(copy_modules "$stage" "${SCENARIO_MODULES[@]}")
    log "modules: $mods"

    # systemd-udevd, udevadm, helpers, rules, hwdb.
    copy_with_libs "$stage" /lib/systemd/systemd-udevd "$(command -v udevadm)" \
        /lib/udev/cdrom_id /lib/udev/scsi_id
    mkdir -p "$stage/lib/udev" "$stage/etc/udev/rules.d"
    cp -r /lib/udev/rules.d "$stage/lib/udev/"
    cp /lib/udev/hwdb.bin "$stage/lib/udev/"
    # sg3_utils: the peer client.
    sg3=()
    for p in "${SG3[@]}" "${TOOLS[@]}"; do sg3+=("$(command -v "$p")"); done
    copy_with_libs "$stage" "${sg3[@]}"

    # Users and groups the udev rules name; cdrom is the one odflash cares about.
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$stage/etc/passwd"
    gid=100
    {
        echo "root:x:0:"
        for g in cdrom disk tape dialout kmem tty audio video input render sgx kvm lp floppy uucp; do
            echo "$g:x:$((gid++)):"
        done
        echo "nogroup:x:65534:"
    } >"$stage/etc/group"
    (cd "$stage" && find . -path ./.unpacked -prune -o -print | cpio -o -H newc --quiet | gzip -6) >"$base.tmp"
    mv "$base.tmp" "$base"
    rm -rf "$stage"
    trap - EXIT
fi

# ---- overlay (every run): binaries under test, init, scenario scripts, our udev rule ----
ov=$(mktemp -d "$VM_OUT/overlay.XXXXXX")
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/usr/bin" "$ov/vm" "$ov/etc/udev/rules.d"
for b in odflash odflash-gadget odflash-sgloop; do
    [[ -x $BIN_DIR/$b ]] || die "missing binary $BIN_DIR/$b (build it first)"
    copy_with_libs "$ov" "$BIN_DIR/$b=/usr/bin/$b"
done
cp "$VM_DIR/guest/init" "$ov/init"
chmod +x "$ov/init"
cp "$VM_DIR/guest/lib.sh" "$ov/vm/lib.sh"
cp -r "$VM_DIR/scenarios" "$ov/vm/"
if [[ -f $REPO_DIR/udev-rules/60-odflash.rules ]]; then
    cp "$REPO_DIR/udev-rules/60-odflash.rules" "$ov/etc/udev/rules.d/"
fi
# The hotplug unit: no systemd in the guest, so scenario d runs its ExecStart= line itself.
if [[ -f $REPO_DIR/systemd/odflash-hotplug@.service ]]; then
    cp "$REPO_DIR/systemd/odflash-hotplug@.service" "$ov/vm/"
fi
echo "$kver" >"$ov/vm/kernel-version"
(cd "$ov" && find . -print | cpio -o -H newc --quiet | gzip -1) >"$VM_OUT/overlay.cpio.gz"
cat "$base" "$VM_OUT/overlay.cpio.gz" >"$VM_OUT/initrd.gz.tmp"
mv "$VM_OUT/initrd.gz.tmp" "$VM_OUT/initrd.gz"
end=$(date +%s.%N)
log "guest ready: $VM_OUT/vmlinuz + initrd.gz ($(du -h "$VM_OUT/initrd.gz" | cut -f1)), kernel $kver"
awk -v s="$start" -v e="$end" 'BEGIN { printf "ODFLASH-TIMING guest-build %.2f s\n", e - s }' >&2
