#!/usr/bin/env bash
# Smoke test of the side-by-side benchmark scripts (bench/dhcp-rate,
# bench/storm-compare): tiny runs against every stack whose binaries are
# installed, asserting that every client finished on every stack, that each
# stack's CPU was accounted (read from its cgroup: not zero) and that the
# tables name every stack. Not a timing test (about half a minute). bench/deps.sh installs the
# peers; stacks whose binaries are missing are left out and logged.
#
# Environment: BOOTSTORM (server), STORM (generator; default: next to the
# server in its build dir, bench/bootstorm-storm), BS_BACKENDS (socket
# afxdp: the backends to measure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init bench_smoke
bs_require /usr/bin/python3
[ "$BS_PEER" = bootstorm ] || { echo "SKIP: compares bootstorm with the peers itself" >&2; exit 77; }
bs_beside STORM "${STORM:-}" bench/bootstorm-storm "meson compile -C build bootstorm-storm, or STORM=..."
export BOOTSTORM=$BS_SERVER STORM
bench=$here/../../bench

# the backends this build has (meson passes BS_BACKENDS)
backends=
for b in ${BS_BACKENDS:-socket}; do backends="$backends bootstorm-$b"; done
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
tftp_stacks=$backends http_stacks=$backends
have dnsmasq && tftp_stacks="$tftp_stacks dnsmasq"
have dnsmasq && have in.tftpd && tftp_stacks="$tftp_stacks dnsmasq+tftpd-hpa"
have dnsmasq && have /opt/bootstorm-bench/atftpd/usr/sbin/atftpd && tftp_stacks="$tftp_stacks dnsmasq+atftpd"
have dnsmasq && have /usr/sbin/nginx && http_stacks="$http_stacks dnsmasq+nginx"
bs_log "TFTP stacks: $tftp_stacks; HTTP stacks: $http_stacks"

# every_done OUTDIR STACK...: each stack's report has every client done
every_done() {
  local out=$1 s; shift
  for s in "$@"; do
    bs_check "$s: every client done" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["clients"] > 0 and r["done"] == r["clients"] else 1)' "$out/$s.json"
  done
}

# storm, TFTP: 20 clients x (64 KiB + 1 + 2 MiB)
out=$BS_TMP/storm
timeout 300 "$bench/storm-compare" -n 20 -l 64 -k 1 -i 2 -d 60 -s "$tftp_stacks" -o "$out" \
  >"$BS_TMP/storm.txt" 2>"$BS_TMP/storm.log" || { rc=$?; cat "$BS_TMP/storm.log" >&2; bs_fail "storm-compare exited $rc"; }
cat "$BS_TMP/storm.txt" >&2
every_done "$out" $tftp_stacks
for s in $tftp_stacks; do
  # the CPU s column (9th field of the stack's row) > 0: the stack's
  # processes ran in its cgroup
  bs_check "$s: CPU accounted" awk -v s="$s" '$1 == s { found = 1; ok = ($9 > 0) } END { exit !(found && ok) }' \
    "$out/storm-compare.txt"
  # and the machine's CPU per GiB (11th field), /proc/stat around the run
  bs_check "$s: machine CPU per GiB" awk -v s="$s" '$1 == s { found = 1; ok = ($11 > 0) } END { exit !(found && ok) }' \
    "$out/storm-compare.txt"
done
bs_check "plot written" test -s "$out/storm-compare.png" -o ! -x /usr/bin/gnuplot

# storm, HTTP with every kind of client
out=$BS_TMP/http
timeout 300 "$bench/storm-compare" -H -a 0:25,7:25,16:50 -I 50 -n 20 -l 64 -k 1 -i 2 -d 60 \
  -s "$http_stacks" -o "$out" >"$BS_TMP/http.txt" 2>"$BS_TMP/http.log" ||
  { rc=$?; cat "$BS_TMP/http.log" >&2; bs_fail "storm-compare -H exited $rc"; }
cat "$BS_TMP/http.txt" >&2
every_done "$out" $http_stacks

# DHCP rate: two low rates, every client done, the summary names each server
rate_servers=$backends
have dnsmasq && rate_servers="$rate_servers dnsmasq-noping"
out=$BS_TMP/rate
timeout 300 "$bench/dhcp-rate" -r "200 1000" -t 1 -s "$rate_servers" -o "$out" \
  >"$BS_TMP/rate.txt" 2>"$BS_TMP/rate.log" || { rc=$?; cat "$BS_TMP/rate.log" >&2; bs_fail "dhcp-rate exited $rc"; }
cat "$BS_TMP/rate.txt" >&2
for s in $rate_servers; do
  bs_check "$s: 200 clients at 200/s, none failed" awk -v s="$s" \
    '$1 == s && $2 == 200 && $4 == $3 && $5 == 0 { ok = 1 } END { exit !ok }' "$out/results"
  bs_check "$s in the summary" grep -q "^$s .*DORA/s" "$out/dhcp-rate.txt"
done
bs_pass
