#!/usr/bin/env bash
# The real-kernel end-to-end suite in one command (`make test-vm` calls it): installs missing host
# packages (as root), then builds odflash and its Debian package (`make deb`) and runs the
# ignored cargo test tools/vm-gadget/tests/vm.rs (`-- --ignored`), which builds odflash-gadget +
# odflash-sgloop beside it, builds both guests (kernel, base archive and root file system
# cached), boots each once and asserts every scenario in vm/scenarios/ (except the benchmark).
# Exits non-zero when any scenario fails or a prerequisite is missing.
#
# Environment: ODFLASH_VM_SCENARIOS=a-scan-info,g-peer (default: all), ODFLASH_VM_VERBOSE=1
# (stream the whole console), ODFLASH_VM_CACHE (kernel/base cache directory).

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

start=$(date +%s)
need_host_tools
need cargo:cargo
set +e
# `make deb` builds the release odflash (which the initramfs guest takes) and the package the
# system guest installs.
(cd "$REPO_DIR" && make --no-print-directory deb &&
    cargo test --release --locked -p odflash-vm-gadget --test vm -- --ignored --nocapture)
rc=$?
set -e
log "test-vm finished in $(($(date +%s) - start)) s: $([[ $rc == 0 ]] && echo PASS || echo FAIL)"
exit "$rc"
