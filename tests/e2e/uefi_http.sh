#!/usr/bin/env bash
# e2e: UEFI HTTP boot with EDK2's own network stack (OVMF on q35 + pflash,
# NIC romfile= empty so no iPXE) and no TFTP anywhere:
#   DHCP: only the HTTPClient vendor class gets a boot file (a URL); the
#         firmware's PXE attempts get an address but nothing to boot, so
#         its boot manager moves on to "UEFI HTTPv4"
#   HTTP: HEAD then GET of the UKI (systemd-boot stub + kernel + initrd)
#   -> "BOOTSTORM-MARKER-OK uefi-http". Prints "e2e-time: uefi_http <s>".
# Asserts that the HTTP server served the UKI (log and counters) and that
# nothing spoke TFTP (no TFTP socket open, no TFTP in the log).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init uefi_http
bs_require qemu-system-x86_64
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-240}
PORT=8080

bs_ns SRV srv
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 10.231.12.1/24
bs_tap "$SRV" tap0 br0

bs_assets_tftproot "$BS_TMP/http" uefi-http
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=br0
port=0
dhcp-range=10.231.12.100,10.231.12.150,255.255.255.0,12h
# UEFI HTTP boot clients send option 60 "HTTPClient" (the builtin tag
# httpclient); the server echoes it and sends the URL as the boot file.
dhcp-vendorclass=set:http,HTTPClient
dhcp-boot=tag:http,http://10.231.12.1:$PORT/bootx64.efi
# no enable-tftp: HTTP only
http-port=$PORT
http-root=$BS_TMP/http
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_tcp "$SRV" $PORT
if ip netns exec "$SRV" ss -Hlnu | grep -q ':69 '; then
  bs_fail "a TFTP socket is open although TFTP is off"
fi

# BS_UEFI_HTTP_ONLY=1: switch OVMF's PXE boot options off through fw_cfg
# (OvmfPkg RUNTIME_CONFIG: opt/org.tianocore/IPv4PXESupport, IPv6PXESupport),
# so HTTPv4 is the first boot option: measures HTTP boot without the ~60 s
# the firmware spends on PXEv4 (no boot file: cancelled) and PXEv6 (no
# DHCPv6 answer) first. Default: the realistic order, PXE first.
if [ "${BS_UEFI_HTTP_ONLY:-0}" = 1 ]; then
  cat >"$BS_TMP/qemu-http-only" <<WRAP
#!/bin/sh
exec $BS_QEMU "\$@" -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n \
  -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n
WRAP
  chmod 755 "$BS_TMP/qemu-http-only"
  BS_QEMU=$BS_TMP/qemu-http-only
fi
bs_qemu_boot uefi_http "$SRV" tap0 52:54:00:e7:0c:01 uefi-http "$TIMEOUT" uefi ||
  bs_fail "no marker within ${TIMEOUT}s"

size=$(stat -c %s "$BS_TMP/http/bootx64.efi")
grep -qE "http: [0-9.]+:[0-9]+: GET /bootx64.efi 200, $size body bytes" "$BS_SERVER_LOG" ||
  bs_fail "the server log does not show the UKI served whole over HTTP"
bs_log "ok: $(grep -cE 'http: .*(GET|HEAD) /bootx64.efi' "$BS_SERVER_LOG") HTTP requests for bootx64.efi, last: $(grep -E 'http: .* /bootx64.efi' "$BS_SERVER_LOG" | tail -n1 | sed 's/.*http: //')"
kill -USR1 "$BS_SERVER_PID"
bs_wait_log "$BS_SERVER_LOG" 'http_bytes_sent=[1-9]' 5 || bs_fail "no HTTP counters"
sent=$(grep -o 'http_bytes_sent=[0-9]*' "$BS_SERVER_LOG" | tail -n1 | cut -d= -f2)
[ "$sent" -ge "$size" ] || bs_fail "http_bytes_sent=$sent < UKI size $size"
bs_log "ok: http_bytes_sent=$sent (UKI $size bytes)"
grep -q 'worker_rx_tftp=0' "$BS_SERVER_LOG" || bs_fail "the worker saw TFTP datagrams"
if grep -iE 'tftp' "$BS_SERVER_LOG" | grep -qv 'stats:'; then
  bs_fail "TFTP shows up in the server log: $(grep -iE 'tftp' "$BS_SERVER_LOG" | grep -v 'stats:' | head -n3)"
fi
bs_log "ok: no TFTP involved"
bs_pass
