#!/usr/bin/env bash
# Boot-storm smoke test in proxyDHCP mode (bench/storm --proxy, docs/storm.md):
# on one bridge, an address-only DHCP server (dnsmasq with just a
# dhcp-range: the site's DHCP), $BOOTSTORM as proxyDHCP (dhcp-range=,proxy +
# pxe-service + TFTP + HTTP) and bootstorm-storm with 30 clients that wait
# for both OFFERs and REQUEST the address from dnsmasq: BIOS and UEFI PXE
# clients ask the proxy's port 4011 for the boot file and fetch it over
# TFTP; UEFI HTTP clients (arch 16) take the URL from the proxy's
# HTTPClient offer and fetch it over HTTP.
# Asserts that every client finished, that each got its address from the
# address server, and the PXE ones their boot file through port 4011.
#
# Environment: BOOTSTORM (server), STORM (generator), BS_SERVER_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init storm_proxy_smoke
bs_require /usr/bin/python3 /usr/sbin/dnsmasq
bs_beside STORM "${STORM:-}" bench/bootstorm-storm "meson compile -C build bootstorm-storm, or STORM=..."
N=30
PFX=10.231.41

bs_ns SRV srv
bs_ns ADR adr
bs_ns GEN gen
bs_bridge "$SRV" br0
bs_addr "$SRV" br0 $PFX.1/24
bs_veth "$SRV" pa "$ADR" eth0
bs_brport "$SRV" pa br0
bs_addr "$ADR" eth0 $PFX.2/24
bs_veth "$SRV" pg "$GEN" g0 # g0 gets no address: the generator is every client
bs_brport "$SRV" pg br0
# address-only DHCP (PFX.100-150): always dnsmasq, no boot options at all
bs_addr_only_dhcp "$ADR" $PFX

root=$BS_TMP/root
mkdir -p "$root"
head -c 30000 /dev/urandom >"$root/pxelinux.0"
head -c 40000 /dev/urandom >"$root/bootx64.efi"
chmod -R a+rX "$root"

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
interface=br0
port=0
dhcp-range=$PFX.0,proxy,255.255.255.0
pxe-service=x86PC,"Network boot (storm)",pxelinux
pxe-service=BC_EFI,"Network boot (storm)",bootx64.efi
dhcp-boot=tag:httpclient,http://$PFX.1:8080/bootx64.efi
http-port=8080
enable-tftp
tftp-root=$root
tftp-max=200
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 67
bs_wait_udp "$SRV" 4011
bs_wait_udp "$SRV" 69
bs_wait_tcp "$SRV" 8080

json=$BS_TMP/storm.json
rc=0
timeout 120 ip netns exec "$GEN" "$STORM" -i g0 -n $N --arch 0:1,7:1,16:1 --proxy --time-scale 0.25 \
  --tftp-timeout 0.5 --json "$json" --pcap-out "$BS_TMP/storm" --duration 90 -v >"$BS_TMP/storm.txt" 2>&1 || rc=$?
cat "$BS_TMP/storm.txt" >&2
bs_check "generator exit status 0 (every client done), got $rc" [ "$rc" = 0 ]

/usr/bin/python3 - "$json" "$N" "$BS_TMP/storm-dhcp.pcap" <<'PY' || bs_fail "JSON report"
import json, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
r = json.load(open(path))
assert r["clients"] == n and r["done"] == n and r["failed"] == 0, r
assert r["config"]["proxy"] is True
p, t, h = r["proxy"], r["types"], r["http"]
bios, uefi, nh = (t[k]["clients"] for k in ("pxe_bios", "pxe_uefi", "uefi_http"))
assert bios > 0 and uefi > 0 and nh > 0 and bios + uefi + nh == n, t
assert all(t[k]["done"] == t[k]["clients"] for k in t), t
# every client took a proxy offer; the PXE ones went on to port 4011
assert p["offers"] == n and p["bootsrv_ack"] == bios + uefi, p
assert p["bootsrv_tx"] == bios + uefi + p["bootsrv_retx"], p
# loaders: over TFTP (one RRQ each) or HTTP (HEAD + GET); the bytes add up
assert r["counters"]["rrq_tx"] == bios + uefi, r["counters"]
assert r["counters"]["tftp_bytes"] == bios * 30000 + uefi * 40000, r["counters"]
assert h["bytes"] == nh * 40000 and h["requests"] == 2 * nh, h
# pcap: DISCOVER + REQUEST per client, and the PXE clients' 4011 requests
b = open(sys.argv[3], "rb").read()
off, cnt, to4011 = 24, 0, 0
while off < len(b):
    incl = struct.unpack("<I", b[off + 8:off + 12])[0]
    frame = b[off + 16:off + 16 + incl]
    to4011 += struct.unpack("!H", frame[36:38])[0] == 4011
    off += 16 + incl
    cnt += 1
assert cnt == 2 * n + bios + uefi and to4011 == bios + uefi, (cnt, to4011)
print(f"json ok: {n} done ({bios} BIOS, {uefi} UEFI through port 4011, {nh} UEFI HTTP)")
PY
# addresses came from the address-only server, one lease per client
leases=$(grep -c " 02:b5:" "$BS_TMP/addr.leases" || true)
bs_check "address server leased $leases addresses (want $N)" [ "$leases" = "$N" ]
bs_log "ok: $N proxyDHCP clients"
bs_pass
