#!/usr/bin/env bash
# The DPDK backend (docs/dpdk.md), beyond the shared integration tests:
#  1. net_af_packet on a veth, derived from interface=: a lease and a TFTP
#     download go through DPDK (its port counters move); the kernel, which
#     sees a copy of every frame, answers nothing: one OFFER and one ACK per
#     exchange, no ICMP port unreachable during TFTP, its socket copies
#     counted as drained; kill -9 during a download, restart, serves again.
#  2. A NIC the kernel does not see (net_af_xdp takes every frame of the
#     veth) with a net_tap exception interface holding the server's
#     address: DHCP and TFTP through DPDK, ping (ARP + ICMP) and HTTP (TCP)
#     through the exception path to the kernel; TFTP to an address given
#     to the tap after start is served through the kernel's socket until
#     bootstorm has seen the address; kill -9 takes the tap along, a
#     restart serves again through a new one.
#  3. Start-up errors: EAL arguments it rejects, port 67; daemon mode works
#     held by another server: exit 2 with the reason.
#  4. (run before 3) Two workers: net_af_packet with qpairs=2 and two
#     lcores; concurrent TFTP downloads spread over both, DHCP handed to
#     worker 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init dpdk
bs_require udhcpc tftp tcpdump curl ping
bs_peer_is_dnsmasq && { bs_log "bootstorm only"; exit 77; }

NET=10.231.47 XNET=10.231.48
bs_ns SRV srv
bs_ns CLI cli
mkdir -p "$BS_TMP/tftp"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$BS_TMP/tftp/big.bin"

# conf FILE INTERFACE PREFIX [more lines]: the server's config
# ping_tap: the client reaches the exception tap's address (ARP + ICMP
# through the exception path), retried while the tap comes up
ping_tap() {
  for _ in $(seq 20); do
    ip netns exec "$CLI" ping -c 1 -W 1 "$XNET.1" >/dev/null 2>&1 && return 0
  done
  return 1
}

conf() {
  local f=$1 ifc=$2 net=$3; shift 3
  {
    echo "interface=$ifc"
    echo "port=0"
    echo "dhcp-range=$net.100,$net.150,255.255.255.0,1h"
    echo "dhcp-boot=big.bin"
    echo "dhcp-leasefile=$BS_TMP/leases.$ifc"
    echo "enable-tftp"
    echo "tftp-root=$BS_TMP/tftp"
    echo "pid-file=$BS_TMP/server.pid"
    echo "control-socket=$BS_TMP/ctl.sock"
    for l in "$@"; do echo "$l"; done
  } >"$f"
}

start_dpdk() {
  bs_start_server "$SRV" "$1" --backend=dpdk
  bs_wait_log "$BS_SERVER_LOG" "started, version .* backend dpdk" 30 ||
    bs_fail "the dpdk backend did not start"
}

tftp_get() { # NS SERVER FILE OUT
  timeout 60 ip netns exec "$1" tftp -m binary "$2" -c get "$3" "$4"
}

# ---- 1. net_af_packet on a veth, derived from interface= ----
bs_veth "$SRV" s0 "$CLI" eth0
bs_addr "$SRV" s0 "$NET.1/24"
conf "$BS_TMP/pkt.conf" s0 "$NET"
start_dpdk "$BS_TMP/pkt.conf"
bs_check "EAL arguments derived from interface=" \
  grep -q "EAL arguments: .*--vdev=net_af_packet0,iface=s0" "$BS_SERVER_LOG"

bs_bg "$BS_TMP/dhcp.pcap.log" ip netns exec "$CLI" tcpdump -i eth0 -n -U --immediate-mode -w "$BS_TMP/dhcp.pcap" udp src port 67
dump=$BS_LAST_PID
sleep 1
bs_udhcpc "$CLI" eth0 "$BS_TMP/lease1" || bs_fail "no lease through DPDK"
ip1=$(bs_lease_get "$BS_TMP/lease1" ip)
bs_check "lease $ip1 in range" bs_ip_in_range "$ip1" "$NET.100" "$NET.150"
sleep 0.5
bs_stop "$dump"
n=$(tcpdump -n -r "$BS_TMP/dhcp.pcap" 2>/dev/null | wc -l)
bs_check "one OFFER and one ACK reached the client, nothing twice ($n replies)" test "$n" = 2

