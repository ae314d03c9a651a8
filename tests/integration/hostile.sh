#!/usr/bin/env bash
# Hostile input: the real server (DHCP range + TFTP) in one namespace, scapy
# in another sending what a broken or malicious client sends:
#  * DHCP to 67: every truncation 0..300 bytes of a valid DISCOVER, option
#    lengths that run past the end, an option-52 overload loop, bad magic,
#    op=2, hlen=200, message type 99, 1472 bytes of garbage
#  * to 4011 (PXE boot server port): garbage and truncations
#  * TFTP to 69: unterminated RRQ, path traversal (../../etc/passwd, a real
#    file just outside the root, /etc/passwd, backslashes), a 300-byte name,
#    a name with \x01, WRQ, opcode 99, an ACK for no transfer
# Then: the server is still alive, udhcpc still gets a lease, tftp-hpa
# still fetches a file byte for byte, the traversal attempts got TFTP ERROR
# 1 or 2 and never DATA/OACK, and SIGUSR1's stats lines count the drops.
# With an ASan/UBSan build as $BOOTSTORM, sanitizer reports fail the test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init hostile
bs_require udhcpc tftp cmp ethtool /usr/bin/python3
/usr/bin/python3 -c 'import scapy' 2>/dev/null || bs_fail "python3-scapy missing (run tests/deps.sh)"

SRV_IP=10.231.230.1 CLI_IP=10.231.230.2
RANGE_LO=10.231.230.100 RANGE_HI=10.231.230.150

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 $SRV_IP/24
bs_addr "$CLI" c0 $CLI_IP/24

root=$BS_TMP/root
mkdir -p "$root/sub" "$BS_TMP/out"
head -c 100000 /dev/urandom >"$root/boot.bin"
echo "inside" >"$root/sub/inside.txt"
# a real file right outside the root: "../secret.txt" would find it
echo "SECRET-OUTSIDE-ROOT" >"$BS_TMP/secret.txt"
chmod -R a+rX "$root"

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
interface=s0
port=0
dhcp-range=$RANGE_LO,$RANGE_HI,255.255.255.0,1h
enable-tftp
tftp-root=$root
tftp-port-range=41000,41063
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69

alive() { kill -0 "$BS_SERVER_PID" 2>/dev/null; }

# ---- the hostile client ----------------------------------------------------
cat >"$BS_TMP/hostile.py" <<'PY'
import json, random, socket, struct, sys, threading, time
from scapy.all import Ether, IP, UDP, BOOTP, Raw, AsyncSniffer, conf, get_if_hwaddr, sendp, send

conf.verb = 0
srv, iface, cli_ip = sys.argv[1:4]
rnd = random.Random(20261125)
climac = get_if_hwaddr(iface)
MAC = bytes.fromhex("02bbe6000099")
BCAST = Ether(dst="ff:ff:ff:ff:ff:ff", src=climac) / IP(src="0.0.0.0", dst="255.255.255.255")
MAGIC = b"\x63\x82\x53\x63"

hdr = bytearray(bytes(BOOTP(op=1, htype=1, hlen=6, xid=0x0bad0bad, flags=0x8000,
                            chaddr=MAC + b"\0" * 10))[:236])
assert len(hdr) == 236

def dhcp(opts, h=hdr, magic=MAGIC):
    return bytes(h) + magic + opts

VALID_OPTS = b"\x35\x01\x01" + b"\x37\x04\x01\x03\x06\x43" + b"\xff"
# Padded so that every length 0..300 cuts it somewhere.
full = dhcp(VALID_OPTS) + b"\x00" * 80
dhcp67 = [full[:n] for n in range(0, 301)]

