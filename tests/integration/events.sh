#!/usr/bin/env bash
# integration: the control socket's events stream (docs/control.md).
#   * a udhcpc lease + a TFTP download give, for that client's MAC and in
#     this order: dhcp-discover, dhcp-offer (with the boot file),
#     dhcp-request, dhcp-ack, tftp-start (file, size), tftp-done (all
#     bytes), then http-done for an HTTP GET (200, all bytes) and a 404;
#     both in --json and in bootstormctl's human lines
#   * a subscriber that never reads does not stop the service: under a
#     perfdhcp load, DHCP and TFTP still answer, the server counts events
#     it could not deliver (ctl_events_lost > 0), and the reading
#     subscriber gets a {"event":"lost"} line only if it lost some itself
#   * bad events requests (bad MAC, unknown type, garbage) get JSON errors
#     and the connection and server stay usable
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init events
bs_require udhcpc tftp curl perfdhcp /usr/bin/python3

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.147.1/24

sock=$BS_TMP/ctl.sock
root=$BS_TMP/root
mkdir -p "$root"
head -c 300000 /dev/urandom >"$root/pxelinux.0"
chmod -R a+rX "$root"
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=s0
port=0
dhcp-range=10.231.147.10,10.231.147.250,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
dhcp-boot=pxelinux.0
enable-tftp
tftp-root=$root
http-port=8080
pid-file=$BS_TMP/server.pid
control-socket=$sock
CONF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_ctl_wait "$sock"

mac=$(ip netns exec "$CLI" cat /sys/class/net/c0/address)

# --- subscribers: one filtered (--json), one human, one that never reads --
"$BS_CTL" -s "$sock" events --json --mac "$mac" >"$BS_TMP/ev.json" 2>"$BS_TMP/ev.err" &
sub_json=$!
BS_PIDS+=("$sub_json")
"$BS_CTL" -s "$sock" events >"$BS_TMP/ev.txt" 2>&1 &
sub_txt=$!
BS_PIDS+=("$sub_txt")
/usr/bin/python3 - "$sock" "$BS_TMP/drain" >"$BS_TMP/stuck.log" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills fast
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"events"}\n')
while not os.path.exists(sys.argv[2]):  # does not read until told to
    time.sleep(0.1)
s.settimeout(3)
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        sys.stdout.buffer.write(b)
except socket.timeout:
    pass
PY
stuck=$!
BS_PIDS+=("$stuck")
for _ in $(seq 50); do
  [ "$(bs_ctl_stat ctl_subscribers)" = 3 ] && break; sleep 0.1
done
bs_check "three subscribers registered" test "$(bs_ctl_stat ctl_subscribers)" = 3

# --- one client's boot: DHCP, then TFTP from its leased address ---------
bs_udhcpc "$CLI" c0 "$BS_TMP/lease1" || bs_fail "udhcpc got no lease"
ip=$(bs_lease_get "$BS_TMP/lease1" ip)
ip netns exec "$CLI" ip addr add "$ip/24" dev c0
timeout 30 ip netns exec "$CLI" tftp -m binary 10.231.147.1 -c get pxelinux.0 "$BS_TMP/got.0" ||
  bs_fail "tftp download failed"
cmp -s "$root/pxelinux.0" "$BS_TMP/got.0" || bs_fail "tftp download differs"
ip netns exec "$CLI" curl -sS --max-time 20 -o "$BS_TMP/got.http" http://10.231.147.1:8080/pxelinux.0 ||
  bs_fail "HTTP download failed"
ip netns exec "$CLI" curl -s --max-time 20 -o /dev/null http://10.231.147.1:8080/missing.efi || true
bs_log "client $mac got $ip and pxelinux.0 (TFTP and HTTP)"
bs_wait_log "$BS_TMP/ev.json" '"status":404' 10 || bs_fail "no http-done 404 event ($(cat "$BS_TMP/ev.json" "$BS_TMP/ev.err"))"
cat "$BS_TMP/ev.json" >&2
/usr/bin/python3 - "$BS_TMP/ev.json" "$mac" "$ip" <<'PY' || bs_fail "event sequence for $mac"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
mac, ip = sys.argv[2], sys.argv[3]
assert all(e["mac"] == mac for e in evs), "filter let another MAC through"
names = [e["event"] for e in evs]
want = ["dhcp-discover", "dhcp-offer", "dhcp-request", "dhcp-ack", "tftp-start", "tftp-done",
        "http-done"]