ip -n "$CLI" addr add "$ip1/24" dev eth0
bs_bg "$BS_TMP/icmp.pcap.log" ip netns exec "$CLI" tcpdump -i eth0 -n -U --immediate-mode -w "$BS_TMP/icmp.pcap" icmp
dump=$BS_LAST_PID
sleep 1
tftp_get "$CLI" "$NET.1" big.bin "$BS_TMP/got1.bin" || bs_fail "TFTP download failed"
bs_check "TFTP through DPDK byte-identical" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got1.bin"
sleep 0.5
bs_stop "$dump"
n=$(tcpdump -n -r "$BS_TMP/icmp.pcap" 2>/dev/null | wc -l)
bs_check "no ICMP (port unreachable) from the kernel during TFTP ($n)" test "$n" = 0
rx=$(bs_stat dpdk_s0_rx_pkts)
tx=$(bs_stat dpdk_s0_tx_pkts)
drained=$(bs_stat dpdk_kernel_drained)
bs_check "frames came in through the DPDK port ($rx)" test "${rx:-0}" -gt 1000
bs_check "frames went out through the DPDK port ($tx)" test "${tx:-0}" -gt 1000
bs_check "the kernel's copies were drained, not answered ($drained)" test "${drained:-0}" -gt 1000

# kill -9 in the middle of a download; the restart serves again
bs_kill9_while tftp_get "$CLI" "$NET.1" big.bin "$BS_TMP/got2.bin"
start_dpdk "$BS_TMP/pkt.conf"
tftp_get "$CLI" "$NET.1" big.bin "$BS_TMP/got3.bin" || bs_fail "TFTP after kill -9 + restart failed"
bs_check "serves again after kill -9 and a restart" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got3.bin"
bs_udhcpc "$CLI" eth0 "$BS_TMP/lease2" || bs_fail "no lease after the restart"
bs_check "same address after the restart" test "$(bs_lease_get "$BS_TMP/lease2" ip)" = "$ip1"
bs_stop_server

# ---- 2. a NIC the kernel does not see, exception path through a tap ----
bs_veth "$SRV" x0 "$CLI" eth1
ip -n "$CLI" addr add "$XNET.50/24" dev eth1
conf "$BS_TMP/exc.conf" bsx0 "$XNET" "http-port=8080" \
  "dpdk-args=--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 0 --log-level=notice --vdev=net_af_xdp0,iface=x0 --vdev=net_tap0,iface=bsx0"
start_dpdk "$BS_TMP/exc.conf"
bs_check "net_af_xdp port paired with the exception tap" \
  grep -q "net_af_xdp.*kernel interface bsx0 (exception tap)" "$BS_SERVER_LOG"
# what an operator's network configuration does once the tap exists
ip -n "$SRV" addr add "$XNET.1/24" dev bsx0
ip -n "$SRV" link set bsx0 up
ok=0
ping_tap && ok=1
bs_check "ping (ARP + ICMP) through the exception path" test $ok = 1
code=$(ip netns exec "$CLI" curl -s -m 20 -o "$BS_TMP/http.bin" -w '%{http_code}' "http://$XNET.1:8080/big.bin" || true)
bs_check "HTTP (TCP) through the exception path: $code" test "$code" = 200
bs_check "HTTP body byte-identical" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/http.bin"
# The tap's address is new to bootstorm (its interface table catches up
# within a second of the first frame for it): until then TFTP reaches it
# through the exception path and the kernel's socket, after that directly.
tftp_get "$CLI" "$XNET.1" big.bin "$BS_TMP/got4.bin" || bs_fail "TFTP over the af_xdp port failed"
bs_check "TFTP byte-identical" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got4.bin"
sleep 1.5
served=$(bs_stat dpdk_kernel_served)
tftp_get "$CLI" "$XNET.1" big.bin "$BS_TMP/got5.bin" || bs_fail "TFTP over the af_xdp port failed"
bs_check "TFTP through DPDK byte-identical" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got5.bin"
bs_check "... not through the kernel's socket (dpdk_kernel_served stays ${served:-?})" \
  test "$(bs_stat dpdk_kernel_served)" = "${served:-x}"
bs_udhcpc "$CLI" eth1 "$BS_TMP/lease3" || bs_fail "no lease over the af_xdp port"
bs_check "lease in the tap's subnet" bs_ip_in_range "$(bs_lease_get "$BS_TMP/lease3" ip)" "$XNET.100" "$XNET.150"
tok=$(bs_stat dpdk_rx_to_kernel)
fromk=$(bs_stat dpdk_exception_tx)
rx=$(bs_stat dpdk_bsx0_rx_pkts)
bs_check "frames not ours went to the kernel ($tok)" test "${tok:-0}" -gt 100
bs_check "the kernel's frames went out through the port ($fromk)" test "${fromk:-0}" -gt 100
bs_check "TFTP/DHCP frames through the port ($rx)" test "${rx:-0}" -gt 1000
# kill -9: the tap goes with the process (af_xdp's XDP program stays on
# x0 and is taken over by the next start); the restart makes a new tap
kill -9 "$BS_SERVER_PID"
wait "$BS_SERVER_PID" 2>/dev/null || true
BS_SERVER_PID=
for _ in $(seq 20); do ip -n "$SRV" link show bsx0 >/dev/null 2>&1 || break; sleep 0.1; done
bs_check "the exception tap went with the killed process" bash -c "! ip -n $SRV link show bsx0 >/dev/null 2>&1"
start_dpdk "$BS_TMP/exc.conf"
ip -n "$SRV" addr add "$XNET.1/24" dev bsx0
ip -n "$SRV" link set bsx0 up
ok=0
ping_tap && ok=1
bs_check "after kill -9 and a restart: ping through the new tap" test $ok = 1
tftp_get "$CLI" "$XNET.1" big.bin "$BS_TMP/got6.bin" || bs_fail "TFTP after the restart failed"
bs_check "after kill -9 and a restart: TFTP byte-identical" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got6.bin"
bs_stop_server

