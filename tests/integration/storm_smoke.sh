#!/usr/bin/env bash
# Boot-storm smoke test: bootstorm-storm emulates 50 PXE clients (BIOS and
# UEFI x64 mixed) through DHCP DORA and TFTP of loader + kernel + initrd
# (small files; the loader as OVMF fetches it: a tsize probe aborted with
# ERROR 8, then the download) against $BOOTSTORM. Asserts that every client
# finished, that the JSON report is well formed and that the pcap export is
# readable. Not a timing test (it takes about a second).
#
# Environment: BOOTSTORM (server), STORM (generator; default: next to the
# server in its build dir, bench/bootstorm-storm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init storm_smoke
bs_require /usr/bin/python3
bs_beside STORM "${STORM:-}" bench/bootstorm-storm "meson compile -C build bootstorm-storm, or STORM=..."
N=50

bs_ns SRV srv
bs_ns GEN gen
bs_veth "$SRV" s0 "$GEN" g0 # g0 gets no address: the generator is every client
bs_addr "$SRV" s0 10.231.0.1/16

root=$BS_TMP/root
mkdir -p "$root"
head -c 70000 /dev/urandom >"$root/pxelinux.0"
head -c 50000 /dev/urandom >"$root/bootx64.efi"
head -c $((256 * 1024)) /dev/urandom >"$root/vmlinuz"
head -c $((1468 * 358)) /dev/urandom >"$root/initrd.img" # 358 full blocks: ends on an empty one
chmod -R a+rX "$root"

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
interface=s0
port=0
dhcp-range=10.231.1.0,10.231.9.255,255.255.0.0,1h
dhcp-leasefile=$BS_TMP/leases
dhcp-match=set:efi64,option:client-arch,7
dhcp-boot=tag:efi64,bootx64.efi
dhcp-boot=pxelinux.0
enable-tftp
tftp-root=$root
tftp-max=200
pid-file=$BS_TMP/server.pid
EOF
# stock dnsmasq pings every address before offering it (~3 s each, one at a
# time): 50 clients would outlast the scaled DHCP retransmit schedule
if bs_peer_is_dnsmasq; then echo no-ping >>"$conf"; fi
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 69

json=$BS_TMP/storm.json
rc=0
timeout 120 ip netns exec "$GEN" "$STORM" -i g0 -n $N --arch 0:1,7:1 --time-scale 0.25 \
  --tftp-timeout 0.5 --windowsize 4 --tsize-probe --kernel vmlinuz --initrd initrd.img \
  --json "$json" --pcap-out "$BS_TMP/storm" --duration 90 >"$BS_TMP/storm.txt" 2>&1 || rc=$?
cat "$BS_TMP/storm.txt" >&2
bs_check "generator exit status 0 (every client done), got $rc" [ "$rc" = 0 ]

/usr/bin/python3 - "$json" "$N" "$BS_TMP" <<'PY' || bs_fail "JSON report"
import json, struct, sys
path, n, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = json.load(open(path))
for k in ("clients", "done", "failed", "first_done_s", "all_done_s", "phases_ms", "failures",
          "retransmissions", "timeline", "counters", "config"):
    assert k in r, f"missing key {k}"
for ph in ("dhcp", "loader", "kernel_initrd", "total"):
    for q in ("n", "p50", "p90", "p99", "max"):
        assert q in r["phases_ms"][ph], f"missing phases_ms.{ph}.{q}"
    assert r["phases_ms"][ph]["n"] == n, f"{ph}: n != {n}"
assert r["clients"] == n and r["done"] == n and r["failed"] == 0, r
assert sum(r["failures"].values()) == 0, r["failures"]
assert r["timeline"][-1][3] == n, "timeline does not reach N clients done"
assert r["counters"]["tftp_bytes"] >= n * (256 * 1024 + 1468 * 358 + 50000)
assert r["counters"]["tsize_probes"] == n, "OVMF-style tsize probes"
# pcap: global header, then DISCOVER + REQUEST per client / 4 RRQs per client
# (the loader twice: tsize probe, then download)
for name, want in (("dhcp", 2 * n), ("tftp", 4 * n)):
    b = open(f"{tmp}/storm-{name}.pcap", "rb").read()
    assert struct.unpack("<I", b[:4])[0] == 0xa1b2c3d4, "pcap magic"
    off, cnt = 24, 0
    while off < len(b):
        incl = struct.unpack("<I", b[off + 8:off + 12])[0]
        off += 16 + incl
        cnt += 1
    assert off == len(b) and cnt == want, f"{name}.pcap: {cnt} frames, want {want}"
print(f"json ok: {n} done, all done after {r['all_done_s']:.2f} s")
PY
bs_log "ok: JSON report well formed, pcap files readable"
bs_pass
