#!/usr/bin/env bash
# integration: the HTTP boot server against curl (and a raw-socket
# slowloris) over veth, client in its own namespace:
#   whole file byte-identical, Range (first bytes, middle, suffix,
#   open-ended, unsatisfiable -> 416), HEAD, keep-alive (one connection
#   for two URLs), ETag -> 304, 404, 405, traversal (/../, %2e%2e, %2f)
#   never serving a byte from outside the root, a slowloris while curl
#   still gets its file quickly (and the trickling heads get 408), a file
#   replaced by rename() during a slow (rate-limited reader) download (old or new file,
#   whole), counters on SIGUSR1, GET /metrics (Prometheus text format,
#   counters moving), GET /boot.ipxe per MAC (tagged host, known host,
#   unknown host, no mac; DHCP-side tags: a scapy PXE DISCOVER with
#   client-arch 7 or 0 picks the ipxe-boot line of its dhcp-match tag, the
#   latest DHCP counts, a reload that renumbers tags forgets them), then a
#   restart with metrics-address= (metrics only there, 404 on the boot
#   port). IPv6: the default listener is dual stack (the IPv4 checks above
#   and, over IPv6, a whole file, a Range, /boot.ipxe URLs with the
#   bracketed Host, the peer in the access log, /done by IP finding
#   nobody); a restart with http-address=IPV6 serves IPv6 and refuses IPv4,
#   metrics-address=[IPV6]:PORT serves /metrics.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init http
bs_require curl /usr/bin/python3 cmp
/usr/bin/python3 -c 'import scapy' 2>/dev/null || bs_fail "python3-scapy missing (tests/deps.sh)"

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.240.1/24
bs_addr "$CLI" c0 10.231.240.2/24
bs_addr6 "$SRV" s0 fd00:231:240::1/64
bs_addr6 "$CLI" c0 fd00:231:240::2/64

root=$BS_TMP/root
mkdir -p "$root/sub"
head -c $((6 * 1024 * 1024 + 123)) /dev/urandom >"$root/big.bin"
echo "hello" >"$root/sub/small.txt"
echo "TOPSECRET-outside-the-root" >"$BS_TMP/secret.txt"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$BS_TMP/v1"
head -c $((3 * 1024 * 1024 + 7)) /dev/urandom >"$BS_TMP/v2"
cp "$BS_TMP/v1" "$root/swap.bin"
size=$(stat -c %s "$root/big.bin")

conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=s0
port=0
dhcp-range=10.231.240.100,10.231.240.150,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
tftp-root=$root
http-port=8080
http-timeout=3
pid-file=$BS_TMP/server.pid
dhcp-host=52:54:00:00:00:01,set:lab
dhcp-host=52:54:00:00:00:02,10.231.240.120
ipxe-boot=tag:lab,kernel=/sub/vmlinuz,initrd=initrd.img,"cmdline=console=ttyS0,115200 quiet"
ipxe-boot=tag:known,chain=http://10.231.240.1:8080/menu.ipxe
dhcp-match=set:efi-x86_64,option:client-arch,7
dhcp-match=set:bios,option:client-arch,0
ipxe-boot=tag:efi-x86_64,kernel=efi/vmlinuz
ipxe-boot=tag:bios,kernel=bios/vmlinuz,initrd=bios/initrd.img
ipxe-boot=local
CONF
bs_start_server "$SRV" "$conf"
bs_wait_tcp "$SRV" 8080

U=http://10.231.240.1:8080
c() { ip netns exec "$CLI" curl -sS --max-time 20 "$@"; }
code() { c -o /dev/null -w '%{http_code}' "$@"; }

# whole file
c -o "$BS_TMP/got" "$U/big.bin"
bs_check "GET whole file byte-identical ($size bytes)" cmp -s "$root/big.bin" "$BS_TMP/got"
c -o "$BS_TMP/got" "$U/sub/small.txt?mac=52:54:00:00:00:01"
bs_check "query string ignored" cmp -s "$root/sub/small.txt" "$BS_TMP/got"

