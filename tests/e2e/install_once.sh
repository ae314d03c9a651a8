#!/usr/bin/env bash
# e2e: host action "install once" with real firmware. A SeaBIOS + iPXE NIC
# ROM guest with a small disk (boot order: network, then disk), registered
# with
#   bootstormctl host add MAC
#   bootstormctl host action MAC install once kernel=vmlinuz initrd=initrd.img cmdline=..
# 1st boot: DHCP (tag ipxe) -> /boot.ipxe?mac= renders the install target ->
#   kernel + initrd over HTTP -> "BOOTSTORM-MARKER-OK install" on the
#   serial console. The initrd delivered whole flips the action to local.
# The server is restarted (the flip must come back from the state file).
# 2nd boot of the same guest (same MAC, same disk): DHCP -> /boot.ipxe
#   renders "exit" -> iPXE returns to SeaBIOS -> the disk's boot sector
#   (tests/e2e/data/localdisk.S) prints "BOOTSTORM-MARKER-OK localdisk".
# Prints "e2e-time: install_once_{install,local} <s>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init install_once
bs_require qemu-system-x86_64 curl as ld
bs_assets_build || bs_fail "boot assets"
bs_beside CTL "${BOOTSTORMCTL:-}" bootstormctl "set BOOTSTORMCTL"
TIMEOUT=${BS_E2E_TIMEOUT:-180}
PORT=8080
MAC=52:54:00:e7:fa:61
SRVIP=10.231.61.1

bs_ns SRV srv
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 $SRVIP/24
bs_tap "$SRV" tap0 br0

root=$BS_TMP/root
mkdir -p "$root"
cp --reflink=auto "$BS_ASSETS/vmlinuz" "$BS_ASSETS/initrd.img" "$root/"
chmod -R a+rX "$root"

# the local disk: 1 MiB, the marker boot sector in its MBR
as --32 -o "$BS_TMP/localdisk.o" "$here/data/localdisk.S"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$BS_TMP/localdisk.bin" "$BS_TMP/localdisk.o"
[ "$(stat -c %s "$BS_TMP/localdisk.bin")" = 512 ] || bs_fail "the boot sector is not 512 bytes"
truncate -s 1M "$BS_TMP/disk.img"
dd if="$BS_TMP/localdisk.bin" of="$BS_TMP/disk.img" conv=notrunc status=none
export BS_QEMU_ARGS="-drive file=$BS_TMP/disk.img,format=raw,if=none,id=d0
  -device ide-hd,drive=d0,bootindex=2 -device isa-debug-exit,iobase=0xf4,iosize=0x04"

sock=$BS_TMP/ctl.sock
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=br0
port=0
dhcp-range=10.231.61.100,10.231.61.150,255.255.255.0,12h
dhcp-boot=tag:ipxe,http://$SRVIP:$PORT/boot.ipxe?mac=\${net0/mac}
enable-tftp
tftp-root=$root
http-port=$PORT
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
control-socket=$sock
CONF
ctl() { timeout 20 "$CTL" -s "$sock" "$@"; }
action() {
  ctl --json hosts | python3 -c '
import json, sys
h = [x for x in json.load(sys.stdin)["hosts"] if x["mac"] == sys.argv[1]]
print(h[0]["action"] + (" once" if h[0]["once"] else "") if h else "ABSENT")' "$MAC"
}
start() {
  bs_start_server "$SRV" "$conf"
  bs_wait_udp "$SRV" 67
  bs_wait_tcp "$SRV" $PORT
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || bs_fail "no control socket at $sock"
}
start

ctl host add $MAC name=inst1 >/dev/null
ctl host action $MAC install once kernel=vmlinuz initrd=initrd.img \
  "cmdline=$BS_KCMDLINE_BASE bsmarker=install" >/dev/null
bs_check "registered: install once" test "$(action)" = "install once"

bs_qemu_boot install_once_install "$SRV" tap0 $MAC install "$TIMEOUT" bios ||
  bs_fail "1st boot: no install marker within ${TIMEOUT}s"
grep -qi "boot.ipxe for $MAC: kernel" "$BS_SERVER_LOG" ||
  bs_fail "1st boot: the script was not the install target"
bs_check "1st boot did not reach the local disk" \
  bash -c "! grep -qa 'BOOTSTORM-MARKER-OK localdisk' '$BS_TMP/install_once_install.serial'"
bs_check "the initrd delivered whole flipped the action" \
  bs_wait_log "$BS_SERVER_LOG" "$MAC: final file /initrd.img delivered: action is local now" 10
bs_check "bootstormctl hosts: local now" test "$(action)" = local

bs_stop_server
start
bs_check "after a server restart: still local" test "$(action)" = local

bs_qemu_boot install_once_local "$SRV" tap0 $MAC localdisk "$TIMEOUT" bios ||
  bs_fail "2nd boot: no local-disk marker within ${TIMEOUT}s"
bs_check "2nd boot did not run the installer" \
  bash -c "! grep -qa 'BOOTSTORM-MARKER-OK install' '$BS_TMP/install_once_local.serial'"
bs_check "2nd boot: the script said exit" grep -qi "boot.ipxe for $MAC: exit" "$BS_SERVER_LOG"
bs_pass
