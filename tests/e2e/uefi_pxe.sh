#!/usr/bin/env bash
# e2e: OVMF (q35, pflash) with EDK2's own PXE stack (NIC romfile= empty, so
# no iPXE) -> DHCP (client arch 7 -> bootx64.efi via dhcp-match/dhcp-boot
# tags) -> TFTP (OVMF: tsize probe aborted with ERROR 8, then windowsize 4
# download) -> UKI (systemd-boot stub + kernel + initrd + cmdline)
# -> "BOOTSTORM-MARKER-OK uefi-pxe". Prints "e2e-time: uefi_pxe <s>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init uefi_pxe
bs_require qemu-system-x86_64
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-180}

bs_ns SRV srv
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 10.231.11.1/24
bs_tap "$SRV" tap0 br0

bs_assets_tftproot "$BS_TMP/tftp" uefi-pxe
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=br0
port=0
dhcp-range=10.231.11.100,10.231.11.150,255.255.255.0,12h
# boot file by client architecture (option 93): 7 = EFI x86-64
dhcp-match=set:efi64,option:client-arch,7
dhcp-boot=tag:efi64,bootx64.efi
dhcp-boot=tag:!efi64,pxelinux.0
enable-tftp
tftp-root=$BS_TMP/tftp
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69

bs_qemu_boot uefi_pxe "$SRV" tap0 52:54:00:e7:0b:01 uefi-pxe "$TIMEOUT" uefi ||
  bs_fail "no marker within ${TIMEOUT}s"
# option 93 = 7 must have selected the EFI loader, and it came over TFTP
bs_check "UEFI client was offered bootx64.efi" grep -q 'bootx64.efi' "$BS_SERVER_LOG"
bs_pass
