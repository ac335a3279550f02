#!/usr/bin/env bash
# The real-kernel end-to-end suite in one command (`make test-vm` calls it): installs missing host
# packages (as root), builds odflash + odflash-gadget + odflash-sgloop, builds the guest (kernel
# and base archive cached), boots it once and runs every scenario in vm/scenarios/ (except the
# benchmark). Exits non-zero when any scenario fails or a prerequisite is missing.
#
# Environment: ODFLASH_VM_SCENARIOS=a-scan-info,g-peer (default: all), ODFLASH_VM_PROFILE=debug
# (default: release), ODFLASH_VM_VERBOSE=1 (stream the whole console), ODFLASH_VM_CACHE,
# ODFLASH_VM_OUT.

source "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

start=$(date +%s)
need_host_tools
bin_dir=$(build_binaries "${ODFLASH_VM_PROFILE:-release}")
"$VM_DIR/build-guest.sh" "$bin_dir"
set +e
"$VM_DIR/run.sh" --scenarios "${ODFLASH_VM_SCENARIOS:-all}" --timeout "${ODFLASH_VM_TIMEOUT:-840}"
rc=$?
set -e
log "test-vm finished in $(($(date +%s) - start)) s: $([[ $rc == 0 ]] && echo PASS || echo FAIL)"
exit "$rc"