# ranges
rng() { # NAME RANGE OFFSET LENGTH
  local st
  st=$(c -o "$BS_TMP/r" -w '%{http_code}' -r "$2" "$U/big.bin")
  [ "$st" = 206 ] || bs_fail "range $1 ($2): status $st, want 206"
  dd if="$root/big.bin" of="$BS_TMP/want" iflag=skip_bytes,count_bytes skip="$3" count="$4" status=none
  bs_check "range $1 ($2)" cmp -s "$BS_TMP/want" "$BS_TMP/r"
}
rng "first bytes" 0-99 0 100
rng middle 1000000-1999999 1000000 1000000
rng suffix -500 $((size - 500)) 500
rng open-ended $((size - 1000))- $((size - 1000)) 1000
hdr=$(c -D - -o /dev/null -H "Range: bytes=$size-" "$U/big.bin" | tr -d '\r')
echo "$hdr" | grep -q '^HTTP/1.1 416' || bs_fail "unsatisfiable range: $hdr"
echo "$hdr" | grep -qi "^Content-Range: bytes \*/$size$" || bs_fail "416 without Content-Range: $hdr"
bs_log "ok: unsatisfiable range -> 416, Content-Range: bytes */$size"
st=$(c -o "$BS_TMP/r" -w '%{http_code}' -r 0-1,5-6 "$U/big.bin")
[ "$st" = 200 ] && cmp -s "$root/big.bin" "$BS_TMP/r" || bs_fail "multi-range: $st, want the whole file"
bs_log "ok: multi-range -> 200 whole file"

# HEAD
hdr=$(c -I "$U/big.bin" | tr -d '\r')
echo "$hdr" | grep -qi "^Content-Length: $size$" || bs_fail "HEAD Content-Length: $hdr"
echo "$hdr" | grep -qi '^ETag: "' || bs_fail "HEAD ETag: $hdr"
echo "$hdr" | grep -qi '^Last-Modified: ' || bs_fail "HEAD Last-Modified: $hdr"
n=$(c -I -o /dev/null -w '%{size_download}' "$U/big.bin")
[ "$n" = 0 ] || bs_fail "HEAD sent $n body bytes"
bs_log "ok: HEAD: headers, no body"

# keep-alive: two URLs, one connection
nc=$(c -o /dev/null -o /dev/null -w '%{num_connects}\n' "$U/sub/small.txt" "$U/big.bin" |
  awk '{ s += $1 } END { print s }')
[ "$nc" = 1 ] || bs_fail "keep-alive: $nc connections for 2 URLs"
bs_log "ok: keep-alive: 2 URLs over 1 connection"
nc=$(c -0 -o /dev/null -o /dev/null -w '%{num_connects}\n' "$U/sub/small.txt" "$U/sub/small.txt" |
  awk '{ s += $1 } END { print s }')
[ "$nc" = 2 ] || bs_fail "HTTP/1.0 without keep-alive: $nc connections, want 2"

