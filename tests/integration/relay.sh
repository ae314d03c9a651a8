#!/usr/bin/env bash
# DHCP through a relay: client subnet 10.231.6.0/24 -- relay (ISC dhcrelay,
# giaddr 10.231.6.1) -- server subnet 10.231.5.0/24. The server has a range
# in each subnet; the relayed client must get one from the giaddr subnet's
# range, with the boot file. A client on the server's own subnet still gets
# an address from the local range.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init relay
bs_require dhcrelay udhcpc

bs_ns SRV srv
bs_ns RLY rly
bs_ns CLI cli
bs_ns LOC loc
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 10.231.5.1/24
bs_veth "$SRV" p0 "$RLY" up0
bs_brport "$SRV" p0 br0
bs_veth "$SRV" p1 "$LOC" eth0
bs_brport "$SRV" p1 br0
bs_veth "$RLY" down0 "$CLI" eth0
bs_addr "$RLY" up0 10.231.5.2/24
bs_addr "$RLY" down0 10.231.6.1/24
ip netns exec "$RLY" sysctl -qw net.ipv4.ip_forward=1
# replies go to giaddr 10.231.6.1: the server routes to it via the relay
ip -n "$SRV" route add 10.231.6.0/24 via 10.231.5.2

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
interface=br0
port=0
# local subnet
dhcp-range=10.231.5.100,10.231.5.150,255.255.255.0,12h
# relayed subnet (no local interface in it: matched by giaddr)
dhcp-range=10.231.6.100,10.231.6.150,255.255.255.0,12h
dhcp-boot=pxelinux.0
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67

bs_bg "$BS_TMP/dhcrelay.log" ip netns exec "$RLY" dhcrelay -4 -d -id down0 -iu up0 10.231.5.1
relay_pid=$BS_LAST_PID
bs_wait_udp "$RLY" 67

bs_udhcpc "$CLI" eth0 "$BS_TMP/cli.lease" ||
  { tail -n 20 "$BS_TMP/dhcrelay.log" >&2; bs_fail "relayed client got no lease"; }
ip=$(bs_lease_get "$BS_TMP/cli.lease" ip)
sid=$(bs_lease_get "$BS_TMP/cli.lease" serverid)
bf=$(bs_lease_get "$BS_TMP/cli.lease" boot_file)
mask=$(bs_lease_get "$BS_TMP/cli.lease" subnet)
bs_log "relayed client: ip=$ip serverid=$sid mask=$mask boot_file=$bf"
bs_check "relayed client got $ip from the giaddr range 10.231.6.100-150" bs_ip_in_range "$ip" 10.231.6.100 10.231.6.150
bs_check "server identifier is the server (10.231.5.1)" test "$sid" = 10.231.5.1
bs_check "netmask of the relayed range" test "$mask" = 255.255.255.0
bs_check "boot file through the relay" test "$bf" = pxelinux.0
grep -qiE 'forwarded BOOTREQUEST|BOOTREPLY' "$BS_TMP/dhcrelay.log" &&
  bs_log "ok: dhcrelay log shows relayed packets"

bs_udhcpc "$LOC" eth0 "$BS_TMP/loc.lease" || bs_fail "local client got no lease"
ip2=$(bs_lease_get "$BS_TMP/loc.lease" ip)
bs_check "local client got $ip2 from the local range" bs_ip_in_range "$ip2" 10.231.5.100 10.231.5.150
bs_stop "$relay_pid"
bs_pass
