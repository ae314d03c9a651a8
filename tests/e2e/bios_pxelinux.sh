#!/usr/bin/env bash
# e2e: SeaBIOS + iPXE NIC ROM (ipxe-qemu) -> DHCP (full server) ->
# TFTP pxelinux.0 -> ldlinux.c32 + pxelinux.cfg/default -> kernel + initrd
# -> "BOOTSTORM-MARKER-OK bios-pxelinux" on the serial console.
# Prints "e2e-time: bios_pxelinux <s>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init bios_pxelinux
bs_require qemu-system-x86_64
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-180}

bs_ns SRV srv
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 10.231.10.1/24
bs_tap "$SRV" tap0 br0

bs_assets_tftproot "$BS_TMP/tftp" bios-pxelinux
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=br0
port=0
dhcp-range=10.231.10.100,10.231.10.150,255.255.255.0,12h
dhcp-boot=pxelinux.0
enable-tftp
tftp-root=$BS_TMP/tftp
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69

bs_qemu_boot bios_pxelinux "$SRV" tap0 52:54:00:e7:0a:01 bios-pxelinux "$TIMEOUT" bios ||
  bs_fail "no marker within ${TIMEOUT}s"
bs_check "lease recorded for the guest" grep -qi '52:54:00:e7:0a:01' "$BS_TMP/leases"
bs_pass
