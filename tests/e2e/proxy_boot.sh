#!/usr/bin/env bash
# e2e: proxyDHCP boot. On one bridge: an address-only DHCP server (dnsmasq
# with just a dhcp-range, in its own namespace: the site's existing DHCP),
# the server under test in proxy mode (dhcp-range=...,proxy + pxe-service +
# TFTP), and a QEMU SeaBIOS/iPXE client that boots pxelinux -> kernel +
# initrd -> "BOOTSTORM-MARKER-OK proxy-boot". Prints "e2e-time: proxy_boot <s>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init proxy_boot
bs_require qemu-system-x86_64 /usr/sbin/dnsmasq
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-180}
GUEST_MAC=52:54:00:e7:0c:01

bs_ns SRV srv
bs_ns ADR adr
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 10.231.12.1/24
bs_tap "$SRV" tap0 br0
bs_veth "$SRV" pa "$ADR" eth0
bs_brport "$SRV" pa br0
bs_addr "$ADR" eth0 10.231.12.2/24

# address-only DHCP: always dnsmasq, no boot options at all
bs_addr_only_dhcp "$ADR" 10.231.12

bs_assets_tftproot "$BS_TMP/tftp" proxy-boot
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
# proxyDHCP: boot information only, addresses come from the other server
interface=br0
port=0
dhcp-range=10.231.12.0,proxy,255.255.255.0
pxe-service=x86PC,"Network boot (bootstorm test)",pxelinux
enable-tftp
tftp-root=$BS_TMP/tftp
pid-file=$BS_TMP/server.pid
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 4011
bs_wait_udp "$SRV" 69

bs_qemu_boot proxy_boot "$SRV" tap0 $GUEST_MAC proxy-boot "$TIMEOUT" bios ||
  { echo "---- address server log ----" >&2; grep -v 'sent size' "$BS_TMP/addr.log" | tail -n 15 >&2
    bs_fail "no marker within ${TIMEOUT}s"; }
bs_check "guest's address came from the address-only server" grep -qi "$GUEST_MAC" "$BS_TMP/addr.leases"
bs_pass
