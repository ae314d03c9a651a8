#!/usr/bin/python3
"""PXE client probe (scapy): what a PXE ROM does against DHCP + proxyDHCP.

  pxe_probe.py discover IFACE MAC [--wait 5] [--arch 0]
      broadcast DHCPDISCOVER with option 60 "PXEClient:Arch:...", 93 (arch),
      94 (UNDI), 97 (UUID); print every OFFER seen as one JSON line each.
  pxe_probe.py request4011 SRC_IP PROXY_IP MAC [--type N] [--arch 0]
      DHCPREQUEST from SRC_IP:68 to PROXY_IP:4011 (boot server discovery,
      option 43 sub 71 boot item TYPE/layer 0); print the answer as JSON.

Run inside the client namespace. Exit 0 when at least one answer came.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

UUID = bytes(range(0x10, 0x20))


def pxe_opts(arch):
    vci = "PXEClient:Arch:%05d:UNDI:002001" % arch
    return [
        (60, vci.encode()),
        (93, struct.pack("!H", arch)),
        (94, b"\x01\x02\x01"),
        (97, b"\x00" + UUID),
    ]


def decode_opts(raw):
    """raw DHCP options (after the magic cookie) -> {code: bytes}."""
    out = {}
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 255:
            break
        if c == 0:
            i += 1
            continue
        n = raw[i + 1]
        out[c] = out.get(c, b"") + raw[i + 2:i + 2 + n]
        i += 2 + n
    return out


def decode_bootp(pkt):
    op, htype, hlen, hops, xid, secs, flags = struct.unpack("!BBBBIHH", pkt[:12])
    ciaddr, yiaddr, siaddr, giaddr = (socket.inet_ntoa(pkt[o:o + 4]) for o in (12, 16, 20, 24))
    chaddr = pkt[28:28 + 6].hex(":")
    sname = pkt[44:108].split(b"\0")[0].decode(errors="replace")
    bfile = pkt[108:236].split(b"\0")[0].decode(errors="replace")
    opts = decode_opts(pkt[240:]) if pkt[236:240] == b"\x63\x82\x53\x63" else {}
    d = {
        "op": op, "xid": xid, "ciaddr": ciaddr, "yiaddr": yiaddr, "siaddr": siaddr,
        "giaddr": giaddr, "chaddr": chaddr, "sname": sname, "file": bfile,
        "msgtype": opts.get(53, b"\0")[0],
        "server_id": socket.inet_ntoa(opts[54]) if 54 in opts else None,
        "opt60": opts[60].decode(errors="replace") if 60 in opts else None,
        "opt43": opts[43].hex() if 43 in opts else None,
        "opt67": opts[67].split(b"\0")[0].decode(errors="replace") if 67 in opts else None,
        "opt97": opts[97].hex() if 97 in opts else None,
        "options": sorted(opts),
    }
    if 43 in opts:
        d["pxe_sub"] = {str(k): v.hex() for k, v in decode_opts(opts[43]).items()}
        menu = decode_opts(opts[43]).get(9)
        items = []
        j = 0
        while menu and j + 3 <= len(menu):
            t, ln = struct.unpack("!HB", menu[j:j + 3])
            items.append({"type": t, "desc": menu[j + 3:j + 3 + ln].decode(errors="replace")})
            j += 3 + ln
        d["menu"] = items
    return d


def build_bootp(mac, xid, msgtype, ciaddr="0.0.0.0", extra=(), arch=0, flags=0x8000):
    hdr = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, flags)
    hdr += socket.inet_aton(ciaddr) + b"\0" * 12
    hdr += bytes.fromhex(mac.replace(":", "")) + b"\0" * 10
    hdr += b"\0" * 192 + b"\x63\x82\x53\x63"
    opts = [(53, bytes([msgtype]))] + pxe_opts(arch) + list(extra)
    opts.append((55, bytes([1, 3, 43, 60, 66, 67, 97, 128, 129, 130])))
    body = b"".join(bytes([c, len(v)]) + v for c, v in opts) + b"\xff"
    return hdr + body


def cmd_discover(a):
    from scapy.all import AsyncSniffer, Ether, IP, UDP, Raw, sendp, conf  # noqa
    conf.verb = 0
    xid = int.from_bytes(os.urandom(4), "big")
    payload = build_bootp(a.mac, xid, 1, arch=a.arch)
    frame = (Ether(src=a.mac, dst="ff:ff:ff:ff:ff:ff") /
             IP(src="0.0.0.0", dst="255.255.255.255") /
             UDP(sport=68, dport=67) / Raw(payload))
    got = []
    servers = set()

    def on_pkt(p):
        if UDP in p and len(bytes(p[UDP].payload)) >= 240:
            raw = bytes(p[UDP].payload)
            d = decode_bootp(raw)
            if d["xid"] == xid and d["op"] == 2:
                got.append(p)
                servers.add(p[IP].src)

    sn = AsyncSniffer(iface=a.iface, filter="udp and dst port 68", store=False, prn=on_pkt)
    sn.start()
    time.sleep(0.5)
    t_end = time.time() + a.wait
    while time.time() < t_end and len(servers) < a.expect:
        sendp(frame, iface=a.iface)  # retransmit like a ROM does
        t_next = min(t_end, time.time() + 2.0)
        while time.time() < t_next and len(servers) < a.expect:
            time.sleep(0.05)
    time.sleep(0.3)  # late duplicates
    sn.stop()
    n = 0
    seen = set()
    for p in got:
        if UDP not in p:
            continue
        raw = bytes(p[UDP].payload)
        if len(raw) < 240:
            continue
        d = decode_bootp(raw)
        if d["xid"] != xid or d["op"] != 2:
            continue
        d["ip_src"] = p[IP].src
        d["udp_sport"] = p[UDP].sport
        key = (d["ip_src"], d["msgtype"])
        if key in seen:
            continue
        seen.add(key)
        print(json.dumps(d))
        n += 1
    return 0 if n else 1


def cmd_request4011(a):
    xid = int.from_bytes(os.urandom(4), "big")
    extra = [(43, bytes([71, 4]) + struct.pack("!HH", a.type, 0) + b"\xff")]
    payload = build_bootp(a.mac, xid, 3, ciaddr=a.src, extra=extra, arch=a.arch, flags=0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.src, 68))
    s.settimeout(2.0)
    for _ in range(4):
        s.sendto(payload, (a.proxy, 4011))
        try:
            while True:
                pkt, frm = s.recvfrom(2048)
                d = decode_bootp(pkt)
                if d["xid"] != xid:
                    continue
                d["ip_src"], d["udp_sport"] = frm
                print(json.dumps(d))
                return 0
        except socket.timeout:
            continue
    print(json.dumps({"error": "no answer from %s:4011" % a.proxy}))
    return 1


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    d = sp.add_parser("discover")
    d.add_argument("iface")
    d.add_argument("mac")
    d.add_argument("--wait", type=float, default=5)
    d.add_argument("--arch", type=int, default=0)
    d.add_argument("--expect", type=int, default=99,
                   help="stop early once this many servers answered")
    r = sp.add_parser("request4011")
    r.add_argument("src")
    r.add_argument("proxy")
    r.add_argument("mac")
    r.add_argument("--type", type=int, default=0)
    r.add_argument("--arch", type=int, default=0)
    a = ap.parse_args()
    return cmd_discover(a) if a.cmd == "discover" else cmd_request4011(a)


if __name__ == "__main__":
    sys.exit(main())
