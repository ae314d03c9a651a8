#!/usr/bin/env bash
# e2e: SeaBIOS + iPXE NIC ROM (ipxe-qemu) -> DHCP: the client is iPXE (user
# class "iPXE", tag ipxe), so its boot file is the URL of a per-host script
#   http://SRV:8080/boot.ipxe?mac=${net0/mac}
# which iPXE expands itself -> GET /boot.ipxe?mac=52:54:00:e7:fa:01 ->
# bootstorm renders the script from ipxe-boot= (the host's dhcp-host tag
# selects the kernel line) -> kernel + initrd over HTTP ->
# "BOOTSTORM-MARKER-OK ipxe-http" on the serial console.
# Prints "e2e-time: ipxe_http_chain <s>".
#
# Asserts: the script was asked for with the guest's MAC (server log),
# vmlinuz and initrd.img were served whole over HTTP (log + /metrics), no
# TFTP datagram reached the worker.
#
# The TFTP loader step (dhcp-boot=tag:!ipxe,undionly.kpxe, for NICs whose
# ROM is not iPXE) cannot be booted here: QEMU's only packaged NIC ROMs are
# iPXE, so the guest's first DHCP request already carries the iPXE user
# class. It is checked at the protocol level instead, before the boot: a
# plain DHCP client (udhcpc on a veth on the same bridge) is offered
# undionly.kpxe and fetches it whole over TFTP (curl tftp://); the same
# client with user class "iPXE" (option 77) is offered the script URL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
. "$here/../lib/assets.sh"
. "$here/../lib/qemu.sh"
bs_init ipxe_http_chain
bs_require qemu-system-x86_64 curl udhcpc
bs_assets_build || bs_fail "boot assets"
TIMEOUT=${BS_E2E_TIMEOUT:-180}
PORT=8080
MAC=52:54:00:e7:fa:01
SRVIP=10.231.250.1

bs_ns SRV srv
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 $SRVIP/24
bs_tap "$SRV" tap0 br0
bs_ns CLI cli
bs_veth "$SRV" v0 "$CLI" c0
bs_brport "$SRV" v0 br0

root=$BS_TMP/root
mkdir -p "$root"
cp --reflink=auto "$BS_ASSETS/vmlinuz" "$BS_ASSETS/initrd.img" "$root/"
[ -f /usr/lib/ipxe/undionly.kpxe ] && cp /usr/lib/ipxe/undionly.kpxe "$root/"
chmod -R a+rX "$root"

conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=br0
port=0
dhcp-range=10.231.250.100,10.231.250.150,255.255.255.0,12h
dhcp-host=$MAC,set:chainlab
# firmware that is not iPXE: the iPXE loader over TFTP first
dhcp-boot=tag:!ipxe,undionly.kpxe
# iPXE: its own script; iPXE expands \${net0/mac} in the file name
dhcp-boot=tag:ipxe,http://$SRVIP:$PORT/boot.ipxe?mac=\${net0/mac}
enable-tftp
tftp-root=$root
http-port=$PORT
ipxe-boot=tag:chainlab,kernel=vmlinuz,initrd=initrd.img,"cmdline=$BS_KCMDLINE_BASE bsmarker=ipxe-http"
ipxe-boot=local
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_tcp "$SRV" $PORT

# the chain's first step, for firmware that is not iPXE: DHCP -> TFTP loader
if [ -f "$root/undionly.kpxe" ]; then
  bs_udhcpc "$CLI" c0 "$BS_TMP/plain.lease" -V PXEClient:Arch:00000:UNDI:002001 ||
    bs_fail "plain DHCP client: no lease ($(tail -n3 "$BS_TMP/plain.lease.log"))"
  f=$(bs_lease_get "$BS_TMP/plain.lease" boot_file)
  [ "$f" = undionly.kpxe ] || bs_fail "a client that is not iPXE got boot file '$f', want undionly.kpxe"
  ip netns exec "$CLI" ip addr add "$(bs_lease_get "$BS_TMP/plain.lease" ip)/24" dev c0
  ip netns exec "$CLI" curl -sS --max-time 20 -o "$BS_TMP/undionly.got" "tftp://$SRVIP/undionly.kpxe" ||
    bs_fail "TFTP fetch of undionly.kpxe"
  bs_check "TFTP: undionly.kpxe whole" cmp -s "$root/undionly.kpxe" "$BS_TMP/undionly.got"
  ip netns exec "$CLI" ip addr flush dev c0
  bs_udhcpc "$CLI" c0 "$BS_TMP/ipxe.lease" -V PXEClient:Arch:00000:UNDI:002001 -x 0x4d:69505845 ||
    bs_fail "iPXE-like DHCP client: no lease"
  f=$(bs_lease_get "$BS_TMP/ipxe.lease" boot_file)
  [ "$f" = "http://$SRVIP:$PORT/boot.ipxe?mac=\${net0/mac}" ] ||
    bs_fail "a client with user class iPXE got boot file '$f'"
  bs_log "ok: DHCP: plain client -> undionly.kpxe (TFTP, whole), user class iPXE -> $f"
  tftp_dgrams=$(ip netns exec "$SRV" curl -sS --max-time 5 "http://$SRVIP:$PORT/metrics" |
    awk '$1 == "bootstorm_worker_rx_tftp_total" { print $2 }')
else
  bs_log "no /usr/lib/ipxe/undionly.kpxe (package ipxe): TFTP loader step skipped"
  tftp_dgrams=0
fi

bs_qemu_boot ipxe_http_chain "$SRV" tap0 $MAC ipxe-http "$TIMEOUT" bios ||
  bs_fail "no marker within ${TIMEOUT}s"

grep -qi "http: .*boot.ipxe for $MAC: kernel" "$BS_SERVER_LOG" ||
  bs_fail "the script was not asked for with mac=$MAC: $(grep 'boot.ipxe' "$BS_SERVER_LOG" | head -n3)"
bs_log "ok: $(grep -i "boot.ipxe for" "$BS_SERVER_LOG" | tail -n1 | sed 's/.*http: //')"
for f in vmlinuz initrd.img; do
  size=$(stat -c %s "$root/$f")
  grep -qE "http: [0-9.]+:[0-9]+: GET /$f 200, $size body bytes" "$BS_SERVER_LOG" ||
    bs_fail "$f was not served whole over HTTP: $(grep "/$f" "$BS_SERVER_LOG" | head -n3)"
  bs_log "ok: GET /$f 200, $size bytes over HTTP"
done
m=$(ip netns exec "$SRV" curl -sS --max-time 5 "http://$SRVIP:$PORT/metrics")
scripts=$(echo "$m" | awk '$1 == "bootstorm_http_ipxe_scripts_total" { print $2 }')
sent=$(echo "$m" | awk '$1 == "bootstorm_http_bytes_sent_total" { print $2 }')
tftp=$(echo "$m" | awk '$1 == "bootstorm_worker_rx_tftp_total" { print $2 }')
want=$(($(stat -c %s "$root/vmlinuz") + $(stat -c %s "$root/initrd.img")))
[ "${scripts:-0}" -ge 1 ] || bs_fail "metrics: http_ipxe_scripts=$scripts"
[ "${sent:-0}" -ge "$want" ] || bs_fail "metrics: http_bytes_sent=$sent < $want"
[ "${tftp:-1}" = "$tftp_dgrams" ] || bs_fail "metrics: the guest's boot sent $((tftp - tftp_dgrams)) TFTP datagrams"
bs_log "ok: metrics: ipxe scripts $scripts, http bytes $sent (kernel+initrd $want), no TFTP during the boot"
bs_pass
