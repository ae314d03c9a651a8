#!/usr/bin/env bash
# integration: the control socket and bootstormctl against a running
# server with DHCP, client in its own namespace (udhcpc):
#   socket mode 0600; status, stats, hosts; a lease udhcpc got shows in
#   `leases` (table and --json, filters); `config check` (a bad file ->
#   file:line diagnostics, exit 1; a good one -> exit 0); `reload` (a new
#   dhcp-host appears, a broken config is refused and the running one kept);
#   garbage on the socket (invalid JSON, a 1 MiB line, binary, a client that
#   sends many requests and never reads) -> error lines, and the next
#   bootstormctl is answered; `lease release` frees the lease and the lease
#   journal still has it freed after a restart; the socket file is removed
#   when the server exits.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init ctl
bs_require udhcpc /usr/bin/python3
bs_beside CTL "${BOOTSTORMCTL:-}" bootstormctl "set BOOTSTORMCTL"

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.251.1/24

sock=$BS_TMP/ctl.sock
conf=$BS_TMP/server.conf
write_conf() {
  cat >"$conf" <<CONF
interface=s0
port=0
dhcp-range=10.231.251.100,10.231.251.150,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
control-socket=$sock
dhcp-host=52:54:00:aa:bb:01,10.231.251.20,fixedhost,set:lab
CONF
}
write_conf
ctl() { timeout 20 "$CTL" -s "$sock" "$@"; }
start() {
  bs_start_server "$SRV" "$conf"
  bs_wait_udp "$SRV" 67
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || bs_fail "no control socket at $sock"
}
start

bs_check "socket mode 0600" test "$(stat -c %a "$sock")" = 600
out=$(ctl status) || bs_fail "status failed"
bs_check "status names the backend and pid" \
  grep -qE "^pid +$BS_SERVER_PID\$" <<<"$out"
ctl --json status | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["ok"] is True and r["dhcp"] is True and r["leases"] == 0, r
assert r["config"].endswith("server.conf"), r
' || bs_fail "status --json"
bs_log "ok: status --json"

out=$(ctl hosts) || bs_fail "hosts failed"
bs_check "hosts lists the dhcp-host with its tag" \
  grep -qE '^52:54:00:aa:bb:01 +10\.231\.251\.20 +fixedhost +lab' <<<"$out"

# a lease, as a client gets it
mac=$(ip netns exec "$CLI" cat /sys/class/net/c0/address)
bs_udhcpc "$CLI" c0 "$BS_TMP/lease1" || bs_fail "udhcpc got no lease"
ip=$(bs_lease_get "$BS_TMP/lease1" ip)
bs_log "client $mac got $ip"
out=$(ctl leases) || bs_fail "leases failed"
echo "$out" >&2
bs_check "leases shows the client's IP and MAC" \
  grep -qE "^${ip//./\\.} +$mac +bound " <<<"$out"
ctl --json leases | python3 -c '
import json, sys
r = json.load(sys.stdin)
l = [x for x in r["leases"] if x["ip"] == sys.argv[1]]
assert r["ok"] is True and len(l) == 1, r
assert l[0]["mac"] == sys.argv[2] and l[0]["state"] == "bound" and l[0]["expires"] > r["now"], l
' "$ip" "$mac" || bs_fail "leases --json"
bs_log "ok: leases --json"
bs_check "leases --mac filters in" grep -q "$ip" <<<"$(ctl leases --mac "$mac")"
bs_check "leases --ip filters out" test "$(ctl leases --ip 10.231.251.99 | wc -l)" = 1
out=$(ctl stats) || bs_fail "stats failed"
bs_check "stats counts the DHCP packets" grep -qE '^worker_rx_dhcp +[1-9]' <<<"$out"
bs_check "stats --json is an object of numbers" python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["ok"] and all(isinstance(v, int) for v in r["stats"].values()) and len(r["stats"]) > 10
' "$(ctl --json stats)"

