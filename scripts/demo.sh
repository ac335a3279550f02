#!/usr/bin/env bash
# The odflash demo: the rescue story on emulated drives, as a transcript a user can follow.
# Usage: scripts/demo.sh [PATH-TO-ODFLASH]   (make demo builds it and passes target/release/odflash)
set -uo pipefail

odflash=${1:-target/release/odflash}
odflash=$(realpath "$odflash")
work=$(mktemp -d /tmp/odflash-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# Show a command as a user would type it, run it, and show its exit status.
run() {
  printf '\n$ odflash'; printf ' %q' "$@"; printf '\n'
  "$odflash" "$@"
  local rc=$?
  printf '[exit %d]\n' "$rc"
  return 0
}
expect_rc() { # expect_rc CODE odflash-args...: run, and stop the demo if the exit code differs
  local want=$1; shift
  printf '\n$ odflash'; printf ' %q' "$@"; printf '\n'
  "$odflash" "$@"
  local rc=$?
  printf '[exit %d]\n' "$rc"
  if [ "$rc" -ne "$want" ]; then echo "demo: expected exit $want, got $rc" >&2; exit 1; fi
}

say "Two emulated drives: an LG BU40N Blu-ray writer (MediaTek MT1959) and a Sony DRU-710A DVD writer"
BD="emu:mt1959,model=BD-RE BU40N,state-file=$work/bu40n.json"
DVD="emu:dru-710a,state-file=$work/dru710a.json"
expect_rc 0 scan --device "$BD" --device "$DVD"
expect_rc 0 info "$BD"

say "Part 1. The forum story: a Sony DRU-710A offered firmware of the DRU-720A group"
expect_rc 0 emu make-image --chip liteon-dvd --vendor SONY --model "DVD RW DRU-720A" --revision BYX5 -o dru720a.bin
expect_rc 100 rescue "$DVD" dru720a.bin

say "Part 2. The BU40N while it is healthy: a validated backup of its firmware and unit data"
expect_rc 0 backup "$BD" --backup-dir "$work/backups"

say "An earlier flash went wrong: the power failed while the drive was burning (an emulated power loss)"
cat > power-loss.json <<'JSON'
{ "faults": [ { "trigger": { "phase": "burn" }, "action": { "kind": "power-loss" } } ] }
JSON
expect_rc 0 emu make-image --chip mt1959 --vendor HL-DT-ST --model "BD-RE BU40N" --revision 1.04 -o bu40n-1.04.bin
expect_rc 104 flash "$BD,faults=$work/power-loss.json" bu40n-1.04.bin --backup-dir "$work/backups" --execute --yes-i-understand-the-risk

say "The drive is plugged in again: the hotplug helper (what udev starts) notices the recovery state"
expect_rc 0 hotplug "$BD" --run-dir "$work/run"
expect_rc 0 scan --device "$BD"

say "Part 3. The rescue. First offered the wrong image: firmware for a desktop drive"
expect_rc 0 emu make-image --chip mt1959 --vendor ASUS --model "BW-16D1HT" --revision 3.02 -o bw16d1ht-3.02.bin
expect_rc 100 rescue "$BD" bw16d1ht-3.02.bin --backup-dir "$work/backups"

say "Then the right image: flashed, verified, and the drive's own unit data restored from its backup"
expect_rc 0 rescue "$BD" bu40n-1.04.bin --backup-dir "$work/backups" --execute --yes-i-understand-the-risk --restore-unit-data yes
expect_rc 0 info "$BD"

echo
echo "Demo complete: the DVD drive was protected from the wrong group's firmware, and the"
echo "Blu-ray drive went from its boot loader back to working firmware with its own unit data."
echo "Everything ran on emulated drives; no real device was touched."
