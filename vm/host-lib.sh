# Host-side helpers shared by vm/*.sh (sourced, not run).
#
# Owns: locating the repository and the cache, and making sure host prerequisites exist.
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

