#!/usr/bin/env bash
# Builds the system guest: Debian bookworm with systemd as PID 1, udev, dbus, dpkg and man-db,
# for scenarios that install odflash's package and let systemd start its units ("# guest:
# system" in the scenario file). Same kernel as vm/build-guest.sh.
#
# Usage: vm/build-system-guest.sh BIN_DIR [DEB]
#   BIN_DIR holds odflash-gadget and odflash-sgloop (a cargo target/{release,debug}); odflash
#   itself reaches the guest only inside the package.
#   DEB is the package to test (default: the newest target/debian/odflash_*.deb, `make deb`).
# Output: $VM_OUT/vmlinuz, $VM_OUT/system.ext4 (a link to the cached root file system, which
# qemu must open with snapshot=on so it stays pristine) and $VM_OUT/system-initrd.gz (busybox,
# the virtio and ext4 modules and this run's overlay).
#
# The root file system is built once with mmdebstrap from deb.debian.org (the host's Debian
# mirror) and cached under $VM_CACHE as an ext4 image (mkfs.ext4 -d, no mount) keyed by
# SYSTEM_VERSION and the kernel; only the overlay is rebuilt on every run. The boot initramfs
# mounts the image, copies the overlay onto it and switches to systemd.

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

BIN_DIR=${1:?usage: build-system-guest.sh BIN_DIR [DEB]}
DEB=${2:-$(ls -t "$REPO_DIR"/target/debian/odflash_*.deb 2>/dev/null | head -1 || true)}
[[ -n $DEB && -f $DEB ]] || die "no odflash package: run 'make deb' (or pass DEB)"
need_host_tools
need mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs

# What the root file system holds besides Debian's essential set: systemd as PID 1 and the
# services the package talks to, the tools the scenarios use (man-db renders the package's man
# pages, sg3-utils is the peer client, jq reads odflash's JSON, passwd and login give useradd,
# su and setpriv for permission tests), and mawk for lib.sh. The package's own Depends
# (libc6, libudev1, udev) are among them: the guest has no network.
PACKAGES=(systemd systemd-sysv udev dbus kmod man-db sg3-utils jq passwd login procps mawk)
SUITE=bookworm
MIRRORS=("deb http://deb.debian.org/debian $SUITE main"
    "deb http://deb.debian.org/debian $SUITE-updates main"
    "deb http://deb.debian.org/debian-security $SUITE-security main")
# The drivers the boot initramfs loads to mount the root file system (ext4 asks the crypto API
# for crc32c, a dependency modinfo does not list).
BOOT_MODULES=(virtio_pci virtio_blk ext4 crc32c_generic)
# What systemd loads itself at boot: autofs4 for its automount points (binfmt_misc).
SYSTEMD_MODULES=(autofs4)
# Units that would only slow the boot down or wait for a terminal: the gettys (the serial
# console carries the result lines) and the timers of a long-running machine.
MASKED_UNITS=(getty@tty1.service serial-getty@ttyS0.service console-getty.service
    dpkg-db-backup.timer fstrim.timer man-db.timer systemd-tmpfiles-clean.timer)
SYSTEM_VERSION=2 # bump when the root file system's contents change

start=$(date +%s.%N)
mkdir -p "$VM_CACHE" "$VM_OUT"
resolve_kernel
cp "$KROOT/boot/vmlinuz-$KVER" "$VM_OUT/vmlinuz"

# ---- root file system (cached) ----
image=$VM_CACHE/system-$SUITE-$KVER-v$SYSTEM_VERSION.ext4
if [[ ! -f $image ]]; then
    log "building the $SUITE root file system with mmdebstrap (cached as $(basename "$image"))"
    stage=$(mktemp -d "$VM_CACHE/system-stage.XXXXXX")
    trap 'rm -rf "$stage"' EXIT
    rootfs=$stage/root
    mmdebstrap --variant=essential --include="$(IFS=,; echo "${PACKAGES[*]}")" \
        "$SUITE" "$rootfs" "${MIRRORS[@]}" >&2 || die "mmdebstrap failed"
    mods=$(copy_modules "$rootfs" "${SCENARIO_MODULES[@]}" "${BOOT_MODULES[@]}" "${SYSTEMD_MODULES[@]}")
    log "modules: $mods"
    echo odflash-vm >"$rootfs/etc/hostname"
    # A fixed machine ID: no first-boot setup, and journalctl finds the journal by it.
    echo 0d7f1a5e0d7f1a5e0d7f1a5e0d7f1a5e >"$rootfs/etc/machine-id"
    echo "# the boot initramfs mounts /dev/vda on / (vm/guest/system-init)" >"$rootfs/etc/fstab"
    systemctl --root="$rootfs" mask "${MASKED_UNITS[@]}" >&2 || die "systemctl mask failed"
    size_mb=$(($(du -sm "$rootfs" | cut -f1) + 512))
    mkfs.ext4 -q -F -L odflash-vm -d "$rootfs" "$image.tmp" "${size_mb}M" || die "mkfs.ext4 failed"
    mv "$image.tmp" "$image"
    rm -rf "$stage"
    trap - EXIT
fi
ln -sfn "$image" "$VM_OUT/system.ext4"

# ---- boot initramfs (every run): busybox, boot modules, init, the overlay ----
ird=$(mktemp -d "$VM_OUT/system-initrd.XXXXXX")
trap 'rm -rf "$ird"' EXIT
mkdir -p "$ird"/{dev,proc,sys}
busybox_root "$ird"
copy_modules "$ird" "${BOOT_MODULES[@]}" >/dev/null
cp "$VM_DIR/guest/system-init" "$ird/init"
chmod +x "$ird/init"
ov=$ird/overlay
mkdir -p "$ov/usr/local/bin" "$ov/vm" "$ov/etc/systemd/system/multi-user.target.wants"
for b in odflash-gadget odflash-sgloop; do
    [[ -x $BIN_DIR/$b ]] || die "missing binary $BIN_DIR/$b (build it first)"
    # The root file system is the same Debian release as the host: its libraries serve.
    cp "$BIN_DIR/$b" "$ov/usr/local/bin/$b"
done
cp "$DEB" "$ov/vm/odflash.deb"
cp "$VM_DIR/guest/lib.sh" "$ov/vm/lib.sh"
cp -r "$VM_DIR/scenarios" "$ov/vm/"
echo "$KVER" >"$ov/vm/kernel-version"
cp "$VM_DIR/guest/odflash-vm.service" "$ov/etc/systemd/system/"
ln -s ../odflash-vm.service "$ov/etc/systemd/system/multi-user.target.wants/odflash-vm.service"
(cd "$ird" && find . -print | cpio -o -H newc --quiet | gzip -1) >"$VM_OUT/system-initrd.gz.tmp"
mv "$VM_OUT/system-initrd.gz.tmp" "$VM_OUT/system-initrd.gz"
end=$(date +%s.%N)
log "system guest ready: $VM_OUT/vmlinuz + system-initrd.gz ($(du -h "$VM_OUT/system-initrd.gz" | cut -f1)) + system.ext4 ($(du -h "$image" | cut -f1)), package $(basename "$DEB")"
awk -v s="$start" -v e="$end" 'BEGIN { printf "ODFLASH-TIMING system-guest-build %.2f s\n", e - s }' >&2
