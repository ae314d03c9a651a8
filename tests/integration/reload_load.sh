#!/usr/bin/env bash
# integration: reload under load (docs/control.md "reload").
# perfdhcp runs DORA for CLIENTS clients at RATE/s for SECS s twice: once
# quiet (the baseline), once while a loop reloads the configuration every
# 100 ms -- `bootstormctl reload` mostly, SIGHUP every 7th time, and every
# 10th time a config with an error -- alternating two valid variants that
# differ in the boot file (and an option). Asserts:
#   * no exchange lost to reloads: nothing that reached the server was
#     lost there, and every drop perfdhcp counts is one the host's network
#     lost outside the server (see the threshold comment below); the
#     quiet run's numbers are printed alongside
#   * the lease count never shrank (sampled after every reload)
#   * the server never stopped (same pid throughout, status answers)
#   * reloads took effect: worker_reloads counts them, and the ACKs (seen
#     through the events stream) switch between the two boot files
#   * a config with an error is refused, the reply names file:line, and
#     the running configuration stays
# Knobs: BS_RELOAD_RATE (500), BS_RELOAD_CLIENTS (400), BS_RELOAD_SECONDS (12).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init reload_load
bs_require perfdhcp /usr/bin/python3

RATE=${BS_RELOAD_RATE:-500}
CLIENTS=${BS_RELOAD_CLIENTS:-400}
SECS=${BS_RELOAD_SECONDS:-12}

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.160.1/20
bs_addr "$CLI" c0 10.231.160.2/20

sock=$BS_TMP/ctl.sock
conf=$BS_TMP/server.conf
BADLINE=10
# put_conf a|b|bad: the config file, replaced atomically (rename)
put_conf() {
  local v=$1 boot=boot-$1.0 ttl=64
  [ "$v" = bad ] && boot=boot-a.0
  [ "$v" = b ] && ttl=32
  {
    echo "interface=s0"
    echo "port=0"
    echo "dhcp-range=10.231.161.0,10.231.175.254,255.255.240.0,12h"
    echo "dhcp-lease-max=20000"
    echo "dhcp-leasefile=$BS_TMP/leases"
    echo "pid-file=$BS_TMP/server.pid"
    echo "control-socket=$sock"
    echo "dhcp-boot=$boot"
    echo "dhcp-option=23,$ttl"
    # line 10 ($BADLINE): the error of the bad variant
    [ "$v" = bad ] && echo "dhcp-range=10.231.161.0,not-an-address"
    true
  } >"$conf.tmp"
  mv -f "$conf.tmp" "$conf"
}
put_conf a
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_ctl_wait "$sock"
leases_now() { bs_ctl --json status | grep -o '"leases":[0-9]*' | cut -d: -f2; }

