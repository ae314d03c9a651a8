#!/usr/bin/env bash
# Boot-storm smoke test with HTTP (bench/storm, docs/storm.md): bootstorm-storm
# emulates a mix of clients against $BOOTSTORM (DHCP + TFTP + HTTP on port
# 8080), all with --http (kernel + initrd over HTTP, one keep-alive
# connection, through the kernel's TCP bound to the leased address: the
# generator sets up the routes, arp_ignore and the tc filter itself):
#   BIOS and UEFI x64 PXE: loader over TFTP, then kernel + initrd;
#   UEFI HTTP boot (arch 16): option 60 HTTPClient, the URL from DHCP
#     (HEAD, then GET), then kernel + initrd; no TFTP at all;
#   iPXE (--ipxe 25): user class iPXE, gets
#     http://SRV:8080/boot.ipxe?mac=${net0/mac}, fetches the script that
#     ipxe-boot= renders and the kernel + initrd it names.
# Asserts that every client finished, that the HTTP and TFTP bytes add up
# per type, that the JSON report counts each type, and that the generator
# undid its network setup. Then three small runs: an HTTP server that is not
# the DHCP server (the clients ARP for it), a missing file (http_status), a
# closed port (http_connect after one retry), and iPXE clients whose
# boot.ipxe chains to a script with relative URLs (../vmlinuz, /initrd.img).
# Not a timing test.
#
# Environment: BOOTSTORM (server), STORM (generator; default: next to the
# server in its build dir, bench/bootstorm-storm), BS_SERVER_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init storm_http_smoke
bs_require /usr/bin/python3
bs_beside STORM "${STORM:-}" bench/bootstorm-storm "meson compile -C build bootstorm-storm, or STORM=..."
N=40
SRVIP=10.231.40.1
PORT=8080

bs_ns SRV srv
bs_ns GEN gen
bs_veth "$SRV" s0 "$GEN" g0 # g0 gets no address: the generator is every client
bs_addr "$SRV" s0 $SRVIP/24
# a second address: an HTTP server that is not the DHCP server (the
# clients ARP for it)
ip -n "$SRV" addr add 10.231.40.2/24 dev s0

root=$BS_TMP/root
mkdir -p "$root"
head -c 30000 /dev/urandom >"$root/pxelinux.0"
head -c 40000 /dev/urandom >"$root/bootx64.efi"
head -c 60000 /dev/urandom >"$root/httpboot.efi"
head -c $((300 * 1024 + 7)) /dev/urandom >"$root/vmlinuz"
head -c $((700 * 1024 + 3)) /dev/urandom >"$root/initrd.img"
# the script the chained iPXE clients land on: relative URLs
mkdir -p "$root/scripts"
printf '#!ipxe\necho chained\nkernel ../vmlinuz quiet\ninitrd /initrd.img\nboot\n' >"$root/scripts/next.ipxe"
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
dhcp-boot=tag:ipxe,http://$SRVIP:$PORT/boot.ipxe?mac=\${net0/mac}
dhcp-boot=tag:httpclient,http://$SRVIP:$PORT/httpboot.efi
dhcp-boot=tag:efi64,bootx64.efi
dhcp-boot=pxelinux.0
ipxe-boot=tag:chained,chain=http://$SRVIP:$PORT/scripts/next.ipxe
ipxe-boot=kernel=vmlinuz,initrd=initrd.img,cmdline=console=ttyS0
$(for i in 0 1 2 3 4 5; do echo "dhcp-host=02:b5:00:00:01:9$i,set:chained"; done)
enable-tftp
tftp-root=$root
tftp-max=200
http-port=$PORT
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69
bs_wait_tcp "$SRV" $PORT

json=$BS_TMP/storm.json
rc=0
timeout 120 ip netns exec "$GEN" "$STORM" -i g0 -n $N --arch 0:1,7:1,16:1 --ipxe 25 --time-scale 0.25 \
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
h, t = r["http"], r["types"]
for k in ("pxe_bios", "pxe_uefi", "uefi_http", "ipxe"):
    assert t[k]["clients"] >= 4 and t[k]["done"] == t[k]["clients"] and t[k]["failed"] == 0, (k, t)
