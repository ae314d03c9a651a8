#!/usr/bin/env bash
# AF_XDP with one worker per rx queue, on a 4-queue veth pair:
#  * the server starts 4 workers (log line, per-worker counters)
#  * a DHCP client gets a lease (DHCP is worker 0's: frames on other queues
#    are handed off to it)
#  * 16 concurrent TFTP downloads (tftp-hpa and atftp, each its own client
#    port, so veth spreads them over the queues) are byte-identical, and the
#    per-worker counters show that more than one worker received traffic
#  * kill -9 leaves no XDP program; a restart attaches again and serves
#  * with 2 transfer ports only 2 workers serve TFTP; the others hand
#    their RRQs over and every reply still leaves through AF_XDP
# Needs a build with AF_XDP: meson registers it only there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init multiqueue
bs_require udhcpc tftp atftp ethtool cmp
bs_peer_is_dnsmasq && { bs_log "bootstorm only"; exit 77; }
NQ=4
SRV_IP=10.231.40.1

bs_ns SRV srv
bs_ns CLI cli
ip link add mq0 netns "$SRV" numtxqueues $NQ numrxqueues $NQ type veth \
  peer name c0 netns "$CLI" numtxqueues $NQ numrxqueues $NQ || bs_fail "multi-queue veth"
for end in "$SRV mq0" "$CLI c0"; do
  set -- $end
  ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
  ip -n "$1" link set "$2" up
done
bs_addr "$SRV" mq0 $SRV_IP/24

root=$BS_TMP/root
mkdir -p "$root" "$BS_TMP/out"
head -c $((3 * 1024 * 1024 + 333)) /dev/urandom >"$root/img.bin"
head -c 70000 /dev/urandom >"$root/small.bin"
chmod -R a+rX "$root"

conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=mq0
port=0
dhcp-range=10.231.40.100,10.231.40.150,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
enable-tftp
tftp-root=$root
tftp-port-range=41000,41999
pid-file=$BS_TMP/server.pid
CONF

# workers whose counter $1 (worker<k>_$1) is above 0, from the newest dump
busy_workers() {
  local n=0 k v
  kill -USR1 "$BS_SERVER_PID"
  sleep 0.3
  for k in $(seq 0 $((NQ - 1))); do
    v=$(grep -o " worker${k}_$1=[0-9]*" "$BS_SERVER_LOG" | tail -n1 | cut -d= -f2)
    [ "${v:-0}" -gt 0 ] && n=$((n + 1))
  done
  echo $n
}

bs_start_server "$SRV" "$conf" --backend=afxdp
bs_wait_udp "$SRV" 67
bs_wait_log "$BS_SERVER_LOG" "afxdp: $NQ workers, one per rx queue" 10 ||
  bs_fail "no worker per queue"
bs_check "XDP program attached to mq0" bs_xdp_attached "$SRV" mq0
bs_check "TFTP split over the workers" grep -q "TFTP served by $NQ workers" "$BS_SERVER_LOG"

bs_udhcpc "$CLI" c0 "$BS_TMP/lease1" || bs_fail "no lease"
ip=$(bs_lease_get "$BS_TMP/lease1" ip)
bs_check "lease in range ($ip)" bs_ip_in_range "$ip" 10.231.40.100 10.231.40.150
ip -n "$CLI" addr add "$ip/24" dev c0

# Many clients at once: each process has its own port, so veth picks a
# queue per flow; ACKs landing on a worker that does not own the transfer
# port are handed off.
download_all() { # $1: tag
  local pids=() i
  for i in $(seq 1 12); do
    timeout 120 ip netns exec "$CLI" tftp -m binary $SRV_IP -c get img.bin \
      "$BS_TMP/out/$1-hpa$i.bin" >/dev/null 2>&1 &
    pids+=($!)
  done
  for i in $(seq 1 4); do
    timeout 120 ip netns exec "$CLI" atftp --option "blksize 1400" -g -r small.bin \
      -l "$BS_TMP/out/$1-at$i.bin" $SRV_IP >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  for i in $(seq 1 12); do
    cmp -s "$root/img.bin" "$BS_TMP/out/$1-hpa$i.bin" || { bs_log "$1-hpa$i differs"; return 1; }
  done
  for i in $(seq 1 4); do
    cmp -s "$root/small.bin" "$BS_TMP/out/$1-at$i.bin" || { bs_log "$1-at$i differs"; return 1; }
  done
}
bs_check "16 concurrent TFTP downloads byte-identical" download_all a

done=$(bs_stat tftp_done)
bs_check "tftp_done counts every transfer ($done)" test "${done:-0}" -ge 16
n=$(busy_workers rx_pkts)
bs_check "more than one worker received frames ($n of $NQ)" test "$n" -ge 2
n=$(busy_workers rx_tftp)
bs_check "more than one worker served TFTP ($n of $NQ)" test "$n" -ge 2
for c in worker_handoff_drop_full worker_handoff_drop_too_big afxdp_tx_kernel_errors; do
  v=$(bs_stat $c)
  bs_check "$c is 0" test "${v:-x}" = 0
done
bs_log "handoffs: $(bs_stat worker_handoff_out) out, $(bs_stat worker_handoff_in) in"
v=$(bs_stat worker_handoff_out)
bs_check "what was handed off was taken in" test "$v" = "$(bs_stat worker_handoff_in)"

# kill -9 while a transfer runs: the bpf_link goes with the process
bs_kill9_during "$SRV" mq0 timeout 60 ip netns exec "$CLI" tftp -m binary $SRV_IP -c get img.bin \
  "$BS_TMP/out/killed.bin"

bs_start_server "$SRV" "$conf" --backend=afxdp
bs_wait_udp "$SRV" 69
bs_wait_log "$BS_SERVER_LOG" "afxdp: $NQ workers, one per rx queue" 10 ||
  bs_fail "restart after kill -9: no worker per queue"
bs_check "after the restart: 16 concurrent downloads byte-identical" download_all b
bs_udhcpc "$CLI" c0 "$BS_TMP/lease2" || bs_fail "no lease after the restart"
bs_stop_server

# Fewer transfer ports than workers: 2 workers serve TFTP, what arrives on
# the other two (RRQs, ACKs) is handed to them, and every reply still
# leaves through AF_XDP, none through the kernel. (All downloads come from
# one client address, so this does not force the owner to learn the MAC
# from a hand-off: any frame from the client on the owner's queue does.)
sed 's/^tftp-port-range=.*/tftp-port-range=41000,41001/' "$conf" >"$BS_TMP/two.conf"
bs_start_server "$SRV" "$BS_TMP/two.conf" --backend=afxdp
bs_wait_udp "$SRV" 69
bs_wait_log "$BS_SERVER_LOG" "TFTP served by 2 workers" 10 || bs_fail "2 transfer ports: not 2 TFTP workers"
bs_check "2 transfer ports: 16 concurrent downloads byte-identical" download_all c
h=$(( $(bs_stat worker2_handoff_out) + $(bs_stat worker3_handoff_out) ))
bs_check "workers 2 and 3 (no TFTP) handed their frames over ($h)" test "$h" -gt 0
v=$(bs_stat worker2_rx_tftp)$(bs_stat worker3_rx_tftp)
bs_check "workers 2 and 3 served no TFTP themselves" test "$v" = 00
v=$(bs_stat afxdp_tx_kernel)
bs_check "no reply went through the kernel (afxdp_tx_kernel=$v)" test "${v:-x}" = 0
bs_stop_server
bs_pass