# snap NAME: the server's counters and the client's kernel UDP counters
snap() {
  bs_ctl --json stats >"$BS_TMP/$1.stats"
  ip netns exec "$CLI" cat /proc/net/snmp >"$BS_TMP/$1.snmp"
  ip netns exec "$SRV" cat /proc/net/snmp >"$BS_TMP/$1.srv.snmp"
  ip netns exec "$SRV" ip -s -j link show s0 >"$BS_TMP/$1.link"
  ip netns exec "$CLI" ip -s -j link show c0 >"$BS_TMP/$1.clink"
}
# account RUN: where perfdhcp's exchanges of RUN went, from its report and
# the counters around it (RUN.before/RUN.after). Prints "lost_at_server
# perf_drops lost_outside" and the details for people on stderr.
#   lost_at_server: requests that reached the server's sockets (UDP socket
#     or AF_XDP rings) but were dropped there or not answered: kernel
#     socket/ring drops, delivered but never parsed by DHCP, parsed but no
#     reply committed, replies discarded unsynced.
#   lost_outside: what the host's network lost between the two programs:
#     perfdhcp's own socket refusing a send (SndbufErrors) or overflowing
#     (RcvbufErrors), drops on either veth end; and replies perfdhcp read
#     after its 1 s drop time (its "orphans": a starved perfdhcp, or a
#     server that held them -- which the slowest-reload check excludes).
account() {
  python3 - "$BS_TMP" "$1" <<'PY'
import json, re, sys
d, run = sys.argv[1], sys.argv[2]
def stats(n): return json.load(open(f"{d}/{run}.{n}.stats"))["stats"]
def udp(n, ns):
    rows = [l.split() for l in open(f"{d}/{run}.{n}{ns}.snmp") if l.startswith("Udp:")]
    return dict(zip(rows[0][1:], map(int, rows[1][1:])))
def link(n, f, dir, k):
    return json.load(open(f"{d}/{run}.{n}.{f}"))[0]["stats64"][dir][k]
b, a = stats("before"), stats("after")
D = lambda k: a.get(k, 0) - b.get(k, 0)
Dsum = lambda rx: sum(D(k) for k in a if re.search(rx, k))
U = lambda ns, k: udp("after", ns)[k] - udp("before", ns)[k]
L = lambda f, dir, k: link("after", f, dir, k) - link("before", f, dir, k)
rep = open(f"{d}/{run}.out").read()
def perf(ex, f):
    m = re.search(re.escape(ex) + r"\*\*\*\n(?:.*\n)*?" + re.escape(f) + r": (\d+)", rep)
    return int(m.group(1))
sent = perf("DISCOVER-OFFER", "sent packets") + perf("REQUEST-ACK", "sent packets")
drops = perf("DISCOVER-OFFER", "drops") + perf("REQUEST-ACK", "drops")
rx = D("dhcp_rx_discover") + D("dhcp_rx_request")
answered = D("dhcp_tx_offer") + D("dhcp_tx_ack") + D("dhcp_tx_nak")
delivered = U(".srv", "InDatagrams") + Dsum(r"^afxdp_.*_q\d+_rx_pkts$")
kdrops = U(".srv", "RcvbufErrors") + Dsum(r"^afxdp_.*_q\d+_(k_rx_dropped|k_rx_ring_full|rx_drop_.*)$")
lost = kdrops + (delivered - rx) + (rx - answered) + D("worker_drop_unsynced")
late = perf("DISCOVER-OFFER", "orphans") + perf("REQUEST-ACK", "orphans")
outside = U("", "SndbufErrors") + U("", "RcvbufErrors") + L("clink", "tx", "dropped") + \
          L("clink", "rx", "dropped") + L("link", "rx", "dropped") + L("link", "tx", "dropped") + late
print(f"{run}: perfdhcp sent {sent}, dropped {drops}. Server: delivered {delivered}, "
      f"dropped in the kernel {kdrops}, parsed {rx}, answered {answered}, unsynced "
      f"{D('worker_drop_unsynced')}. Outside: perfdhcp send refused {U('', 'SndbufErrors')}, "
      f"its socket overflowed {U('', 'RcvbufErrors')}, read too late {late}, veth drops "
      f"{outside - U('', 'SndbufErrors') - U('', 'RcvbufErrors') - late}", file=sys.stderr)
print(lost, drops, outside)
PY
}

run_perf() { # NAME: perfdhcp's report in $BS_TMP/NAME.out
  snap "$1.before"
  timeout $((SECS + 60)) ip netns exec "$CLI" perfdhcp -4 -l c0 -r "$RATE" -R "$CLIENTS" \
    -p "$SECS" -W 2000000 >"$BS_TMP/$1.out" 2>&1 || true # exit 3 = some drops
  snap "$1.after"
  local f=$BS_TMP/$1.out
  echo "$(bs_perfdhcp_stat "$f" DISCOVER-OFFER "sent packets")" \
    "$(bs_perfdhcp_stat "$f" DISCOVER-OFFER drops)" \
    "$(bs_perfdhcp_stat "$f" REQUEST-ACK "sent packets")" \
    "$(bs_perfdhcp_stat "$f" REQUEST-ACK "received packets")" \
    "$(bs_perfdhcp_stat "$f" REQUEST-ACK drops)"
}