# config check: diagnostics with file:line, exit status
printf 'interface=s0\ndhcp-range=10.231.251.5\nno-such-directive=1\n' >"$BS_TMP/bad.conf"
set +e
out=$(ctl config check "$BS_TMP/bad.conf" 2>&1); rc=$?
set -e
echo "$out" >&2
bs_check "config check of a bad file exits 1" test $rc = 1
bs_check "config check names file:line" grep -q "bad.conf:2: error:" <<<"$out"
bs_check "config check names the unknown directive's line" grep -q "bad.conf:3:" <<<"$out"
bs_check "config check of the running file passes" ctl config check "$conf"

# reload: a new host appears; a broken config is refused
echo "dhcp-host=52:54:00:aa:bb:02,10.231.251.21,newhost" >>"$conf"
bs_check "reload" ctl reload
bs_check "reload applied the new host" grep -q newhost <<<"$(ctl hosts)"
bs_check "reload counted like SIGHUP" grep -qE '^worker_reloads +1$' <<<"$(ctl stats)"
echo "dhcp-range=bogus" >>"$conf"
set +e
out=$(ctl reload 2>&1); rc=$?
set -e
bs_check "reload of a broken config exits 1" test $rc = 1
bs_check "reload of a broken config says where" grep -q "server.conf:9:" <<<"$out"
bs_check "the running config is kept" grep -q newhost <<<"$(ctl hosts)"
write_conf

# garbage on the socket
python3 - "$sock" <<'PY' || bs_fail "garbage on the socket"
import json, socket, sys, time

path = sys.argv[1]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s.makefile("rb", buffering=0), s

def ask(f, data):
    s.sendall(data)
    line = f.readline()
    r = json.loads(line)
    assert r["ok"] is False and r["error"], r
    return r["error"]

f, s = conn()
for bad in (b"not json\n", b"{\"cmd\":\n", b"\x00\xff\xfe\x01\n", b"[1,2,3]\n",
            b"{\"cmd\":\"status\",\"x\":[[[[[[[[1]]]]]]]]}\n", b"{\"cmd\":\"shutdown\"}\n"):
    print("garbage", bad[:20], "->", ask(f, bad))
print("1 MiB line ->", ask(f, b"x" * (1 << 20) + b"\n"))
s.sendall(b'{"cmd":"status"}\n')
assert json.loads(f.readline())["ok"] is True
s.close()

# a client that sends many requests and never reads its answers
hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
hog.connect(path)
hog.setblocking(False)
sent, t0 = 0, time.time()
while time.time() - t0 < 3:
    try:
        sent += hog.send(b'{"cmd":"stats"}\n' * 64)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break  # disconnected already
print("hog queued", sent, "bytes")
# meanwhile the server answers others
f, s = conn()
t1 = time.time()
s.sendall(b'{"cmd":"status"}\n')
assert json.loads(f.readline())["ok"] is True
assert time.time() - t1 < 2, "status took too long while a client hogged"
s.close()
# and drops the hog once it has not read for 5 s (checked once a second)
time.sleep(7)
hog.setblocking(True)
hog.settimeout(5)
try:
    while hog.recv(1 << 20):
        pass
    print("hog disconnected")
except ConnectionResetError:
    print("hog reset")
PY
bs_log "ok: garbage answered with errors, hog disconnected"
bs_check "the server still answers bootstormctl" ctl status >/dev/null
kill -0 "$BS_SERVER_PID" || bs_fail "server died"

# lease release goes through the journal
set +e
ctl lease release 10.231.251.99 2>/dev/null; rc=$?
set -e
bs_check "releasing an address nobody holds exits 1" test $rc = 1
bs_check "the journal has the lease" \
  python3 "$BS_REPO/tests/lib/leases.py" has "$BS_TMP/leases" "$mac" "$ip"
bs_check "lease release" ctl lease release "$ip"
bs_check "the lease is gone" test "$(ctl leases --ip "$ip" | wc -l)" = 1
bs_check "the journal has it freed" \
  bash -c "! python3 '$BS_REPO/tests/lib/leases.py' has '$BS_TMP/leases' '$mac' '$ip'"
bs_stop_server
bs_check "the socket file is removed at exit" test ! -e "$sock"
start
bs_check "still gone after a restart" test "$(ctl leases | wc -l)" = 1
bs_pass
