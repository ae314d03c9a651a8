#!/usr/bin/env bash
# Boot-storm smoke test with HTTP (bench/storm, docs/storm.md): bootstorm-storm
# emulates a mix of clients against $BOOTSTORM (DHCP + TFTP + HTTP on port
# 8080): BIOS and UEFI x64 PXE clients that fetch the loader over TFTP and
# kernel + initrd over HTTP (--http, one keep-alive connection each, through
# the kernel's TCP bound to the leased address: the generator sets up the
# routes, arp_ignore and the tc filter itself).
# Asserts that every client finished, that the HTTP bytes add up, that the
# JSON report is well formed, and that the generator undid its network
# setup. Not a timing test.
#
# Environment: BOOTSTORM (server), STORM (generator; default: next to the
# server in its build dir, bench/bootstorm-storm), BS_SERVER_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init storm_http_smoke
bs_require /usr/bin/python3
STORM=${STORM:-$(dirname "$BS_SERVER")/bench/bootstorm-storm}
[ -x "$STORM" ] || bs_fail "generator $STORM not found (meson compile -C build bootstorm-storm, or STORM=...)"
N=40
SRVIP=10.231.40.1
PORT=8080

bs_ns SRV srv
bs_ns GEN gen
bs_veth "$SRV" s0 "$GEN" g0 # g0 gets no address: the generator is every client
bs_addr "$SRV" s0 $SRVIP/24

root=$BS_TMP/root
mkdir -p "$root"
head -c 30000 /dev/urandom >"$root/pxelinux.0"
head -c 40000 /dev/urandom >"$root/bootx64.efi"
head -c $((300 * 1024 + 7)) /dev/urandom >"$root/vmlinuz"
head -c $((700 * 1024 + 3)) /dev/urandom >"$root/initrd.img"
chmod -R a+rX "$root"
KSIZE=$((300 * 1024 + 7))
ISIZE=$((700 * 1024 + 3))

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
interface=s0
port=0
dhcp-range=10.231.40.10,10.231.40.250,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
dhcp-match=set:efi64,option:client-arch,7
dhcp-boot=tag:efi64,bootx64.efi
dhcp-boot=pxelinux.0
enable-tftp
tftp-root=$root
tftp-max=200
http-port=$PORT
http-address=$SRVIP
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69
bs_wait_tcp "$SRV" $PORT

json=$BS_TMP/storm.json
rc=0
timeout 120 ip netns exec "$GEN" "$STORM" -i g0 -n $N --arch 0:1,7:1 --time-scale 0.25 \
  --tftp-timeout 0.5 --kernel vmlinuz --initrd initrd.img --http "http://$SRVIP:$PORT/" \
  --json "$json" --duration 90 -v >"$BS_TMP/storm.txt" 2>&1 || rc=$?
cat "$BS_TMP/storm.txt" >&2
bs_check "generator exit status 0 (every client done), got $rc" [ "$rc" = 0 ]

/usr/bin/python3 - "$json" "$N" "$KSIZE" "$ISIZE" <<'PY' || bs_fail "JSON report"
import json, sys
path, n, ksize, isize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(path))
assert r["clients"] == n and r["done"] == n and r["failed"] == 0, r
assert sum(r["failures"].values()) == 0, r["failures"]
for ph in ("dhcp", "loader", "kernel_initrd", "total"):
    assert r["phases_ms"][ph]["n"] == n, f"{ph}: n != {n}"
h = r["http"]
assert h["bytes"] == n * (ksize + isize), f"HTTP bytes {h['bytes']} != {n * (ksize + isize)}"
assert h["files"] == 2 * n and h["requests"] == 2 * n, h
# keep-alive: kernel and initrd on one connection per client
assert h["connections"] == n, f"connections {h['connections']} != {n}"
# the loader came over TFTP, nothing else did
assert r["counters"]["rrq_tx"] == n, r["counters"]
assert r["timeline"][-1][3] == n and len(r["timeline"][-1]) == 5, r["timeline"][-1]
assert abs(sum(row[4] for row in r["timeline"]) / 10 * 1e6 - h["bytes"]) < 1e3 * len(r["timeline"])
print(f"json ok: {n} done, HTTP {h['bytes']} bytes on {h['connections']} connections")
PY

# the generator undid what it set up in its namespace
routes=$(ip -n "$GEN" route show table local dev g0 2>/dev/null | grep -c 10.231.40 || true)
bs_check "local routes removed (left: $routes)" [ "$routes" = 0 ]
bs_check "tc clsact removed" sh -c "! ip netns exec $GEN tc qdisc show dev g0 | grep -q clsact"
bs_check "arp_ignore restored" [ "$(ip netns exec "$GEN" cat /proc/sys/net/ipv4/conf/g0/arp_ignore)" = 0 ]
bs_log "ok: $N clients, loader over TFTP, kernel + initrd over HTTP"
bs_pass