# conditional
etag=$(echo "$hdr" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
st=$(code -H "If-None-Match: $etag" "$U/big.bin")
[ "$st" = 304 ] || bs_fail "If-None-Match $etag: $st, want 304"
lm=$(echo "$hdr" | sed -n 's/^[Ll]ast-[Mm]odified: //p')
st=$(code -H "If-Modified-Since: $lm" "$U/big.bin")
[ "$st" = 304 ] || bs_fail "If-Modified-Since $lm: $st, want 304"
st=$(code -H 'If-None-Match: "other"' "$U/big.bin")
[ "$st" = 200 ] || bs_fail "If-None-Match other: $st, want 200"
bs_log "ok: ETag / Last-Modified -> 304"

# errors
st=$(code "$U/nope.bin"); [ "$st" = 404 ] || bs_fail "missing file: $st"
st=$(code "$U/sub"); [ "$st" = 404 ] || bs_fail "directory: $st"
hdr=$(c -D - -o /dev/null -X POST -d x "$U/big.bin" | tr -d '\r')
echo "$hdr" | grep -q '^HTTP/1.1 405' && echo "$hdr" | grep -qi '^Allow: GET, HEAD' ||
  bs_fail "POST: $hdr"
bs_log "ok: 404, 405 + Allow"
for p in '/../secret.txt' '/%2e%2e/secret.txt' '/%2e%2e%2fsecret.txt' '/sub/../../secret.txt' \
  '/%2e%2e%2fetc/passwd' '/..%2f..%2fetc/passwd' '//etc/passwd' '/sub/%2e%2e/%2e%2e/secret.txt'; do
  st=$(c --path-as-is -o "$BS_TMP/t" -w '%{http_code}' "$U$p")
  case $st in 400 | 403 | 404) ;; *) bs_fail "traversal $p: status $st" ;; esac
  if grep -q -e TOPSECRET -e 'root:' "$BS_TMP/t"; then bs_fail "traversal $p served the file"; fi
done
bs_log "ok: traversal attempts: 403/404, never the file"
st=$(printf 'GET /sub/small.txt%%00 HTTP/1.1\r\nHost: x\r\n\r\n' |
  ip netns exec "$CLI" /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("10.231.240.1", 8080), timeout=5)
s.sendall(sys.stdin.buffer.read())
print(s.recv(100).split(b" ")[1].decode())')
[ "$st" = 400 ] || bs_fail "%00: $st, want 400"

# slowloris: 60 connections trickling head bytes; curl must still be fast,
# the trickling heads must end in 408 (http-timeout=3)
cat >"$BS_TMP/slowloris.py" <<'PY'
import socket, sys, time
n, dur = int(sys.argv[1]), float(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("10.231.240.1", 8080), timeout=5)
    s.sendall(b"GET /big.bin HTTP/1.1\r\n")
    socks.append(s)
t0 = time.time()
got408 = closed = 0
while time.time() - t0 < dur and socks:
    for s in list(socks):
        try:
            s.sendall(b"X-a: b\r\n")
        except OSError:
            socks.remove(s); closed += 1
    time.sleep(0.5)
    for s in list(socks):
        s.setblocking(False)
        try:
            d = s.recv(200)
            if b" 408 " in d:
                got408 += 1
            socks.remove(s); closed += 1
        except BlockingIOError:
            pass
        except OSError:
            socks.remove(s); closed += 1
        s.setblocking(True)
print("408", got408, "closed", closed, "open", len(socks))
PY
bs_bg "$BS_TMP/slowloris.out" ip netns exec "$CLI" /usr/bin/python3 "$BS_TMP/slowloris.py" 60 7
slow_pid=$BS_LAST_PID
sleep 1
t0=$(date +%s.%N)
c -o "$BS_TMP/got" "$U/big.bin"
t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
cmp -s "$root/big.bin" "$BS_TMP/got" || bs_fail "GET during slowloris: wrong content"
awk -v t="$t" 'BEGIN { exit !(t < 2.0) }' || bs_fail "GET during slowloris took ${t}s"
bs_log "ok: GET during a 60-connection slowloris: ${t}s"
wait "$slow_pid" || true
out=$(cat "$BS_TMP/slowloris.out")
bs_log "slowloris: $out"
echo "$out" | awk '{ exit !($2 == 60 && $6 == 0) }' || bs_fail "slowloris heads not all answered 408: $out"
bs_log "ok: all 60 trickling heads got 408 within the head timeout"

# replace by rename during a rate-limited download: old or new, whole.
# The slow reader is a small socket buffer read at ~1 MB/s (curl 7.88's
# --limit-rate let this download finish at full speed here: the kernel's
# buffers took the whole file before curl began to throttle).
cat >"$BS_TMP/slowget.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
s.connect(("10.231.240.1", 8080))
path = sys.argv[2] if len(sys.argv) > 2 else "/swap.bin"
s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    d = s.recv(32768)
    if not d:
        break
    data += d
    time.sleep(0.03)
