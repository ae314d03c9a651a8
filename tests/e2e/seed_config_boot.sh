#!/usr/bin/env bash
# e2e: the seed wiki's dnsmasq setup, corrected (tests/data/seed-corrected.conf),
# boots a real client. The site of the wiki: an existing address-only DHCP
# server (there a Microsoft DHCP; here dnsmasq with just a range) and
# bootstorm beside it in proxy mode on interface eth0, serving pxelinux over
# TFTP. The config file is used as committed except for the site-specific
# values: tftp-root (the test's asset dir) and the subnet (192.168.1.x of the
# wiki -> 10.231.13.x, this project's test range). `bootstorm --test` must
# pass on it inside the namespace (interface and address exist there), and a
# SeaBIOS/iPXE client must boot to the marker.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init seed_config_boot
bs_require qemu-system-x86_64 /usr/sbin/dnsmasq
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-180}
GUEST_MAC=52:54:00:e7:0d:01

bs_ns SRV srv
bs_ns ADR adr
bs_bridge "$SRV" eth0
bs_addr "$SRV" eth0 10.231.13.1/24
bs_tap "$SRV" tap0 eth0
bs_veth "$SRV" pa "$ADR" eth0
bs_brport "$SRV" pa eth0
bs_addr "$ADR" eth0 10.231.13.2/24

bs_addr_only_dhcp "$ADR" 10.231.13

bs_assets_tftproot "$BS_TMP/tftp" seed-config
conf=$BS_TMP/seed.conf
sed -e "s|^tftp-root=.*|tftp-root=$BS_TMP/tftp|" -e 's/192\.168\.1\./10.231.13./g' \
  "$here/../data/seed-corrected.conf" >"$conf"
{ echo "dhcp-leasefile=$BS_TMP/leases"; echo "pid-file=$BS_TMP/server.pid"; } >>"$conf"

bs_check "bootstorm --test accepts the corrected seed config" \
  ip netns exec "$SRV" "$BS_SERVER" --test -C "$conf"

bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 4011
bs_wait_udp "$SRV" 69

bs_qemu_boot seed_config_boot "$SRV" tap0 $GUEST_MAC seed-config "$TIMEOUT" bios ||
  bs_fail "no marker within ${TIMEOUT}s"
bs_check "guest's address came from the address-only server" grep -qi "$GUEST_MAC" "$BS_TMP/addr.leases"
bs_pass
