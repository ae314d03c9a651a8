# shellcheck shell=bash
# Sourced after netns.sh and assets.sh: boot a QEMU guest (TCG) from the
# network through a tap in a namespace, wait for the initramfs marker on the
# serial console.
#
#   bs_qemu_boot NAME NS TAP MAC MARKER TIMEOUT bios|uefi
#     -> 0 when "BOOTSTORM-MARKER-OK MARKER" appeared on the serial console;
#        prints "e2e-time: NAME <seconds>" (QEMU start -> marker).
#        Serial log: $BS_TMP/NAME.serial, QEMU log: $BS_TMP/NAME.qemu.log
#        BS_PCAP=1: also capture the tap to $BS_TMP/NAME.pcap (with BS_KEEP=1)
#        BS_QEMU_ARGS: more QEMU arguments (word-split), e.g. a disk
#
# bios: SeaBIOS + the NIC's default iPXE ROM (ipxe-qemu), -boot n.
# uefi: q35 + OVMF (pflash CODE_4M + a per-run copy of VARS_4M), NIC with
#       romfile= (empty) so EDK2's own PXE stack boots, not iPXE.

BS_QEMU=${BS_QEMU:-qemu-system-x86_64}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

bs_qemu_boot() {
  local name=$1 ns=$2 tap=$3 mac=$4 marker=$5 timeout=$6 fw=$7
  local serial=$BS_TMP/$name.serial qlog=$BS_TMP/$name.qemu.log
  local args=(-accel tcg -m 1024 -smp 1 -display none -no-reboot
    -monitor none -serial "file:$serial"
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no")
  case $fw in
    bios)
      args+=(-machine pc -boot n
        -device "virtio-net-pci,netdev=n0,mac=$mac,bootindex=1")
      ;;
    uefi)
      [ -f "$OVMF_CODE" ] || bs_fail "missing $OVMF_CODE (ovmf)"
      cp "$OVMF_VARS" "$BS_TMP/$name.vars.fd"
      args+=(-machine q35
        -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
        -drive "if=pflash,format=raw,unit=1,file=$BS_TMP/$name.vars.fd"
        -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1")
      ;;
    *) bs_fail "bs_qemu_boot: firmware '$fw'?" ;;
  esac
  # shellcheck disable=SC2206
  args+=(${BS_QEMU_ARGS:-})
  : >"$serial"
  if [ "${BS_PCAP:-0}" = 1 ]; then
    # debugging aid: capture the guest's traffic (BS_PCAP=1 BS_KEEP=1)
    bs_bg "$BS_TMP/$name.tcpdump.log" ip netns exec "$ns" tcpdump -i "$tap" -n -U -w "$BS_TMP/$name.pcap"
    sleep 0.5
  fi
  if [ "$fw" = bios ] && [ "${BS_E2E_NO_RA:-0}" != 1 ]; then
    # iPXE otherwise idles ~16 s waiting for an IPv6 router advertisement
    # (tests/lib/ra.py). BS_E2E_NO_RA=1 measures the boot without it.
    bs_bg "$BS_TMP/$name.ra.log" ip netns exec "$ns" /usr/bin/python3 \
      "$(dirname "${BASH_SOURCE[0]}")/ra.py" "$tap" 0.5 $((timeout + 30))
  fi
  bs_log "qemu ($fw) $name: ${args[*]}"
  local t0 t1 qpid
  t0=$(date +%s.%N)
  bs_bg "$qlog" ip netns exec "$ns" "$BS_QEMU" "${args[@]}"
  qpid=$BS_LAST_PID
  local want="$BS_MARKER $marker" i ok=0
  for i in $(seq $((timeout * 5))); do
    if grep -qa -- "$want" "$serial"; then ok=1; break; fi
    if ! kill -0 "$qpid" 2>/dev/null; then
      grep -qa -- "$want" "$serial" && ok=1
      break
    fi
    sleep 0.2
  done
  t1=$(date +%s.%N)
  if [ $ok = 1 ]; then
    BS_BOOT_TIME=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    echo "e2e-time: $name $BS_BOOT_TIME"
    bs_log "marker '$want' after $BS_BOOT_TIME s"
    # the guest powers off by itself; give it a moment, then stop it
    for i in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
    bs_stop "$qpid"
    return 0
  fi
  bs_stop "$qpid"
  echo "---- serial console tail ($serial) ----" >&2
  tr -d '\r' <"$serial" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tail -n 30 >&2
  echo "---- qemu log ----" >&2
  tail -n 10 "$qlog" >&2
  return 1
}