head, _, body = data.partition(b"\r\n\r\n")
length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
assert len(body) == length, (len(body), length)
open(sys.argv[1], "wb").write(body)
PY
bs_bg "$BS_TMP/slowget.log" ip netns exec "$CLI" timeout 60 /usr/bin/python3 "$BS_TMP/slowget.py" "$BS_TMP/slow"
slow_pid=$BS_LAST_PID
sleep 1.5
cp "$BS_TMP/v2" "$root/.swap.tmp" && mv "$root/.swap.tmp" "$root/swap.bin"
kill -0 "$slow_pid" 2>/dev/null || bs_fail "the slow download ended before the rename: not a test: $(cat "$BS_TMP/slowget.log")"
bs_log "renamed swap.bin while the slow download runs"
wait "$slow_pid" || bs_fail "slow download failed: $(cat "$BS_TMP/slowget.log")"
if cmp -s "$BS_TMP/slow" "$BS_TMP/v1"; then
  bs_log "ok: download across rename(): the old file, whole"
elif cmp -s "$BS_TMP/slow" "$BS_TMP/v2"; then
  bs_log "ok: download across rename(): the new file, whole"
else
  bs_fail "download across rename(): neither the old nor the new file ($(stat -c %s "$BS_TMP/slow") bytes)"
fi
c -o "$BS_TMP/got" "$U/swap.bin"
bs_check "after rename(): new requests get the new file" cmp -s "$BS_TMP/v2" "$BS_TMP/got"

# counters
kill -USR1 "$BS_SERVER_PID"
bs_wait_log "$BS_SERVER_LOG" 'http_status_2xx=[1-9]' 5 || bs_fail "no http counters on SIGUSR1"
bs_log "stats: $(grep -o 'http_[a-z_0-9]*=[0-9]*' "$BS_SERVER_LOG" | tail -n 11 | tr '\n' ' ')"

# GET /metrics: Prometheus text exposition, every module's counters
c -D "$BS_TMP/mh" -o "$BS_TMP/m1" "$U/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$BS_TMP/mh" || bs_fail "metrics Content-Type: $(cat "$BS_TMP/mh")"
for want in '^# TYPE bootstorm_http_responses_total counter$' \
  '^bootstorm_http_responses_total{code="2xx"} [1-9]' '^bootstorm_http_conns_active [1-9]' \
  '^# TYPE bootstorm_http_conns_active gauge$' '^bootstorm_worker_rx_pkts_total [0-9]' \
  '^bootstorm_dhcp_rx_total{type="discover"} 0$' '^bootstorm_leases 0$' \
  '^bootstorm_cache_hits_total [1-9]' \
  '^bootstorm_http_send_buffers_set_total 0$'; do
  grep -q "$want" "$BS_TMP/m1" || bs_fail "/metrics lacks $want"
done
# every line is a comment or "name{labels} value"; one TYPE per family
bad=$(grep -vE '^(# (HELP|TYPE) [a-z_0-9]+ .*|bootstorm_[a-zA-Z_0-9]+(\{[a-z]+="[a-zA-Z_0-9]+"\})? [0-9]+)$' "$BS_TMP/m1" || true)
[ -z "$bad" ] || bs_fail "not exposition format: $bad"
dup=$(grep '^# TYPE' "$BS_TMP/m1" | sort | uniq -d)
[ -z "$dup" ] || bs_fail "families twice: $dup"
r1=$(grep '^bootstorm_http_requests_total ' "$BS_TMP/m1" | cut -d' ' -f2)
c -o "$BS_TMP/m2" "$U/metrics"
r2=$(grep '^bootstorm_http_requests_total ' "$BS_TMP/m2" | cut -d' ' -f2)
[ "$r2" -gt "$r1" ] || bs_fail "http_requests did not move: $r1 -> $r2"
bs_log "ok: /metrics ($(grep -c '^bootstorm_' "$BS_TMP/m1") samples, $(grep -c '^# TYPE' "$BS_TMP/m1") families; requests $r1 -> $r2)"

