#!/usr/bin/env bash
# integration: an ACKed lease survives kill -9 (docs/leasefile.md, group
# commit: the batch's leases are fdatasync'ed before its ACKs are sent).
#
# bootstorm runs as two processes (docs/architecture.md "Processes"): the
# control process owns the lease journal, the dataplane it forks answers
# DHCP and waits for control's group commit before an ACK leaves.
# perfdhcp keeps a steady DORA load (-r 300) on the server while one of the
# two is killed with SIGKILL at a random moment: odd rounds kill the
# dataplane (control restarts it; it replays the journal), even rounds
# kill the control process (the dataplane dies with it; the server is
# started again on the same lease file). Each round brings new clients
# (its own base MAC, 60 of them), so the kill lands while first-time
# bindings are being committed and ACKed, not only renewals of leases
# already on disk. tcpdump on the client side records every reply
# the server sent; after each restart the ACKs seen so far (DHCPACK yiaddr +
# chaddr, parsed with scapy) are checked against the journal as the
# restarted server sees it (tests/lib/leases.py replays it):
#   * for every address, the last client it was ACKed to holds it;
#   * no address is held by two MACs, and no address was ACKed to a second
#     MAC while the first one's lease was live (12 h: none expire here).
# Knobs: BS_CRASH_RATE (300), BS_CRASH_CLIENTS (60 per round),
#        BS_CRASH_ROUNDS (4; rounds x clients must fit in 241 addresses).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init lease_crash
bs_require perfdhcp tcpdump /usr/bin/python3
/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || bs_fail "missing python3-scapy (run tests/deps.sh)"
bs_peer_is_dnsmasq && { echo "SKIP: the journal checks are bootstorm's" >&2; exit 77; }

RATE=${BS_CRASH_RATE:-300}
CLIENTS=${BS_CRASH_CLIENTS:-60}
ROUNDS=${BS_CRASH_ROUNDS:-4}
LEASES="/usr/bin/python3 $here/../lib/leases.py"

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.254.1/24
bs_addr "$CLI" c0 10.231.254.2/24

leases=$BS_TMP/leases
conf=$BS_TMP/server.conf
cat >"$conf" <<EOF2
interface=s0
port=0
# 241 addresses for $ROUNDS x $CLIENTS perfdhcp clients: the pool never runs dry
dhcp-range=10.231.254.10,10.231.254.250,255.255.255.0,12h
dhcp-leasefile=$leases
pid-file=$BS_TMP/server.pid
EOF2

# every reply the server sends (perfdhcp is a relay: server port 67 -> 67)
pcap=$BS_TMP/replies.pcap
bs_bg "$BS_TMP/tcpdump.log" ip netns exec "$CLI" tcpdump -n -U -i c0 -w "$pcap" \
  'udp and src host 10.231.254.1 and src port 67'
TCPDUMP_PID=$BS_LAST_PID
bs_wait_log "$BS_TMP/tcpdump.log" 'listening on' 10 || bs_fail "tcpdump did not start"

# check.py PCAP JOURNAL: the ACKs in PCAP against the journal's live leases.
cat >"$BS_TMP/check.py" <<'PY'
import subprocess, sys
from scapy.all import PcapReader, BOOTP, DHCP

pcap, journal, leases_py, kills_file = sys.argv[1:5]
kills = [float(x) for x in open(kills_file).read().split()]
last_mac = {}   # ip -> MAC of the last ACK for it
first = set()   # MACs seen ACKed
acks = new_near_kill = 0
violations = []
try:
    reader = PcapReader(pcap)
except Exception:      # nothing captured yet
    reader = []
for p in reader:
    if not p.haslayer(DHCP):
        continue
    if not any(o == ("message-type", 5) for o in p[DHCP].options):
        continue
    b = p[BOOTP]
    mac = ":".join("%02x" % x for x in bytes(b.chaddr)[:6])
    ip = b.yiaddr
    acks += 1
    if mac not in first:
        first.add(mac)
        # a first-time binding ACKed in the last second before a kill
        if any(0 <= k - float(p.time) < 1.0 for k in kills):
            new_near_kill += 1
    if ip in last_mac and last_mac[ip] != mac:
        # perfdhcp never releases and leases last 12 h: a second MAC means
        # the server forgot the first binding
        violations.append("%s ACKed to %s, earlier to %s" % (ip, mac, last_mac[ip]))
    last_mac[ip] = mac
out = subprocess.run([sys.executable, leases_py, "active", journal],
                     capture_output=True, text=True, check=True).stdout