assert sum(v["clients"] for v in t.values()) == n, t
pxe = t["pxe_bios"]["clients"] + t["pxe_uefi"]["clients"]
nh, ni = t["uefi_http"]["clients"], t["ipxe"]["clients"]
# every client fetched kernel + initrd over HTTP; UEFI HTTP clients their
# loader too (HEAD + GET), iPXE clients their script (GET)
files = n * (ksize + isize) + nh * 60000
assert h["bytes"] > files and h["bytes"] < files + ni * 4096, (h["bytes"], files)
assert h["files"] == 2 * n + nh + ni, h
assert h["requests"] == 2 * n + 2 * nh + ni, h
# keep-alive: one connection per client
assert h["connections"] == n, f"connections {h['connections']} != {n}"
# only PXE clients used TFTP: one RRQ each, for the loader
assert r["counters"]["rrq_tx"] == pxe, r["counters"]
assert r["counters"]["tftp_bytes"] in range(pxe * 30000, pxe * 40000 + 1), r["counters"]
assert r["config"]["ipxe_pct"] == 25
print(f"json ok: {n} done, HTTP {h['bytes']} bytes on {h['connections']} connections")
PY

# iPXE expanded ${net0/mac} in the URL from DHCP, as iPXE does
ni=$(grep -ci "boot.ipxe for 02:b5:" "$BS_SERVER_LOG" || true)
bs_check "server rendered boot.ipxe for the clients' MACs ($ni times)" [ "$ni" -ge 4 ]

# failure paths and the ARP path, 6 BIOS clients each (new MACs: new leases)
run_small() { # EXPECTED_RC NAME ARGS...
  local want=$1 name=$2 rc=0
  shift 2
  timeout 60 ip netns exec "$GEN" "$STORM" -i g0 -n 6 --arch 0 --time-scale 0.25 \
    --tftp-timeout 0.5 --json "$BS_TMP/$name.json" --duration 30 "$@" \
    >"$BS_TMP/$name.txt" 2>&1 || rc=$?
  cat "$BS_TMP/$name.txt" >&2
  bs_check "$name: exit status $want, got $rc" [ "$rc" = "$want" ]
}
jget() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v = v[k]
print(v)' "$BS_TMP/$1.json" "$2"; }
run_small 0 other_host --mac-base 100 --kernel vmlinuz --http "http://10.231.40.2:$PORT/"
bs_check "other_host: the clients ARPed for the HTTP server" [ "$(jget other_host http.arp_resolve_tx)" -ge 1 ]
run_small 3 not_found --mac-base 200 --kernel missing-vmlinuz --http "http://$SRVIP:$PORT/"
bs_check "not_found: 6 x http_status" [ "$(jget not_found failures.http_status)" = 6 ]
run_small 3 refused --mac-base 300 --kernel vmlinuz --http "http://$SRVIP:8081/" \
  --http-timeout 0.2 --http-retries 1
bs_check "refused: 6 x http_connect" [ "$(jget refused failures.http_connect)" = 6 ]
bs_check "refused: one retry each" [ "$(jget refused http.connections)" = 12 ]

# iPXE chain: boot.ipxe says `chain .../scripts/next.ipxe` for these MACs
# (dhcp-host tag), which names kernel and initrd by relative URLs
run_small 0 chain --mac-base 400 --ipxe 100
bs_check "chain: 6 x (boot.ipxe, next.ipxe, kernel, initrd)" [ "$(jget chain http.files)" = 24 ]
bs_check "chain: kernel + initrd bytes" [ "$(( $(jget chain http.bytes) - 6 * (KSIZE + ISIZE) ))" -gt 0 ]
nc=$(grep -c "GET /scripts/next.ipxe 200" "$BS_SERVER_LOG" || true)
bs_check "chain: the server served next.ipxe 6 times ($nc)" [ "$nc" = 6 ]
nk=$(grep -c "GET /vmlinuz 200" "$BS_SERVER_LOG" || true)
bs_check "chain: ../vmlinuz resolved to /vmlinuz" [ "$nk" -ge 6 ]

# the generator undid what it set up in its namespace
routes=$(ip -n "$GEN" route show table local dev g0 2>/dev/null | grep -c 10.231.40 || true)
bs_check "local routes removed (left: $routes)" [ "$routes" = 0 ]
bs_check "tc clsact removed" sh -c "! ip netns exec $GEN tc qdisc show dev g0 | grep -q clsact"
bs_check "arp_ignore restored" [ "$(ip netns exec "$GEN" cat /proc/sys/net/ipv4/conf/g0/arp_ignore)" = 0 ]
bs_log "ok: $N clients of 4 types, kernel + initrd over HTTP"
bs_pass