# GET /boot.ipxe per host
ipxe() { c "$U/boot.ipxe${1:-}" | tr '\n' '|'; }
got=$(ipxe '?mac=52:54:00:00:00:01')
[ "$got" = "#!ipxe|kernel http://10.231.240.1:8080/sub/vmlinuz console=ttyS0,115200 quiet|initrd http://10.231.240.1:8080/initrd.img|boot|" ] ||
  bs_fail "tagged host script: $got"
got=$(ipxe '?mac=52%3A54%3A00%3A00%3A00%3A02')
[ "$got" = "#!ipxe|chain http://10.231.240.1:8080/menu.ipxe|" ] || bs_fail "known host script: $got"
got=$(ipxe '?mac=52:54:00:00:00:99')
[ "$got" = "#!ipxe|exit|" ] || bs_fail "unknown host script: $got"
got=$(ipxe)
[ "$got" = "#!ipxe|exit|" ] || bs_fail "script without mac: $got"
bs_log "ok: /boot.ipxe: tagged host -> kernel+initrd, known -> chain, unknown/no mac -> exit"

# IPv6 on the same (dual-stack) listener that served everything above
grep -q 'http: boot files on \[::\]:8080 (IPv4 and IPv6)' "$BS_SERVER_LOG" ||
  bs_fail "no dual-stack listener: $(grep 'http:' "$BS_SERVER_LOG" | head -n3)"
ls6=$(ip netns exec "$SRV" ss -Hltn '( sport = :8080 )')
[ "$(echo "$ls6" | wc -l)" = 1 ] && echo "$ls6" | grep -q '\*:8080 \|\[::\]:8080 ' ||
  bs_fail "want one listener on [::]:8080: $ls6"
grep -q 'http: 10\.231\.240\.2:[0-9]*: GET /big.bin 206' "$BS_SERVER_LOG" ||
  bs_fail "access log: IPv4 client (v4-mapped on the dual-stack socket) not shown as IPv4"
U6='http://[fd00:231:240::1]:8080'
c -g -o "$BS_TMP/got6" "$U6/big.bin"
bs_check "IPv6: GET whole file byte-identical" cmp -s "$root/big.bin" "$BS_TMP/got6"
st=$(c -g -o "$BS_TMP/r6" -w '%{http_code}' -r 1000000-1999999 "$U6/big.bin")
[ "$st" = 206 ] || bs_fail "IPv6 range: status $st, want 206"
dd if="$root/big.bin" of="$BS_TMP/want" iflag=skip_bytes,count_bytes skip=1000000 count=1000000 status=none
bs_check "IPv6: range 1000000-1999999" cmp -s "$BS_TMP/want" "$BS_TMP/r6"
got=$(c -g "$U6/boot.ipxe?mac=52:54:00:00:00:01" | tr '\n' '|')
[ "$got" = "#!ipxe|kernel http://[fd00:231:240::1]:8080/sub/vmlinuz console=ttyS0,115200 quiet|initrd http://[fd00:231:240::1]:8080/initrd.img|boot|" ] ||
  bs_fail "IPv6 /boot.ipxe script: $got"
bs_log "ok: IPv6 /boot.ipxe: URLs on [fd00:231:240::1]:8080"
# HTTP/1.0 without Host: the URLs name the address the client reached
got=$(printf 'GET /boot.ipxe?mac=52:54:00:00:00:01 HTTP/1.0\r\n\r\n' |
  ip netns exec "$CLI" /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("fd00:231:240::1", 8080), timeout=5)
s.sendall(sys.stdin.buffer.read())
d = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    d += b
print(d.partition(b"\r\n\r\n")[2].decode().split("\n")[1])')
[ "$got" = "kernel http://[fd00:231:240::1]:8080/sub/vmlinuz console=ttyS0,115200 quiet" ] ||
  bs_fail "IPv6 /boot.ipxe without Host: $got"
