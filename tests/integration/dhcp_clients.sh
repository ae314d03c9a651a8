#!/usr/bin/env bash
# Full DHCP server on a bridge; real clients in their own namespaces:
#  * busybox udhcpc gets an address in the range and the boot file name
#  * ISC dhclient does too (-sf script dumps the lease variables)
#  * a dhcp-host reservation MAC gets its reserved address (outside the range)
#  * the lease file survives a server restart: same MAC -> same address
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init dhcp_clients
bs_require udhcpc dhclient ethtool

RANGE_LO=10.231.1.100 RANGE_HI=10.231.1.150
RES_MAC=02:bb:00:00:01:77 RES_IP=10.231.1.77
MAC1=02:bb:00:00:01:01 MAC2=02:bb:00:00:01:02

bs_ns SRV srv
bs_ns C1 c1
bs_ns C2 c2
bs_ns C3 c3
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 10.231.1.1/24
for i in 1 2 3; do
  ns=C$i
  bs_veth "$SRV" "p$i" "${!ns}" eth0
  bs_brport "$SRV" "p$i" br0
done
ip -n "$C1" link set eth0 address "$MAC1"
ip -n "$C2" link set eth0 address "$MAC2"
ip -n "$C3" link set eth0 address "$RES_MAC"

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
# full DHCP server, no DNS, no TFTP
interface=br0
port=0
dhcp-range=$RANGE_LO,$RANGE_HI,255.255.255.0,12h
dhcp-host=$RES_MAC,$RES_IP
# boot file by tags: iPXE user class (77) first, then client arch (93) 7
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:efi64,option:client-arch,7
dhcp-boot=tag:ipxe,boot.ipxe
dhcp-boot=tag:efi64,tag:!ipxe,bootx64.efi
dhcp-boot=tag:!efi64,tag:!ipxe,pxelinux.0
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
EOF

bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67

# 1. udhcpc
bs_udhcpc "$C1" eth0 "$BS_TMP/c1.lease" || bs_fail "udhcpc got no lease (log: $(tail -3 "$BS_TMP/c1.lease.log"))"
ip1=$(bs_lease_get "$BS_TMP/c1.lease" ip)
bf1=$(bs_lease_get "$BS_TMP/c1.lease" boot_file)
bs_log "udhcpc: ip=$ip1 boot_file=$bf1"
bs_check "udhcpc address $ip1 in $RANGE_LO-$RANGE_HI" bs_ip_in_range "$ip1" $RANGE_LO $RANGE_HI
bs_check "udhcpc boot file is pxelinux.0 (got '$bf1')" test "$bf1" = pxelinux.0

# 2. dhclient (ISC), foreground, one try; the -sf script writes the lease
# vars (dhclient clears the environment: the output path is baked in)
out2=$BS_TMP/c2.lease
cat >"$BS_TMP/dhclient-script" <<EOF
#!/bin/sh
case "\$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    env | grep -E '^(reason|interface|new_[a-z_]+)=' | sed "s/=\\(.*\\)/='\\1'/" >"$out2.tmp"
    mv "$out2.tmp" "$out2" ;;
esac
exit 0
EOF
chmod 755 "$BS_TMP/dhclient-script"
cat >"$BS_TMP/dhclient.conf" <<'EOF'
timeout 30;
retry 1;
request subnet-mask, broadcast-address, routers;
EOF
bs_bg "$BS_TMP/dhclient.log" ip netns exec "$C2" dhclient -4 -1 -d -v -cf "$BS_TMP/dhclient.conf" \
  -sf "$BS_TMP/dhclient-script" -lf "$BS_TMP/dhclient.leases" \
  -pf "$BS_TMP/dhclient.pid" eth0
dhpid=$BS_LAST_PID
bs_wait_file "$BS_TMP/c2.lease" 40 || { tail -n 20 "$BS_TMP/dhclient.log" >&2; bs_fail "dhclient got no lease"; }
bs_stop "$dhpid"
ip2=$(bs_lease_get "$BS_TMP/c2.lease" new_ip_address)
bf2=$(bs_lease_get "$BS_TMP/c2.lease" new_filename)
bs_log "dhclient: ip=$ip2 filename=$bf2"
bs_check "dhclient address $ip2 in range" bs_ip_in_range "$ip2" $RANGE_LO $RANGE_HI
bs_check "dhclient filename is pxelinux.0 (got '$bf2')" test "$bf2" = pxelinux.0
bs_check "two clients got different addresses" test "$ip1" != "$ip2"