# ---- 4. two workers: af_packet with two queue pairs, two lcores ----
MNET=10.231.49
bs_veth "$SRV" m0 "$CLI" eth2
bs_addr "$SRV" m0 "$MNET.1/24"
ip -n "$CLI" addr add "$MNET.50/24" dev eth2
conf "$BS_TMP/mq.conf" m0 "$MNET" \
  "dpdk-args=--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 0-1 --log-level=notice --vdev=net_af_packet0,iface=m0,qpairs=2"
start_dpdk "$BS_TMP/mq.conf"
bs_check "two workers, one per queue" grep -q "dpdk: 2 workers, one per queue" "$BS_SERVER_LOG"
pids=()
for i in 1 2 3 4 5 6; do
  tftp_get "$CLI" "$MNET.1" big.bin "$BS_TMP/mq$i.bin" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || bs_fail "a concurrent TFTP download failed"; done
for i in 1 2 3 4 5 6; do
  cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/mq$i.bin" || bs_fail "download $i differs"
done
bs_log "ok: 6 concurrent downloads byte-identical"
bs_udhcpc "$CLI" eth2 "$BS_TMP/lease4" || bs_fail "no lease with two workers"
bs_check "lease in range" bs_ip_in_range "$(bs_lease_get "$BS_TMP/lease4" ip)" "$MNET.100" "$MNET.150"
r0=$(bs_stat worker0_rx_pkts)
r1=$(bs_stat worker1_rx_pkts)
bs_check "both workers received frames ($r0, $r1)" test "${r0:-0}" -gt 0 -a "${r1:-0}" -gt 0
bs_check "the kernel's copies drained there too" test "$(bs_stat dpdk_kernel_drained)" -gt 1000
bs_stop_server

# ---- 3. start-up errors reach the terminal and the exit status ----
conf "$BS_TMP/bad.conf" s0 "$NET" "dpdk-args=--no-huge -m 256 --no-such-eal-option"
rc=0
ip netns exec "$SRV" "$BS_SERVER" -C "$BS_TMP/bad.conf" -d --backend=dpdk >"$BS_TMP/bad.log" 2>&1 || rc=$?
bs_check "EAL refuses its arguments: exit 2 ($rc)" test "$rc" = 2
bs_check "... and says so" grep -q "EAL initialisation failed" "$BS_TMP/bad.log"
# daemon mode: EAL starts in the dataplane, which control forks after
# daemonizing, so it works like the other backends
rc=0
rm -f "$BS_TMP/server.pid"
ip netns exec "$SRV" "$BS_SERVER" -C "$BS_TMP/pkt.conf" --backend=dpdk \
  --log-facility="$BS_TMP/daemon.log" >"$BS_TMP/daemon.out" 2>&1 || rc=$?
bs_check "daemon mode starts: exit 0 ($rc)" test "$rc" = 0
bs_check "... pid file written" test -s "$BS_TMP/server.pid"
bs_check "... the dataplane serves through DPDK" grep -q "started, version .*backend dpdk" "$BS_TMP/daemon.log"
dpid=$(cat "$BS_TMP/server.pid" 2>/dev/null || echo 0)
kill "$dpid" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
bs_check "... and stops on SIGTERM" bash -c "! kill -0 $dpid 2>/dev/null"
# another DHCP server holds port 67: refused after EAL started, cleanly
bs_bg "$BS_TMP/holder.log" ip netns exec "$SRV" /usr/bin/python3 -c \
  'import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 67)); time.sleep(60)'
holder=$BS_LAST_PID
for _ in $(seq 50); do ip netns exec "$SRV" ss -Hlun 'sport = :67' | grep -q . && break; sleep 0.1; done
rc=0
ip netns exec "$SRV" "$BS_SERVER" -C "$BS_TMP/pkt.conf" -d --backend=dpdk >"$BS_TMP/busy.log" 2>&1 || rc=$?
bs_check "port 67 in use: exit 2 ($rc)" test "$rc" = 2
bs_check "... and says so" grep -q "port 67 in use" "$BS_TMP/busy.log"
bs_stop "$holder"
bs_pass
