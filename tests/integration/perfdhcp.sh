#!/usr/bin/env bash
# perfdhcp (kea-admin) DORA load from a client namespace against the server:
#   perfdhcp -4 -l c0 -r RATE -R CLIENTS -p SECONDS
# perfdhcp acts as a relay (giaddr = its own address, replies to port 67).
# Asserts: ACKs received > 0, REQUEST->ACK drops below a threshold, and no
# address appears twice in the lease file.
# Knobs: BS_PERF_RATE (200), BS_PERF_CLIENTS (500), BS_PERF_SECONDS (5),
#        BS_PERF_MAX_DROP_PCT (5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init perfdhcp
bs_require perfdhcp

RATE=${BS_PERF_RATE:-200}
CLIENTS=${BS_PERF_CLIENTS:-500}
SECS=${BS_PERF_SECONDS:-5}
MAX_DROP_PCT=${BS_PERF_MAX_DROP_PCT:-5}

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.16.1/20
bs_addr "$CLI" c0 10.231.16.2/20

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
interface=s0
port=0
# 4094-address subnet: room for far more clients than perfdhcp simulates
dhcp-range=10.231.17.0,10.231.31.254,255.255.240.0,12h
dhcp-lease-max=20000
dhcp-leasefile=$BS_TMP/leases
pid-file=$BS_TMP/server.pid
EOF
extra=()
if bs_peer_is_dnsmasq; then
  # dnsmasq pings every address before offering it (~3 s per first offer):
  # at perfdhcp rates nearly all would time out. Command line only, so the
  # conf stays common to both servers.
  extra=(--no-ping)
fi
bs_start_server "$SRV" "$conf" "${extra[@]}"
bs_wait_udp "$SRV" 67

out=$BS_TMP/perfdhcp.out
bs_log "perfdhcp -4 -l c0 -r $RATE -R $CLIENTS -p $SECS"
timeout $((SECS + 60)) ip netns exec "$CLI" perfdhcp -4 -l c0 -r "$RATE" -R "$CLIENTS" \
  -p "$SECS" -W 2000000 >"$out" 2>&1 || true   # exit 3 = some drops; judged below
sed -n '/Statistics/,$p' "$out" | sed -n '1,40p' >&2

stat() { bs_perfdhcp_stat "$out" "$@"; } # EXCHANGE FIELD
d_sent=$(stat DISCOVER-OFFER "sent packets")
o_recv=$(stat DISCOVER-OFFER "received packets")
r_sent=$(stat REQUEST-ACK "sent packets")
a_recv=$(stat REQUEST-ACK "received packets")
a_drop=$(stat REQUEST-ACK "drops")
bs_log "DISCOVER sent=$d_sent OFFER recv=$o_recv REQUEST sent=$r_sent ACK recv=$a_recv ACK drops=$a_drop"
[ -n "$a_recv" ] || bs_fail "cannot parse perfdhcp output ($(tail -5 "$out"))"
bs_check "ACKs received > 0 ($a_recv)" test "$a_recv" -gt 0
total_drop=$(( d_sent - a_recv ))
drop_pct=$(awk -v d="$total_drop" -v s="$d_sent" 'BEGIN { printf "%d", (s ? 100 * d / s : 100) }')
bs_log "DORA completed: $a_recv of $d_sent started ($drop_pct% not completed) in ${SECS}s"
nonuniq=$(stat REQUEST-ACK "non unique addresses")
bs_check "perfdhcp saw no address given to two clients (non unique: ${nonuniq:-?})" test "${nonuniq:-0}" = 0
bs_check "DORA drop rate $drop_pct% <= $MAX_DROP_PCT%" test "$drop_pct" -le "$MAX_DROP_PCT"

# lease file: let the server flush, then every address at most once
bs_stop_server
leases=$BS_TMP/leases
LEASES="/usr/bin/python3 $here/../lib/leases.py"
bs_check "lease file exists" test -s "$leases"
# journal-aware: replays dnsmasq's file and bootstorm's append-only journal
summary=$($LEASES check "$leases") || bs_fail "an address was given to two clients: $summary"
bs_log "lease file: $summary"
n=$($LEASES active "$leases" | wc -l)
bs_check "lease file has live leases ($n > 0)" test "$n" -gt 0
# perfdhcp draws MACs from CLIENTS distinct ones: more live leases than that
# means some client got a second address
bs_check "no more live leases than distinct clients ($n <= $CLIENTS)" test "$n" -le "$CLIENTS"
bs_pass
