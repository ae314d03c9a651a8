#!/usr/bin/python3
"""Send IPv6 router advertisements (no prefix, router lifetime 0, M=O=0) on
IFACE every INTERVAL seconds until killed (at most MAX seconds).

iPXE runs IPv6 autoconfiguration beside DHCPv4 and only goes on once it got
a router advertisement or its ~16 s wait ran out; without an RA every iPXE
boot spends those seconds idle. This RA tells it "no IPv6 router, nothing to
configure", so a boot's duration shows the DHCP/TFTP path instead. Link-local
only (ff02::1 from a fe80:: address), sent only on a tap in a test netns.

  ra.py IFACE [INTERVAL=0.5] [MAX=300]
"""
import sys
import time

from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, get_if_hwaddr, sendp, conf  # noqa

conf.verb = 0
iface = sys.argv[1]
interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
t_max = float(sys.argv[3]) if len(sys.argv) > 3 else 300
mac = get_if_hwaddr(iface)
b = bytes.fromhex(mac.replace(":", ""))
eui = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
ll = "fe80::" + ":".join("%x" % int.from_bytes(eui[i:i + 2], "big") for i in range(0, 8, 2))
ra = (Ether(src=mac, dst="33:33:00:00:00:01") /
      IPv6(src=ll, dst="ff02::1", hlim=255) /
      ICMPv6ND_RA(M=0, O=0, routerlifetime=0) /
      ICMPv6NDOptSrcLLAddr(lladdr=mac))
t_end = time.time() + t_max
while time.time() < t_end:
    try:
        sendp(ra, iface=iface)
    except OSError:
        pass  # tap without carrier until QEMU opens it
    time.sleep(interval)
