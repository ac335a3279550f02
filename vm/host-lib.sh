# Host-side helpers shared by vm/*.sh (sourced, not run).
#
# Owns: locating the repository and the cache, making sure host prerequisites exist, and the
# parts both guests are built from (the cached kernel package, its modules, busybox, programs
# with their libraries).
# Must not: touch anything outside the repository's target/ and the cache directory, except
# installing missing Debian packages when running as root.

set -euo pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/.." && pwd)
# The kernel package and the unpacked base guest are cached here and never re-downloaded.
if [[ -n "${ODFLASH_VM_CACHE:-}" ]]; then
    VM_CACHE=$ODFLASH_VM_CACHE
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
    VM_CACHE=$XDG_CACHE_HOME/odflash-vm
else
    VM_CACHE=$REPO_DIR/target/vm-cache
fi
# Per-run outputs (initrd overlay, console logs).
VM_OUT=${ODFLASH_VM_OUT:-$REPO_DIR/target/vm}

# Kernel modules the scenarios load (copy_modules adds their dependencies), in either guest.
# shellcheck disable=SC2034
SCENARIO_MODULES=(sg sr_mod cdrom usb-storage dummy_hcd libcomposite usb_f_fs configfs scsi_debug
    crct10dif_generic crct10dif-pclmul usbmon)

log() { printf '[vm] %s\n' "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit 1; }

# need CMD:PACKAGE... : every CMD must be on PATH (or an absolute path that exists). Missing ones
# are installed with apt-get when running as root; otherwise this is a hard failure (also, and
# especially, with CI=true: a missing prerequisite never turns into a skipped test).
need() {
    local missing=() pair cmd pkg
    for pair in "$@"; do
        cmd=${pair%%:*}
        pkg=${pair#*:}
        if [[ $cmd == /* ]]; then [[ -e $cmd ]] && continue
        else command -v "$cmd" >/dev/null 2>&1 && continue; fi
        missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    # shellcheck disable=SC2207
    missing=($(printf '%s\n' "${missing[@]}" | sort -u))
    if [[ $(id -u) -eq 0 ]]; then
        log "installing missing host packages: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
            || die "apt-get install ${missing[*]} failed"
        for pair in "$@"; do
            cmd=${pair%%:*}
            if [[ $cmd == /* ]]; then [[ -e $cmd ]] || die "still missing after install: $cmd"
            else command -v "$cmd" >/dev/null 2>&1 || die "still missing after install: $cmd"; fi
        done
    else
        die "missing host packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    fi
}

# The host tools every VM step uses.
need_host_tools() {
    need qemu-system-x86_64:qemu-system-x86 /bin/busybox:busybox-static depmod:kmod modinfo:kmod \
        cpio:cpio gzip:gzip udevadm:udev /lib/systemd/systemd-udevd:udev sg_inq:sg3-utils \
        dpkg-deb:dpkg apt-get:apt timeout:coreutils ldd:libc-bin jq:jq tcpdump:tcpdump
}


# resolve_kernel: sets KPKG (linux-image-<abi>-amd64, resolved through the linux-image-amd64
# metapackage), KVER (its ABI name, the modules directory) and KROOT (the package unpacked with
# dpkg -x under $VM_CACHE, never installed). The .deb is fetched once with apt-get download.
resolve_kernel() {
    KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    if [[ -z $KPKG ]]; then
        log "apt lists have no linux-image-amd64: running apt-get update"
        [[ $(id -u) -eq 0 ]] || die "apt lists are empty and we are not root: run apt-get update"
        apt-get update >&2 || die "apt-get update failed"
        KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    fi
    [[ -n $KPKG ]] || die "cannot resolve the kernel package behind linux-image-amd64"
    KVER=${KPKG#linux-image-}
    mkdir -p "$VM_CACHE"
    local deb
    deb=$(ls "$VM_CACHE"/"${KPKG}"_*.deb 2>/dev/null | head -1 || true)
    if [[ -z $deb ]]; then
        log "downloading $KPKG with apt-get download"
        (cd "$VM_CACHE" && apt-get download "$KPKG" >&2) || die "apt-get download $KPKG failed"
        deb=$(ls "$VM_CACHE"/"${KPKG}"_*.deb | head -1)
    fi
    KROOT=$VM_CACHE/kernel-$KVER
    if [[ ! -f $KROOT/.unpacked ]]; then
        log "unpacking $(basename "$deb")"
        rm -rf "$KROOT" && mkdir -p "$KROOT"
        dpkg -x "$deb" "$KROOT" || die "dpkg -x failed"
        touch "$KROOT/.unpacked"
    fi
}

# copy_modules ROOT MODULE... : copies each kernel module of $KROOT (resolve_kernel) and,
# recursively, the modules it depends on (modinfo -F depends) to ROOT/lib/modules/$KVER, then
# runs depmod there. Prints the module names copied.
copy_modules() {
    local root=$1 kmods=$KROOT/lib/modules/$KVER m ko n dst deps
    shift
    local -A path_of=() done_mod=()
    local queue=("$@") more=()
    while read -r ko; do
        n=$(basename "$ko" .ko); path_of[${n//-/_}]=$ko
    done < <(find "$kmods/kernel" -name '*.ko')
    while ((${#queue[@]})); do
        m=${queue[0]//-/_}; queue=("${queue[@]:1}")
        [[ -n ${done_mod[$m]:-} ]] && continue
        ko=${path_of[$m]:-}
        [[ -n $ko ]] || die "module $m not found in $KPKG"
        done_mod[$m]=1
        dst=$root/lib/modules/$KVER/${ko#"$kmods"/}
        mkdir -p "$(dirname "$dst")" && cp "$ko" "$dst"
        deps=$(modinfo -F depends "$ko")
        [[ -n $deps ]] && IFS=, read -r -a more <<<"$deps" && queue+=("${more[@]}")
    done
    cp "$kmods"/modules.{builtin,builtin.modinfo,order} "$root/lib/modules/$KVER/"
    depmod -b "$root" "$KVER" || die "depmod failed"
    echo "${!done_mod[*]}"
}

# copy_with_libs ROOT FILE[=DEST]... : copies each program to DEST (default: the same path) under
# ROOT, with the shared libraries ldd names (and the dynamic loader).
copy_with_libs() {
    local root=$1 f dest lib
    shift
    for f in "$@"; do
        dest=${f#*=}
        f=${f%%=*}
        mkdir -p "$root$(dirname "$dest")"
        cp -L "$f" "$root$dest"
        while read -r lib; do
            [[ -e $root$lib ]] && continue
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib"
        done < <(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true)
    done
}

# busybox_root ROOT: a static busybox at ROOT/bin/busybox with a link for every applet.
busybox_root() {
    local root=$1 applet
    mkdir -p "$root/bin"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
    done
}