bs_wait_log "$BS_SERVER_LOG" 'http: \[fd00:231:240::2\]:[0-9]*: GET /big.bin 200' 5 ||
  bs_fail "access log: no line with the IPv6 peer"
# /done without mac: by IP, and an IPv6 client has none to go by
st=$(code -g "$U6/done")
[ "$st" = 404 ] || bs_fail "IPv6 /done without mac: $st, want 404 (no host by IP)"
bs_log "ok: IPv6 on the dual-stack listener: file, range, script, access log, /done by IP -> 404"

# DHCP-side tags in /boot.ipxe: the tags of DHCP's last reply to the MAC
# (here dhcp-match on option 93) pick the ipxe-boot line
EFI_MAC=52:54:00:00:10:07 BIOS_MAC=52:54:00:00:10:00
EFI_SCRIPT="#!ipxe|kernel $U/efi/vmlinuz|boot|"
BIOS_SCRIPT="#!ipxe|kernel $U/bios/vmlinuz|initrd $U/bios/initrd.img|boot|"
dhcp_as() { # MAC ARCH: a PXE DISCOVER with client-arch ARCH, answered
  ip netns exec "$CLI" /usr/bin/python3 "$here/../lib/pxe_probe.py" discover c0 "$1" \
    --arch "$2" --expect 1 --wait 10 >"$BS_TMP/offer.json" || bs_fail "no offer for $1 (arch $2)"
}
expect_script() { # MAC SCRIPT WHAT
  local got
  got=$(ipxe "?mac=$1")
  [ "$got" = "$2" ] || bs_fail "$3: $got, want $2"
}
expect_script $EFI_MAC "#!ipxe|exit|" "EFI client before its DHCP"
dhcp_as $EFI_MAC 7
dhcp_as $BIOS_MAC 0
expect_script $EFI_MAC "$EFI_SCRIPT" "client-arch 7"
expect_script $BIOS_MAC "$BIOS_SCRIPT" "client-arch 0"
expect_script 52:54:00:00:10:99 "#!ipxe|exit|" "MAC never seen by DHCP"
# the latest reply counts: the same MAC now as BIOS
dhcp_as $EFI_MAC 0
expect_script $EFI_MAC "$BIOS_SCRIPT" "client-arch 0 after 7"
dhcp_as $EFI_MAC 7
bs_log "ok: /boot.ipxe: dhcp-match tags: arch 7 -> efi line, arch 0 -> bios line, unseen -> exit"

# a reload that only adds a tag keeps what DHCP told us; one that moves
# the tags' bits (a new tag named first) forgets it until the next DHCP
reload() {
  local n
  n=$(grep -c 'reload done in' "$BS_SERVER_LOG" || true)
  kill -HUP "$BS_SERVER_PID"
  bs_wait_log "$BS_SERVER_LOG" "reload done in" 10 &&
    for _ in $(seq 100); do
      [ "$(grep -c 'reload done in' "$BS_SERVER_LOG")" -gt "$n" ] && return 0
      sleep 0.1
    done
  bs_fail "reload not done"
}
echo "dhcp-match=set:arm64,option:client-arch,11" >>"$conf"
reload
expect_script $EFI_MAC "$EFI_SCRIPT" "after a reload that adds a tag"
sed -i '1i dhcp-match=set:first,option:client-arch,6' "$conf"
reload
expect_script $EFI_MAC "#!ipxe|exit|" "after a reload that renumbers the tags"
dhcp_as $EFI_MAC 7
expect_script $EFI_MAC "$EFI_SCRIPT" "DHCP again after the renumbering reload"
c -o "$BS_TMP/m_tags" "$U/metrics"
grep -q '^bootstorm_tagmem_inserts_total 3$' "$BS_TMP/m_tags" ||
  bs_fail "tagmem_inserts: $(grep tagmem "$BS_TMP/m_tags")"
bs_log "ok: /boot.ipxe after reloads: tags kept when only added, forgotten when renumbered"