pos = [names.index(w) for w in want]
assert pos == sorted(pos), ("order", names)
by = {e["event"]: e for e in evs}
assert by["dhcp-offer"]["ip"] == ip and by["dhcp-offer"]["file"] == "pxelinux.0", by["dhcp-offer"]
assert by["dhcp-ack"]["ip"] == ip and by["dhcp-ack"]["file"] == "pxelinux.0", by["dhcp-ack"]
assert by["tftp-start"]["file"] == "pxelinux.0" and by["tftp-start"]["total"] == 300000, by["tftp-start"]
d = by["tftp-done"]
assert d["ip"] == ip and d["bytes"] == d["total"] == 300000, d
h = [e for e in evs if e["event"] == "http-done"]
assert len(h) == 2, h
assert h[0]["file"].endswith("pxelinux.0") and h[0]["status"] == 200 and h[0]["bytes"] == 300000, h
assert h[1]["file"].endswith("missing.efi") and h[1]["status"] == 404, h
ts = [e["time_ms"] for e in evs]
assert ts == sorted(ts), "time goes backwards"
PY
bs_log "ok: discover, offer, request, ack, tftp-start, tftp-done, http-done for $mac, in order"
bs_wait_log "$BS_TMP/ev.txt" "tftp-done" 5 || true
bs_check "human lines: the ACK with the client's MAC and IP" \
  grep -qE "$mac +${ip//./\\.} +dhcp-ack +pxelinux\.0" "$BS_TMP/ev.txt"
bs_check "human lines: the TFTP download complete" \
  grep -qE "$mac +${ip//./\\.} +tftp-done +pxelinux\.0 +300000/300000 bytes \(100%\)" "$BS_TMP/ev.txt"

# --- load while one subscriber never reads -------------------------------
ip netns exec "$CLI" ip addr flush dev c0
bs_addr "$CLI" c0 10.231.147.2/24
timeout 60 ip netns exec "$CLI" perfdhcp -4 -l c0 -r 400 -R 200 -p 6 -W 2000000 \
  >"$BS_TMP/perf.out" 2>&1 || true
acks=$(awk '/REQUEST-ACK/ { x = 1 } x && /^received packets:/ { print $3; exit }' "$BS_TMP/perf.out")
bs_log "perfdhcp with a stuck subscriber: $acks ACKs"
bs_check "DHCP answered under load with a stuck subscriber (ACKs: ${acks:-none})" \
  test "${acks:-0}" -gt 1000
kill -0 "$stuck" 2>/dev/null || bs_fail "the stuck subscriber's process ended early"
lost=$(bs_ctl_stat ctl_events_lost)
bs_check "events the stuck subscriber could not take are counted ($lost)" test "$lost" -gt 0
ip netns exec "$CLI" ip addr flush dev c0
ip netns exec "$CLI" ip addr add "$ip/24" dev c0
timeout 30 ip netns exec "$CLI" tftp -m binary 10.231.147.1 -c get pxelinux.0 "$BS_TMP/got2.0" ||
  bs_fail "tftp failed while a subscriber is stuck"
bs_check "TFTP still serves with a stuck subscriber" cmp -s "$root/pxelinux.0" "$BS_TMP/got2.0"
bs_check "status still answers" bs_ctl status
kill -0 "$sub_json" 2>/dev/null || bs_fail "the --json subscriber ended ($(cat "$BS_TMP/ev.err"))"
# the stuck one reads at last: what it missed is announced, not hidden
touch "$BS_TMP/drain"
bs_wait_log "$BS_TMP/stuck.log" '"event":"lost"' 10 || true
lost=$(bs_ctl_stat ctl_events_lost) # the server's count: all subscribers' losses
/usr/bin/python3 - "$BS_TMP/stuck.log" "$lost" <<'PY' || bs_fail "the slow subscriber's lost line"
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
evs = [json.loads(l) for l in lines[1:] if l.strip()]
n = sum(e["count"] for e in evs if e["event"] == "lost")
assert 0 < n <= int(sys.argv[2]), (n, sys.argv[2])
print(f"{len(evs)} lines, {n} events reported lost", file=sys.stderr)
PY
bs_log "ok: the slow subscriber is told how many events it lost"

# --- bad requests: JSON errors, the connection stays usable ---------------
/usr/bin/python3 - "$sock" <<'PY' || bs_fail "bad events requests"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def ask(line):
    f.write(line + b"\n"); f.flush()
    return json.loads(f.readline())
for bad, why in [(b'{"cmd":"events","mac":"zz:zz"}', "mac"),
                 (b'{"cmd":"events","types":"dhcp,bogus"}', "types"),
                 (b'{"cmd":"events","mac":["x"]}', "nested"),
                 (b'{"cmd":"events","filter":"x"}', "unknown member"),
                 (b'\x00\xffgarbage{', "bad request")]:
    r = ask(bad)
    assert r["ok"] is False and why in r["error"], (bad, r)
r = ask(b'{"cmd":"status"}')
assert r["ok"] is True, r
r = ask(b'{"cmd":"events","types":"dhcp-ack"}')
assert r == {"ok": True, "events": "subscribed"}, r
PY
bs_log "ok: bad events requests get JSON errors; the connection stays usable"
bs_check "server still running" kill -0 "$BS_SERVER_PID"
bs_pass
