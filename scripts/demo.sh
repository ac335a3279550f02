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

say "Two emulated drives: a healthy LG BU40N Blu-ray (MT1959) and a Sony DRU-710A DVD writer"
BD="emu:mt1959,model=BD-RE BU40N,state-file=$work/bu40n.json"
DVD="emu:dru-710a,state-file=$work/dru710a.json"
expect_rc 0 scan --device "$BD" --device "$DVD"
expect_rc 0 info "$BD"

say "Before touching anything: a validated backup of the BU40N (firmware + unit data)"
expect_rc 0 backup "$BD" -o "$work/bu40n-before.odbk"
mkdir -p "$work/backups"
expect_rc 0 backup "$BD" --json -o "$work/backups/bu40n.odbk" >/dev/null
expect_rc 0 dump "$BD" -o "$work/bu40n-dump.bin"

say "The forum story: a DRU-710A offered firmware of the DRU-720A group"
expect_rc 0 emu make-image --chip liteon-dvd --vendor SONY --model "DVD RW DRU-720A" --revision BYX5 -o "$work/dru720a.bin"
expect_rc 100 flash "$DVD" "$work/dru720a.bin"

say "Images for the BU40N: the right one, one for a desktop drive, a broken one, and the raw dump"
expect_rc 0 emu make-image --chip mt1959 --vendor HL-DT-ST --model "BD-RE BU40N" --revision 1.04 -o "$work/bu40n-1.04.bin"
expect_rc 0 emu make-image --chip mt1959 --vendor ASUS --model "BW-16D1HT" --revision 3.02 -o "$work/bw16d1ht-3.02.bin"
expect_rc 0 emu make-image --chip mt1959 --vendor HL-DT-ST --model "BD-RE BU40N" --revision 1.04 --broken bad-cmac -o "$work/bu40n-corrupt.bin"
expect_rc 100 image check "$work/bu40n-corrupt.bin"
expect_rc 100 image check "$work/bu40n-dump.bin" --for "$BD"
expect_rc 100 flash "$BD" "$work/bw16d1ht-3.02.bin"

say "A flash (dry run first: the plan, every gate, the point of no return)"
expect_rc 0 flash "$BD" "$work/bu40n-1.04.bin" --backup-dir "$work/backups"
expect_rc 0 flash "$BD" "$work/bu40n-1.04.bin" --backup-dir "$work/backups" --execute --yes-i-understand-the-risk
expect_rc 0 info "$BD"

echo
echo "Demo complete. Everything above ran on emulated drives; no real device was touched."
