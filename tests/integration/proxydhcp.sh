#!/usr/bin/env bash
# proxyDHCP beside an address-only DHCP server on one L2 bridge:
#   addr ns : dnsmasq with only a dhcp-range (the "existing" DHCP server)
#   srv ns  : the server under test, dhcp-range=10.231.7.0,proxy + pxe-service
#   cli ns  : scapy PXE client (tests/lib/pxe_probe.py)
# A PXE DISCOVER (60 PXEClient, 93 arch 0, 94, 97 UUID) gets two offers: the
# address server's (yiaddr in its range) and the proxy's (yiaddr 0.0.0.0,
# option 60 "PXEClient", option 43). Then a DHCPREQUEST to the proxy's port
# 4011 gets an ACK with the boot file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init proxydhcp
bs_require /usr/bin/python3 /usr/sbin/dnsmasq
PROBE="/usr/bin/python3 $here/../lib/pxe_probe.py"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || bs_fail "python3-scapy missing (tests/deps.sh)"

PROXY_IP=10.231.7.1 ADDR_IP=10.231.7.2 CLI_IP=10.231.7.60
CLI_MAC=02:bb:00:00:07:01

bs_ns SRV srv
bs_ns ADR adr
bs_ns CLI cli
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 $PROXY_IP/24
bs_veth "$SRV" pa "$ADR" eth0
bs_brport "$SRV" pa br0
bs_veth "$SRV" pc "$CLI" eth0
bs_brport "$SRV" pc br0
bs_addr "$ADR" eth0 $ADDR_IP/24
ip -n "$CLI" link set eth0 address $CLI_MAC

# the address-only DHCP server is always dnsmasq (a peer, not under test)
bs_addr_only_dhcp "$ADR" 10.231.7
addr_pid=$BS_ADDR_PID

mkdir -p "$BS_TMP/tftp"
echo dummy >"$BS_TMP/tftp/pxelinux.0"
chmod -R a+rX "$BS_TMP/tftp"
conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
# proxyDHCP only: no addresses, boot information for PXE clients
interface=br0
port=0
dhcp-range=10.231.7.0,proxy,255.255.255.0
pxe-service=x86PC,"Network boot (test)",pxelinux
enable-tftp
tftp-root=$BS_TMP/tftp
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 4011

offers=$BS_TMP/offers.json
ip netns exec "$CLI" timeout 60 $PROBE discover eth0 $CLI_MAC --wait 8 --expect 2 >"$offers" 2>"$BS_TMP/probe.err" ||
  { cat "$BS_TMP/probe.err" >&2; bs_fail "no offers at all"; }
bs_log "offers:"; cat "$offers" >&2

jq_() { /usr/bin/python3 -c '
import json, sys
want_src, key = sys.argv[1], sys.argv[2]
for line in open(sys.argv[3]):
    d = json.loads(line)
    if d.get("server_id") == want_src or d.get("ip_src") == want_src:
        v = d
        for k in key.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        print("" if v is None else v)
        break
' "$@"; }

# address server's offer: proves both servers share the L2
a_yi=$(jq_ $ADDR_IP yiaddr "$offers")
bs_check "address server offered $a_yi from its range" bs_ip_in_range "$a_yi" 10.231.7.100 10.231.7.150

p_mt=$(jq_ $PROXY_IP msgtype "$offers")
bs_check "proxy answered the PXE DISCOVER with an OFFER (type $p_mt)" test "$p_mt" = 2
bs_check "proxy offer yiaddr is 0.0.0.0 (got $(jq_ $PROXY_IP yiaddr "$offers"))" test "$(jq_ $PROXY_IP yiaddr "$offers")" = 0.0.0.0
bs_check "proxy offer option 60 is PXEClient (got '$(jq_ $PROXY_IP opt60 "$offers")')" test "$(jq_ $PROXY_IP opt60 "$offers")" = PXEClient
bs_check "proxy offer has option 43" test -n "$(jq_ $PROXY_IP opt43 "$offers")"
bs_check "proxy offer server identifier is the proxy" test "$(jq_ $PROXY_IP server_id "$offers")" = $PROXY_IP

# boot server discovery on port 4011 (the client has its address by now)
ip -n "$CLI" addr add $CLI_IP/24 dev eth0
menu_type=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("server_id") == sys.argv[2]:
        m = d.get("menu") or []
        print(m[0]["type"] if m else 0)
        break
' "$offers" $PROXY_IP)
bs_log "proxy menu item type: $menu_type"
ack=$BS_TMP/ack4011.json
ip netns exec "$CLI" timeout 30 $PROBE request4011 $CLI_IP $PROXY_IP $CLI_MAC --type "${menu_type:-0}" >"$ack" 2>"$BS_TMP/probe4011.err" ||
  { cat "$ack" "$BS_TMP/probe4011.err" >&2; bs_fail "no answer on port 4011"; }
bs_log "4011 answer: $(cat "$ack")"
j() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2]) or "")' "$ack" "$1"; }
bs_check "4011 answer is an ACK (type $(j msgtype))" test "$(j msgtype)" = 5
bf=$(j file); [ -n "$bf" ] || bf=$(j opt67)
bs_check "4011 ACK carries the boot file pxelinux.0 (got '$bf')" test "$bf" = pxelinux.0
# dnsmasq echoes the client's ciaddr in yiaddr; never a new address
yi=$(j yiaddr)
bs_check "4011 ACK assigns no new address (yiaddr $yi is 0.0.0.0 or the client's own)" \
  test "$yi" = 0.0.0.0 -o "$yi" = $CLI_IP
bs_check "4011 ACK siaddr is the TFTP server ($PROXY_IP)" test "$(j siaddr)" = $PROXY_IP
bs_check "4011 ACK option 60 PXEClient" test "$(j opt60)" = PXEClient
bs_check "4011 ACK option 43 (boot item echoed)" test -n "$(j opt43)"
bs_check "4011 ACK sent from port 4011" test "$(j udp_sport)" = 4011
# PXE spec: the boot server echoes the client machine identifier (97)
bs_check "4011 ACK echoes option 97 (UUID)" test "$(j opt97)" = 00101112131415161718191a1b1c1d1e1f
bs_stop "$addr_pid"
bs_pass
