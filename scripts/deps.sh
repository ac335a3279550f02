#!/usr/bin/env bash
# Installs what odflash needs on a Debian machine, by profile:
#   build  - the Rust toolchain's C side: libclang for bindgen, libudev for the udev crate
#   test   - build + the tools the file checks use (systemd-analyze, udevadm) and a private
#            session bus for odflash-notify's test (dbus-daemon)
#   deb    - build + what `make deb` needs besides cargo-deb (dpkg-dev for $auto, lintian)
#   vm     - test + deb + what the real-kernel VM suite needs (qemu, busybox, kmod, cpio,
#            sg3-utils, tcpdump; mmdebstrap and e2fsprogs for the systemd guest)
# As root it installs missing packages with apt-get; otherwise it prints the exact command and
# fails. Nothing is downloaded from anywhere but the Debian archive.
set -euo pipefail

profile=${1:-build}
case "$profile" in
  build) pkgs=(libclang-dev libudev-dev pkg-config) ;;
  test)  pkgs=(libclang-dev libudev-dev pkg-config systemd udev dbus) ;;
  deb)   pkgs=(libclang-dev libudev-dev pkg-config dpkg-dev lintian) ;;
  vm)    pkgs=(libclang-dev libudev-dev pkg-config systemd udev dbus dpkg-dev lintian qemu-system-x86 busybox-static kmod cpio sg3-utils jq time tcpdump mmdebstrap e2fsprogs) ;;
  *) echo "usage: $0 build|test|deb|vm" >&2; exit 1 ;;
esac

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed. Install Rust (https://rustup.rs or 'apt-get install cargo') and re-run." >&2
  exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