# option lengths that lie
dhcp67 += [
    dhcp(b"\x35\x01\x01\x0c\xffabc"),          # hostname says 255, has 3
    dhcp(b"\x35\xc8\x01\xff"),                  # message type with length 200
    dhcp(b"\x35\x01\x01\x37"),                  # length byte missing at the end
    dhcp(b"\x35\x01\x01" + b"\x3d\x40" + b"x" * 10),  # client id runs off the end
    dhcp(b"\x35\x01\x01" + b"\x2b\xff" + b"\x01\x02"),  # vendor options say 255
]
# option 52 overload loop: file and sname carry option 52 again, and a
# file area whose last option runs past its end into sname's
h = bytearray(hdr)
h[44:44 + 4] = b"\x34\x01\x03\xff"      # sname: overload again
h[108:108 + 4] = b"\x34\x01\x03\xff"    # file: overload again
dhcp67.append(dhcp(b"\x35\x01\x01\x34\x01\x03\xff", h))
h = bytearray(hdr)
h[108:236] = b"\x0c\x7f" + b"A" * 126   # hostname spilling out of file
h[44:108] = b"\x0c\x7f" + b"B" * 62
dhcp67.append(dhcp(b"\x35\x01\x01\x34\x01\x03\xff", h))
dhcp67.append(dhcp(b"\x35\x01\x01\x34\x01\x07\xff"))   # overload value 7
dhcp67.append(dhcp(b"\x35\x01\x01\x34\x01\x03\x34\x01\x03\xff"))  # 52 twice
dhcp67.append(dhcp(VALID_OPTS, magic=b"\x63\x82\x53\x64"))  # bad magic
dhcp67.append(dhcp(VALID_OPTS, magic=b"\0\0\0\0"))
h = bytearray(hdr); h[0] = 2                              # op=2 (BOOTREPLY)
dhcp67.append(dhcp(VALID_OPTS, h))
h = bytearray(hdr); h[2] = 200                            # hlen=200
dhcp67.append(dhcp(VALID_OPTS, h))
h = bytearray(hdr); h[0] = 7; h[1] = 99                   # unknown op, htype
dhcp67.append(dhcp(VALID_OPTS, h))
dhcp67.append(dhcp(b"\x35\x01\x63\xff"))                  # message type 99
dhcp67.append(dhcp(b"\x35\x01\x00\xff"))                  # message type 0
dhcp67.append(bytes(rnd.getrandbits(8) for _ in range(1472)))  # garbage blob
dhcp67.append(b"\x01" * 1472)

pxe4011 = [bytes(rnd.getrandbits(8) for _ in range(1472)), b"", b"\x01",
           full[:100], full[:239], dhcp(VALID_OPTS, magic=b"\xde\xad\xbe\xef"),
           dhcp(b"\x35\x01\x03\x3c\xff" + b"PXEClient")]

frames = [BCAST / UDP(sport=68, dport=67) / Raw(p) for p in dhcp67]
frames += [Ether(dst="ff:ff:ff:ff:ff:ff", src=climac) / IP(src=cli_ip, dst=srv) /
           UDP(sport=68, dport=4011) / Raw(p) for p in pxe4011]
# Paced a little: this tests parsing, not the socket buffer.
sendp(frames, iface=iface, inter=0.001)

# ---- TFTP: every case from its own client port, replies captured ---------
def rrq(name, mode=b"octet", opts=b""):
    return b"\x00\x01" + name + b"\0" + mode + b"\0" + opts

cases = [
    # (label, payload, kind); kind "traversal": replies must be ERROR 1/2
    ("unterminated RRQ", b"\x00\x01boot.bin", "nodata"),
    ("unterminated mode", b"\x00\x01boot.bin\0octet", "nodata"),
    ("RRQ ../../etc/passwd", rrq(b"../../etc/passwd"), "traversal"),
    ("RRQ ../secret.txt (exists)", rrq(b"../secret.txt"), "traversal"),
    ("RRQ sub/../../secret.txt", rrq(b"sub/../../secret.txt"), "traversal"),
    ("RRQ ..\\secret.txt", rrq(b"..\\secret.txt"), "traversal"),
    ("RRQ /etc/passwd", rrq(b"/etc/passwd"), "traversal"),
    ("RRQ ../../etc/passwd + options", rrq(b"../../etc/passwd", opts=b"tsize\x000\x00blksize\x001468\x00"), "traversal"),
    ("RRQ 300-byte name", rrq(b"a" * 300), "error"),
    ("RRQ name with \\x01", rrq(b"boot\x01.bin"), "error"),
    ("WRQ", b"\x00\x02upload.bin\0octet\0", "error"),
    ("opcode 99", b"\x00\x63boot.bin\0octet\0", "error"),
    ("ACK for no transfer", b"\x00\x04\x00\x01", "error"),
    ("one byte", b"\x00", "nodata"),
    ("empty", b"", "nodata"),
]
ports = {41500 + i: c for i, c in enumerate(cases)}
# Bound, so the client kernel takes the replies quietly (no ICMP back).
socks = []
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((cli_ip, p))
    socks.append(s)

started = threading.Event()
sn = AsyncSniffer(iface=iface, store=True, started_callback=started.set,
                  lfilter=lambda p: IP in p and UDP in p and p[IP].src == srv
                  and p[UDP].dport in ports)
sn.start()
started.wait(5)
time.sleep(0.2)
for p, (label, payload, kind) in ports.items():
    send(IP(src=cli_ip, dst=srv) / UDP(sport=p, dport=69) / Raw(payload))
    time.sleep(0.01)