# 2b. tags from client options, same client (MAC2) asking differently
bs_udhcpc "$C2" eth0 "$BS_TMP/c2-efi.lease" -V PXEClient:Arch:00007:UNDI:003000 -x 0x5d:0007 ||
  bs_fail "udhcpc with arch 7 got no lease"
bf=$(bs_lease_get "$BS_TMP/c2-efi.lease" boot_file)
bs_check "client arch 7 (dhcp-match option:client-arch) gets bootx64.efi (got '$bf')" test "$bf" = bootx64.efi
bs_check "same MAC keeps its address ($(bs_lease_get "$BS_TMP/c2-efi.lease" ip))" \
  test "$(bs_lease_get "$BS_TMP/c2-efi.lease" ip)" = "$ip2"
bs_udhcpc "$C2" eth0 "$BS_TMP/c2-ipxe.lease" -x 0x4d:69505845 -x 0x5d:0007 ||
  bs_fail "udhcpc with user class iPXE got no lease"
bf=$(bs_lease_get "$BS_TMP/c2-ipxe.lease" boot_file)
bs_check "user class iPXE (dhcp-userclass) wins over arch: boot.ipxe (got '$bf')" test "$bf" = boot.ipxe

# 3. reservation
bs_udhcpc "$C3" eth0 "$BS_TMP/c3.lease" || bs_fail "reserved client got no lease"
ip3=$(bs_lease_get "$BS_TMP/c3.lease" ip)
bs_check "dhcp-host $RES_MAC got $RES_IP (got $ip3)" test "$ip3" = "$RES_IP"

# 4. lease file survives a restart
# journal-aware lease lookup (dnsmasq file or bootstorm journal)
lease_has() { /usr/bin/python3 "$here/../lib/leases.py" has "$BS_TMP/leases" "$1" "$2" 2>/dev/null; }
for i in $(seq 50); do lease_has "$MAC1" "$ip1" && break; sleep 0.1; done
bs_check "lease file records $MAC1 -> $ip1" lease_has "$MAC1" "$ip1"
cp "$BS_TMP/leases" "$BS_TMP/leases.before"
bs_stop_server
bs_check "lease file still has $MAC1 after stop" lease_has "$MAC1" "$ip1"
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
# a fresh DISCOVER (no requested-address option): only the server's memory
# of the lease can give the same address back
bs_udhcpc "$C1" eth0 "$BS_TMP/c1b.lease" || bs_fail "udhcpc after restart got no lease"
ip1b=$(bs_lease_get "$BS_TMP/c1b.lease" ip)
bs_check "same MAC same address after restart ($ip1 -> $ip1b)" test "$ip1" = "$ip1b"
bs_check "lease of dhclient's MAC still in file after restart" lease_has "$MAC2" "$ip2"

# 5. renew (unicast REQUEST from the bound address, ciaddr set) and release
ev=$BS_TMP/c1.events
cat >"$BS_TMP/udhcpc-cfg.sh" <<EOF
#!/bin/sh
case "\$1" in
  bound|renew)
    ip addr flush dev "\$interface"
    ip addr add "\$ip/\${mask:-24}" dev "\$interface"
    echo "\$1 \$ip" >>"$ev" ;;
  deconfig)
    ip addr flush dev "\$interface"
    echo "deconfig" >>"$ev" ;;
esac
exit 0
EOF
chmod 755 "$BS_TMP/udhcpc-cfg.sh"
: >"$ev"
bs_bg "$BS_TMP/udhcpc-bg.log" ip netns exec "$C1" udhcpc -f -i eth0 -s "$BS_TMP/udhcpc-cfg.sh" -t 6 -T 3
ucpid=$BS_LAST_PID
bs_wait_log "$ev" "^bound $ip1\$" 30 || bs_fail "background udhcpc not bound to $ip1 ($(cat "$ev"))"
bs_log "ok: background udhcpc bound to $ip1, address configured"
# "ip netns exec" execs udhcpc: the pid is udhcpc's own
kill -USR1 "$ucpid"
bs_wait_log "$ev" "^renew $ip1\$" 20 ||
  bs_fail "renew (unicast REQUEST) not ACKed ($(cat "$ev"); $(tail -3 "$BS_TMP/udhcpc-bg.log"))"
bs_log "ok: unicast renew of $ip1 ACKed"
kill -USR2 "$ucpid"
bs_wait_log "$BS_TMP/udhcpc-bg.log" "release|Release" 10 || bs_fail "udhcpc did not release"
released=0
for i in $(seq 50); do lease_has "$MAC1" "$ip1" || { released=1; break; }; sleep 0.1; done
bs_check "after DHCPRELEASE the lease file no longer binds $MAC1 -> $ip1" test $released = 1
bs_stop "$ucpid"
bs_pass