# --- the quiet run ----------------------------------------------------------
# A short run first: the first exchanges also pay for ARP and the lease
# file's growth, which is not what the two measured runs compare.
SECS=2 run_perf warmup >/dev/null
read -r b_dsent b_odrop b_rsent b_arecv b_adrop <<<"$(run_perf quiet)"
[ -n "$b_arecv" ] || bs_fail "cannot parse perfdhcp's report ($(tail -5 "$BS_TMP/quiet.out"))"
bs_log "quiet: DISCOVER $b_dsent, REQUEST $b_rsent, ACK $b_arecv, drops $b_odrop + $b_adrop"
leases0=$(leases_now)
bs_check "leases after the quiet run ($leases0)" test "${leases0:-0}" -gt 0
reloads0=$(bs_ctl_stat worker_reloads)

# --- the run with reloads ---------------------------------------------------
"$BS_CTL" -s "$sock" events --json --types dhcp-ack >"$BS_TMP/acks.json" 2>"$BS_TMP/acks.err" &
BS_PIDS+=("$!")
reload_loop() {
  local i=0 ok=0 bad=0 hup=0 v=a out n
  : >"$BS_TMP/leases.samples"
  while [ ! -e "$BS_TMP/stop" ]; do
    i=$((i + 1))
    if [ $((i % 10)) = 5 ]; then
      put_conf bad
      if out=$(bs_ctl --json reload 2>&1); then
        echo "a config with an error was accepted: $out" >>"$BS_TMP/reload.err"
      elif ! grep -q "server.conf\",\"line\":$BADLINE," <<<"$out"; then
        echo "the refusal does not name server.conf:$BADLINE: $out" >>"$BS_TMP/reload.err"
      else
        bad=$((bad + 1))
      fi
    else
      [ "$v" = a ] && v=b || v=a
      put_conf "$v"
      if [ $((i % 7)) = 0 ]; then
        kill -HUP "$BS_SERVER_PID" && hup=$((hup + 1))
      elif out=$(bs_ctl reload 2>&1); then
        ok=$((ok + 1))
      else
        echo "reload failed: $out" >>"$BS_TMP/reload.err"
      fi
    fi
    n=$(leases_now) && echo "$n" >>"$BS_TMP/leases.samples"
    sleep 0.1
  done
  echo "$ok $bad $hup" >"$BS_TMP/reload.counts"
}
rm -f "$BS_TMP/stop" "$BS_TMP/reload.err"
reload_loop &
loop=$!
BS_PIDS+=("$loop")
read -r r_dsent r_odrop r_rsent r_arecv r_adrop <<<"$(run_perf reloads)"
touch "$BS_TMP/stop"
wait "$loop"
[ -n "$r_arecv" ] || bs_fail "cannot parse perfdhcp's report ($(tail -5 "$BS_TMP/reloads.out"))"
read -r ok bad hup <"$BS_TMP/reload.counts"
bs_log "reloads: DISCOVER $r_dsent, REQUEST $r_rsent, ACK $r_arecv, drops $r_odrop + $r_adrop"
bs_log "reload loop: $ok control reloads, $hup SIGHUPs, $bad bad configs refused"
[ ! -s "$BS_TMP/reload.err" ] || bs_fail "reload loop: $(head -3 "$BS_TMP/reload.err")"

# Threshold: zero, counted at both ends. perfdhcp's drop count alone
# cannot tell a packet the server lost from one the host lost: on this
# machine (2 cores shared with other test runs and benchmarks) perfdhcp is
# starved, its sends are refused (ENOBUFS) and its socket overflows, in
# the quiet run as much as in the other, and perfdhcp counts all of those
# as sent and dropped. So, for the run with reloads: (1) nothing that
# reached the server was lost there (lost_at_server, exact, 0) and (2)
# every drop perfdhcp reports is one the host's network counted outside
# the server (lost_outside). A reload that lost packets, or held them
# past perfdhcp's timeout, fails (1) or (2). The quiet run's numbers are
# printed next to them.
read -r b_lost b_pd b_out <<<"$(account quiet)"
read -r r_lost r_pd r_out <<<"$(account reloads)"
bs_log "perfdhcp drops: quiet $b_pd ($b_out lost outside the server, $b_lost in it);" \
  "with reloads $r_pd ($r_out lost outside the server, $r_lost in it)"