time.sleep(2.5)
sn.stop()

replies = {p: [] for p in ports}
for pkt in sn.results:
    b = bytes(pkt[UDP].payload)
    op = struct.unpack("!H", b[:2])[0] if len(b) >= 2 else -1
    code = struct.unpack("!H", b[2:4])[0] if op == 5 and len(b) >= 4 else None
    replies[pkt[UDP].dport].append({"op": op, "code": code, "sport": pkt[UDP].sport,
                                    "msg": b[4:].split(b"\0")[0].decode("ascii", "replace") if op == 5 else ""})

fail = []
for p, (label, payload, kind) in ports.items():
    r = replies[p]
    got = ", ".join(f"op {x['op']}" + (f" code {x['code']} '{x['msg']}'" if x["op"] == 5 else "") for x in r) or "nothing"
    print(f"  {label}: {got}", file=sys.stderr)
    if any(x["op"] in (3, 6) for x in r):
        fail.append(f"{label}: got DATA/OACK")
    if kind == "traversal" and (not r or any(x["op"] != 5 or x["code"] not in (1, 2) for x in r)):
        fail.append(f"{label}: expected TFTP ERROR 1 or 2, got {got}")
    if kind == "error" and (not r or any(x["op"] != 5 for x in r)):
        fail.append(f"{label}: expected a TFTP ERROR, got {got}")
print(json.dumps({"dhcp_sent": len(dhcp67), "pxe_sent": len(pxe4011),
                  "tftp_cases": len(cases), "fail": fail}))
sys.exit(1 if fail else 0)
PY

bs_log "sending hostile packets"
res=$(timeout 120 ip netns exec "$CLI" /usr/bin/python3 "$BS_TMP/hostile.py" $SRV_IP c0 $CLI_IP 2>"$BS_TMP/hostile.err") || {
  cat "$BS_TMP/hostile.err" >&2
  bs_fail "hostile client: ${res:-no output}"
}
cat "$BS_TMP/hostile.err" >&2
bs_log "hostile client: $res"
bs_check "TFTP traversal/bad requests answered with ERROR, never DATA" true

sleep 0.5
bs_check "server alive after the hostile packets" alive

# ---- normal clients still served --------------------------------------------
bs_udhcpc "$CLI" c0 "$BS_TMP/c.lease" || bs_fail "udhcpc got no lease after the hostile packets (log: $(tail -3 "$BS_TMP/c.lease.log"))"
ip1=$(bs_lease_get "$BS_TMP/c.lease" ip)
bs_check "udhcpc lease $ip1 in $RANGE_LO-$RANGE_HI" bs_ip_in_range "$ip1" $RANGE_LO $RANGE_HI

timeout 60 ip netns exec "$CLI" tftp -m binary $SRV_IP -c get boot.bin "$BS_TMP/out/boot.bin" >"$BS_TMP/tftp.log" 2>&1 || true
bs_check "tftp-hpa fetches boot.bin byte for byte" cmp -s "$root/boot.bin" "$BS_TMP/out/boot.bin"
bs_check "server alive after the normal clients" alive

# ---- the counters saw the drops -----------------------------------------------
if bs_peer_is_dnsmasq; then
  bs_log "relaxed (BS_PEER=dnsmasq): bootstorm stats not checked"
else
  kill -USR1 "$BS_SERVER_PID"
  bs_wait_log "$BS_SERVER_LOG" 'stats:.* tftp_refused_path=' 5 || bs_fail "no stats lines after SIGUSR1"
  sleep 0.2
  stat() { grep -o " $1=[0-9]*" "$BS_SERVER_LOG" | tail -n1 | cut -d= -f2; }
  for c in dhcp_drop_malformed dhcp_drop_unsupported tftp_refused_path tftp_malformed \
    tftp_err_illegal tftp_unknown_tid worker_tftp_malformed worker_dhcp_drop_malformed; do
    v=$(stat $c)
    bs_check "counter $c = ${v:-missing} > 0" test "${v:-0}" -gt 0
  done
  grep 'stats:' "$BS_SERVER_LOG" | tail -n 8 >&2
fi

# a sanitizer build reports and may go on (UBSan) instead of dying
if grep -qE 'runtime error:|AddressSanitizer|LeakSanitizer' "$BS_SERVER_LOG"; then
  grep -E -A5 'runtime error:|AddressSanitizer' "$BS_SERVER_LOG" | head -40 >&2
  bs_fail "sanitizer report in the server log"
fi
bs_check "server alive at the end" alive
bs_pass
