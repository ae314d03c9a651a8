#!/usr/bin/env bash
# e2e: the classic two-stage chain, loader over TFTP, payload over HTTP:
#   SeaBIOS + iPXE NIC ROM (ipxe-qemu) -> DHCP (full server):
#     dhcp-boot=lpxelinux.0 (the builtin iPXE loop breaker withholds only
#     iPXE binaries such as undionly.kpxe/ipxe.efi from tag ipxe; lpxelinux.0
#     is a PXE NBP, so the ROM gets it)
#   -> TFTP lpxelinux.0 (pxelinux package) -> TFTP ldlinux.c32
#      (syslinux-common) -> TFTP pxelinux.cfg/default
#   -> the config's KERNEL http://SRV:8080/vmlinuz and
#      INITRD http://SRV:8080/initrd.img: lpxelinux fetches both over HTTP
#      from bootstorm's http-port with its own lwIP stack (seen on the wire:
#      "GET /vmlinuz HTTP/1.0", "User-Agent: Syslinux/6.04"; iPXE's HTTP
#      client is not involved). Same root for TFTP and HTTP, so TFTP *could*
#      have served them: the test proves it did not.
#   -> "BOOTSTORM-MARKER-OK tftp-http" on the serial console.
# Prints "e2e-time: tftp_http_chain <s>".
#
# Asserts: the marker; lpxelinux.0, ldlinux.c32 and pxelinux.cfg/default
# were asked for over TFTP (RRQ lines, --log-dhcp) and /metrics tftp_done
# >= 3, tftp_bytes < the initrd's size; vmlinuz and initrd.img were served whole over HTTP (log "GET /<f> 200, <size> body
# bytes" and /metrics http_bytes_sent >= kernel + initrd); no TFTP RRQ for
# vmlinuz or initrd.img in the server log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init tftp_http_chain
bs_require qemu-system-x86_64 curl
LPXE=${BS_LPXELINUX:-/usr/lib/PXELINUX/lpxelinux.0}
[ -f "$LPXE" ] || bs_fail "missing $LPXE (apt-get install pxelinux)"
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-180}
PORT=8080
MAC=52:54:00:e7:fd:01
SRVIP=10.231.253.1
MARK=tftp-http

bs_ns SRV srv
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 $SRVIP/24
bs_tap "$SRV" tap0 br0

# one root for TFTP and HTTP: kernel and initrd are reachable over both
root=$BS_TMP/root
mkdir -p "$root/pxelinux.cfg"
cp --reflink=auto "$LPXE" "$root/lpxelinux.0"
cp --reflink=auto "$BS_ASSETS/ldlinux.c32" "$BS_ASSETS/vmlinuz" "$BS_ASSETS/initrd.img" "$root/"
cat >"$root/pxelinux.cfg/default" <<CFG
DEFAULT bs
PROMPT 0
TIMEOUT 0
LABEL bs
  KERNEL http://$SRVIP:$PORT/vmlinuz
  INITRD http://$SRVIP:$PORT/initrd.img
  APPEND $BS_KCMDLINE_BASE bsmarker=$MARK
CFG
chmod -R a+rX "$root"

conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=br0
port=0
dhcp-range=10.231.253.100,10.231.253.150,255.255.255.0,12h
dhcp-boot=lpxelinux.0
enable-tftp
tftp-root=$root
http-port=$PORT
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69
bs_wait_tcp "$SRV" $PORT

bs_qemu_boot tftp_http_chain "$SRV" tap0 $MAC $MARK "$TIMEOUT" bios ||
  bs_fail "no marker within ${TIMEOUT}s"

log=$BS_SERVER_LOG
# stage 1 over TFTP
for f in lpxelinux.0 ldlinux.c32 pxelinux.cfg/default; do
  grep -qE "tftp: [0-9.]+:[0-9]+: RRQ \"/?$f\"" "$log" ||
    bs_fail "no TFTP RRQ for $f: $(grep 'RRQ' "$log" | head -n5)"
  bs_log "ok: TFTP RRQ $f"
done
# the payload over HTTP, whole, and never over TFTP
for f in vmlinuz initrd.img; do
  size=$(stat -c %s "$root/$f")
  grep -qE "http: [0-9.]+:[0-9]+: GET /$f 200, $size body bytes" "$log" ||
    bs_fail "$f was not served whole over HTTP: $(grep "/$f" "$log" | head -n3)"
  bs_log "ok: GET /$f 200, $size bytes over HTTP"
  if grep -qE "tftp: .*RRQ \"[^\"]*$f\"" "$log"; then
    bs_fail "$f was asked for over TFTP: $(grep -E "RRQ \"[^\"]*$f\"" "$log" | head -n3)"
  fi
done
bs_log "ok: no TFTP RRQ for vmlinuz or initrd.img"
m=$(ip netns exec "$SRV" curl -sS --max-time 5 "http://$SRVIP:$PORT/metrics")
done_=$(echo "$m" | awk '$1 == "bootstorm_tftp_done_total" { print $2 }')
tbytes=$(echo "$m" | awk '$1 == "bootstorm_tftp_bytes_total" { print $2 }')
sent=$(echo "$m" | awk '$1 == "bootstorm_http_bytes_sent_total" { print $2 }')
want=$(($(stat -c %s "$root/vmlinuz") + $(stat -c %s "$root/initrd.img")))
[ "${done_:-0}" -ge 3 ] || bs_fail "metrics: tftp_done=$done_ (want >= 3: lpxelinux.0, ldlinux.c32, config)"
[ "${sent:-0}" -ge "$want" ] || bs_fail "metrics: http_bytes_sent=$sent < kernel+initrd $want"
[ "${tbytes:-0}" -lt "$(stat -c %s "$root/initrd.img")" ] ||
  bs_fail "metrics: tftp_bytes=$tbytes: more than the loader stage can account for"
bs_log "ok: metrics: tftp done $done_ ($tbytes bytes), http bytes $sent (kernel+initrd $want)"
bs_check "lease recorded for the guest" grep -qi "$MAC" "$BS_TMP/leases"
bs_pass
