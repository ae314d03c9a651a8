#!/usr/bin/env bash
# Backend choice and the AF_XDP fault case, on a veth pair:
#  * backend auto + interface= named -> AF_XDP; a DHCP client and a TFTP
#    download are served through it (the classifier's to_xsk counter moves)
#  * kill -9 in the middle of a TFTP transfer leaves no XDP program on the
#    interface (bpf_link), a restart attaches again and serves
#  * backend auto without interface= -> sockets, with one log line saying why
# Needs a build with AF_XDP (clang/bpftool/libbpf): meson registers it only there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init backend
bs_require udhcpc tftp ethtool
bs_peer_is_dnsmasq && { bs_log "bootstorm only"; exit 77; }

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" bs0 "$CLI" eth0
bs_addr "$SRV" bs0 10.231.21.1/24
mkdir -p "$BS_TMP/tftp"
head -c $((24 * 1024 * 1024)) /dev/urandom >"$BS_TMP/tftp/big.bin"
chmod -R a+rX "$BS_TMP/tftp"

conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=bs0
port=0
dhcp-range=10.231.21.100,10.231.21.150,255.255.255.0,1h
dhcp-boot=big.bin
dhcp-leasefile=$BS_TMP/leases
enable-tftp
tftp-root=$BS_TMP/tftp
pid-file=$BS_TMP/server.pid
CONF

bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_log "$BS_SERVER_LOG" "backend afxdp" 10 || bs_fail "auto with interface= did not pick AF_XDP"
bs_check "XDP program attached to bs0" bs_xdp_attached "$SRV" bs0

bs_udhcpc "$CLI" eth0 "$BS_TMP/lease1" || bs_fail "no lease through AF_XDP"
bs_check "lease in range" bs_ip_in_range "$(bs_lease_get "$BS_TMP/lease1" ip)" 10.231.21.100 10.231.21.150
ip -n "$CLI" addr add "$(bs_lease_get "$BS_TMP/lease1" ip)/24" dev eth0
ip netns exec "$CLI" tftp -m binary 10.231.21.1 -c get big.bin "$BS_TMP/got1.bin"
bs_check "TFTP through AF_XDP byte-identical" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got1.bin"
n=$(bs_stat afxdp_bs0_xdp_to_xsk_packets)
bs_check "frames went through the AF_XDP socket ($n)" test "${n:-0}" -gt 100

# kill -9 while a transfer is running
bs_kill9_during "$SRV" bs0 ip netns exec "$CLI" tftp -m binary 10.231.21.1 -c get big.bin "$BS_TMP/got2.bin"

bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_log "$BS_SERVER_LOG" "backend afxdp" 10 || bs_fail "restart after kill -9 did not attach AF_XDP"
ip netns exec "$CLI" tftp -m binary 10.231.21.1 -c get big.bin "$BS_TMP/got3.bin"
bs_check "serves again after the restart" cmp -s "$BS_TMP/tftp/big.bin" "$BS_TMP/got3.bin"
bs_stop_server

# auto without interface=: sockets, and the log says why
grep -v '^interface=' "$conf" >"$BS_TMP/noif.conf"
bs_start_server "$SRV" "$BS_TMP/noif.conf"
bs_wait_udp "$SRV" 67
bs_wait_log "$BS_SERVER_LOG" "backend auto: using sockets \\(no interface= named" 10 ||
  bs_fail "auto without interface= should say why it uses sockets"
bs_check "no XDP program without interface=" bash -c "! ip -n $SRV -d link show bs0 | grep -q prog/xdp"
bs_pass
