# g. Peer check: sg3_utils' sg_inq and READ BUFFER mode 6 (sg_raw; see peer_read in lib.sh for
# why not sg_read_buffer) talk to the same emulated drive through the real SG_IO path and agree
# with the emulator's flash and with odflash on identity and bytes.
gadget_start emu:mt1959
usb_limits "$SG"

sg_inq "$DEV" >/tmp/sg_inq.txt 2>&1 || fail "sg_inq $DEV failed: $(cat /tmp/sg_inq.txt)"
cat /tmp/sg_inq.txt
vendor=$(sed -n 's/^ *Vendor identification: *//p' /tmp/sg_inq.txt | sed 's/ *$//')
product=$(sed -n 's/^ *Product identification: *//p' /tmp/sg_inq.txt | sed 's/ *$//')
revision=$(sed -n 's/^ *Product revision level: *//p' /tmp/sg_inq.txt | sed 's/ *$//')
grep -q 'PDT=5' /tmp/sg_inq.txt || fail "sg_inq does not report peripheral type 5"
[ -n "$vendor" ] && [ -n "$product" ] || fail "sg_inq shows no vendor/product"

# Flash bytes through READ BUFFER mode 6: the descriptor window and a 64 KiB piece of the
# application area, compared with the emulator's own flash.
gadget_save_flash
for range in 0x1ec000:256 0x20000:65536; do
    off=${range%:*}
    len=${range#*:}
    peer_read "$DEV" "$off" "$len" /tmp/peer.bin ||
        fail "READ BUFFER mode 6 at $off+$len failed: $(cat /tmp/sg_raw.err)"
    dd if="$EMU_FLASH" of=/tmp/emu.bin bs=4096 skip=$((off / 4096)) count=$((len / 4096 + 1)) 2>/dev/null
    head -c "$len" /tmp/emu.bin >/tmp/emu-range.bin
    cmp /tmp/peer.bin /tmp/emu-range.bin || fail "sg_raw bytes at $off differ from the emulator's flash"
done

# odflash must agree with the peer on identity and bytes.
odf info "$DEV" --json
odf_json "odflash info --json"
json_has /tmp/odf.out "$vendor" || fail "odflash info lacks vendor '$vendor'"
json_has /tmp/odf.out "$product" || fail "odflash info lacks product '$product'"
json_has /tmp/odf.out "$revision" || fail "odflash info lacks revision '$revision'"
odf dump "$DEV" -o /tmp/odf-dump.bin
[ "$ODF_RC" -eq 0 ] || fail "odflash dump exited $ODF_RC"
peer_read "$DEV" 0x1ec000 256 /tmp/peer.bin || fail "READ BUFFER mode 6 at 0x1ec000 failed"
dd if=/tmp/odf-dump.bin bs=4096 skip=$((0x1ec000 / 4096)) count=1 2>/dev/null | head -c 256 >/tmp/odf-range.bin
cmp /tmp/peer.bin /tmp/odf-range.bin || fail "odflash dump and sg_raw disagree at 0x1ec000"
pass "sg_inq '$vendor' '$product' '$revision'; READ BUFFER 6 via sg_raw = emulator flash = odflash dump"