held = {}
for line in out.splitlines():
    mac, ip = line.split()
    if ip in held:
        violations.append("%s held by %s and %s" % (ip, held[ip], mac))
    held[ip] = mac
missing = [(ip, m) for ip, m in last_mac.items() if held.get(ip) != m]
for ip, m in missing[:10]:
    violations.append("ACKed %s -> %s not in journal (journal: %s)" % (m, ip, held.get(ip)))
if len(missing) > 10:
    violations.append("... %d more ACKed leases missing" % (len(missing) - 10))
for v in violations[:20]:
    print("violation:", v, file=sys.stderr)
print("acks=%d acked_addresses=%d new_bindings_acked_<1s_before_a_kill=%d "
      "leases_present=%d missing=%d violations=%d"
      % (acks, len(last_mac), new_near_kill, len(held), len(missing), len(violations)))
sys.exit(1 if violations else 0)
PY

check() { # WHEN
  local res
  # flush what tcpdump holds (-U writes each packet; give it a moment)
  sleep 0.5
  res=$(/usr/bin/python3 "$BS_TMP/check.py" "$pcap" "$leases" "$here/../lib/leases.py" "$kills") ||
    bs_fail "$1: $res"
  local conflicts
  conflicts=$($LEASES check "$leases") || bs_fail "$1: journal replay: $conflicts"
  bs_log "ok: $1: $res"
  LAST_RES=$res
}

kills=$BS_TMP/kills   # wall-clock time of each kill (pcap timestamps are too)
: >"$kills"
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
total_kills=0 dp_kills=0 ctl_kills=0
# dataplane_of PID: the dataplane process the control process PID forked
dataplane_of() { pgrep -P "$1" -x bootstorm | head -n1 || true; }
for round in $(seq "$ROUNDS"); do
  bs_bg "$BS_TMP/perfdhcp.$round.out" timeout 30 ip netns exec "$CLI" \
    perfdhcp -4 -l c0 -r "$RATE" -R "$CLIENTS" -b "mac=52:54:00:0$round:00:00" -p 8 10.231.254.1
  perf=$BS_LAST_PID
  # a random moment 0.3 .. 1.5 s into the load: new clients still binding
  delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + 1.2 * r / 32767 }')
  sleep "$delay"
  kill -0 "$BS_SERVER_PID" 2>/dev/null || bs_fail "server died before the kill (round $round)"
  # the pid bs_start_server has is ip-netns-exec's, which execs the server
  # (the control process); the dataplane is its child
  dp=$(dataplane_of "$BS_SERVER_PID")
  [ -n "$dp" ] || bs_fail "round $round: no dataplane process under $BS_SERVER_PID"
  if [ $((round % 2)) = 1 ]; then
    kill -9 "$dp"
    date +%s.%N >>"$kills"
    bs_log "round $round: kill -9 of the dataplane ($dp) after ${delay}s of load"
    dp_kills=$((dp_kills + 1))
    # control forks a new one (back-off 200 ms)
    for _ in $(seq 100); do
      new=$(dataplane_of "$BS_SERVER_PID")
      [ -n "$new" ] && [ "$new" != "$dp" ] && break
      sleep 0.1
    done
    [ -n "$new" ] && [ "$new" != "$dp" ] || bs_fail "round $round: control did not restart the dataplane"
    bs_wait_log "$BS_SERVER_LOG" 'dataplane restarted' 5 || bs_fail "round $round: no restart logged"
    bs_stop "$perf"
  else
    kill -9 "$BS_SERVER_PID"
    date +%s.%N >>"$kills"
    wait "$BS_SERVER_PID" 2>/dev/null || true
    bs_log "round $round: kill -9 of the control process after ${delay}s of load"
    ctl_kills=$((ctl_kills + 1))
    # the dataplane must notice (PR_SET_PDEATHSIG) and go
    for _ in $(seq 50); do
      kill -0 "$dp" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$dp" 2>/dev/null && bs_fail "round $round: dataplane $dp outlived the control process"
    bs_stop "$perf"
    bs_start_server "$SRV" "$conf"
  fi
  total_kills=$((total_kills + 1))
  bs_wait_udp "$SRV" 67
  bs_wait_log "$BS_SERVER_LOG" 'lease' 2 || true
  check "after restart $round"
done
bs_stop_server
bs_stop "$TCPDUMP_PID"
check "final"
acks=$(sed -n 's/.*acks=\([0-9]*\).*/\1/p' <<<"$LAST_RES")
bs_log "kills: $dp_kills of the dataplane, $ctl_kills of the control process"
bs_check "ACKs seen over $total_kills kills ($acks > 0)" test "${acks:-0}" -gt 0
bs_pass