bs_check "nothing that reached the server was lost under reloads ($r_lost)" test "$r_lost" = 0
bs_check "every perfdhcp drop under reloads was lost outside the server ($r_pd <= $r_out)" \
  test "$r_pd" -le "$r_out"
bs_check "perfdhcp completed DORAs under reloads ($r_arecv)" test "$r_arecv" -gt $((RATE * SECS / 2))
slowest=$(grep -o 'reload done in [0-9]* ms' "$BS_SERVER_LOG" | awk '{ print $4 }' | sort -n | tail -1)
# The worker serves no packet while it reloads: far below perfdhcp's 1 s
# drop time, a reload cannot make a reply late (see lost_outside).
bs_check "the slowest reload held the worker ${slowest:-?} ms (< 100)" test "${slowest:-1000}" -lt 100

min=$(sort -n "$BS_TMP/leases.samples" | head -1)
n=$(wc -l <"$BS_TMP/leases.samples")
bs_check "the lease count never shrank ($n samples, min ${min:-none} >= $leases0)" \
  test "${min:-0}" -ge "$leases0"
bs_check "server never stopped (pid $BS_SERVER_PID)" kill -0 "$BS_SERVER_PID"
bs_check "it is still the same server" \
  test "$(bs_ctl --json status | grep -o '"pid":[0-9]*' | cut -d: -f2)" = "$BS_SERVER_PID"

reloads=$(($(bs_ctl_stat worker_reloads) - reloads0))
# SIGHUPs that arrive while one is pending merge into one: at least one of
# them, at most all, besides every control reload.
bs_check "worker_reloads counts the reloads ($reloads: $ok + 1..$hup)" \
  test "$reloads" -ge $((ok + (hup > 0))) -a "$reloads" -le $((ok + hup))
bs_check "about one reload per 100 ms ($ok control reloads in ${SECS}s)" test "$ok" -ge $((SECS * 3))
bs_check "bad configs were refused with file:line ($bad)" test "$bad" -ge 2
python3 - "$BS_TMP/acks.json" <<'PY' || bs_fail "the ACKs' boot file did not follow the reloads"
import json, sys
files = [json.loads(l).get("file") for l in open(sys.argv[1]) if l.strip()]
files = [f for f in files if f]
switches = sum(1 for a, b in zip(files, files[1:]) if a != b)
print(f"{len(files)} ACKs seen, boot files {sorted(set(files))}, {switches} switches",
      file=sys.stderr)
assert set(files) == {"boot-a.0", "boot-b.0"}, set(files)
assert switches >= 10, switches
PY
bs_log "ok: the ACKs' boot file switched with the reloads"

# --- a config with an error, quietly: kept, and the reply says where -------
put_conf b
bs_ctl reload >/dev/null || bs_fail "reload of a valid config failed"
put_conf bad
if out=$(bs_ctl reload 2>&1); then bs_fail "a config with an error was accepted: $out"; fi
echo "$out" >&2
bs_check "the refusal names the file and line" grep -q "server.conf:$BADLINE: error" <<<"$out"
bs_check "and says the running configuration is kept" grep -q "running one is kept" <<<"$out"
: >"$BS_TMP/acks2.json"
"$BS_CTL" -s "$sock" events --json --types dhcp-ack >"$BS_TMP/acks2.json" 2>&1 &
BS_PIDS+=("$!")
sleep 0.3
timeout 30 ip netns exec "$CLI" perfdhcp -4 -l c0 -r 50 -R 10 -p 2 >/dev/null 2>&1 || true
bs_check "the running config (boot-b.0) still serves" grep -q '"file":"boot-b.0"' "$BS_TMP/acks2.json"
bs_check "nothing from the refused one" test -z "$(grep '"file":"boot-a.0"' "$BS_TMP/acks2.json")"
bs_pass