# metrics on their own address: only there; and a fixed send buffer
bs_stop_server
echo "metrics-address=10.231.240.1:9100" >>"$conf"
echo "http-send-buffer=256K" >>"$conf"
bs_start_server "$SRV" "$conf"
bs_wait_tcp "$SRV" 9100
st=$(code "$U/metrics")
[ "$st" = 404 ] || bs_fail "/metrics on the boot port with metrics-address: $st, want 404"
c -o "$BS_TMP/m3" http://10.231.240.1:9100/metrics
grep -q '^bootstorm_http_metrics_requests_total 1$' "$BS_TMP/m3" || bs_fail "metrics listener: $(head -c 300 "$BS_TMP/m3")"
st=$(code http://10.231.240.1:9100/big.bin)
[ "$st" = 404 ] || bs_fail "a boot file on the metrics port: $st, want 404"
bs_log "ok: metrics-address: /metrics there only, no boot files there"

# http-send-buffer=256K: the kernel doubles SO_SNDBUF, ss shows tb524288
# on the server's end of a slow download (auto, above, set none)
bs_bg "$BS_TMP/slowget2.log" ip netns exec "$CLI" timeout 60 /usr/bin/python3 "$BS_TMP/slowget.py" "$BS_TMP/slow2" /big.bin
slow_pid=$BS_LAST_PID
tb=
for _ in $(seq 50); do
  tb=$(ip netns exec "$SRV" ss -Htmn state established '( sport = :8080 )' | grep -o 'tb[0-9]*' | head -n1 || true)
  [ -n "$tb" ] && break
  sleep 0.1
done
[ "$tb" = tb524288 ] || bs_fail "send buffer with http-send-buffer=256K: '$tb', want tb524288"
wait "$slow_pid" || bs_fail "slow download of big.bin failed: $(cat "$BS_TMP/slowget2.log")"
cmp -s "$root/big.bin" "$BS_TMP/slow2" || bs_fail "slow download of big.bin: wrong content"
c -o "$BS_TMP/m4" http://10.231.240.1:9100/metrics
grep -q '^bootstorm_http_send_buffers_set_total 1$' "$BS_TMP/m4" || bs_fail "send buffer counter: $(grep send_buffers "$BS_TMP/m4")"
bs_log "ok: http-send-buffer=256K: $tb on the server socket, counted, file whole"

# http-address=IPV6: an IPv6-only listener on it; IPv4 refused
bs_stop_server
sed -i '/^metrics-address=/d' "$conf"
echo "http-address=fd00:231:240::1" >>"$conf"
echo "metrics-address=[fd00:231:240::1]:9100" >>"$conf"
bs_start_server "$SRV" "$conf"
bs_wait_tcp "$SRV" 8080
bs_wait_tcp "$SRV" 9100
c -g -o "$BS_TMP/m6" 'http://[fd00:231:240::1]:9100/metrics'
grep -q '^bootstorm_http_metrics_requests_total 1$' "$BS_TMP/m6" ||
  bs_fail "metrics-address=[fd00:231:240::1]:9100: $(head -c 300 "$BS_TMP/m6")"
c -g -o "$BS_TMP/got6" "$U6/big.bin"
bs_check "http-address=fd00:231:240::1: IPv6 GET byte-identical" cmp -s "$root/big.bin" "$BS_TMP/got6"
# curl's wording varies by version; the errno does not
v4=$(ip netns exec "$CLI" /usr/bin/python3 -c '
import socket
try:
    socket.create_connection(("10.231.240.1", 8080), timeout=5)
    print("connected")
except OSError as e:
    print(type(e).__name__)')
[ "$v4" = ConnectionRefusedError ] || bs_fail "IPv4 with http-address=IPv6: $v4, want ConnectionRefusedError"
bs_log "ok: http-address=fd00:231:240::1: IPv6 served, IPv4 refused; /metrics on [fd00:231:240::1]:9100"
bs_pass
