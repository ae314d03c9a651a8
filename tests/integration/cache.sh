#!/usr/bin/env bash
# integration: the image cache's warming and memory budget (docs/http.md
# "Image cache"), server in its own namespace:
#   the dataplane has one warm thread (bs-warm), started after its
#   privilege drop, which warms the cache-warm= file queued before; TFTP and HTTP downloads work while a 256 MiB file is
#   warmed; `bootstormctl cache warm --wait FILE` on a 64 MiB file reports
#   100% and done; `cache status` lists it pinned with resident == size; a
#   file evicted from the page cache (fadvise DONTNEED, checked with
#   fincore) is warmed back to 100% resident; unpin and reload in the middle
#   of a warm neither crash nor restart the dataplane, and leave no pin;
#   a reload drops the pins and pins cache-warm= again; with cache-size=3M fetching two 2 MiB files
#   evicts the first (cache_evictions in `cache status`), while a pinned
#   file stays. An HTTP-only server (no TFTP, its own http-root) warms
#   its files too. No sanitizer report in the log (BOOTSTORM=an ASan build).
# Drops the page cache first (echo 1 > /proc/sys/vm/drop_caches): global,
# harmless (clean pages only; costs re-reads), meant for a test VM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init cache
bs_require /usr/bin/python3 curl fincore
bs_beside CTL "${BOOTSTORMCTL:-}" bootstormctl "set BOOTSTORMCTL"
TFTPC="/usr/bin/python3 $here/../lib/tftpc.py"

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.252.1/24
bs_addr "$CLI" c0 10.231.252.2/24

root=$BS_TMP/root
mkdir -p "$root"
head -c $((64 << 20)) /dev/urandom >"$root/big.img"
head -c $((2 << 20)) /dev/urandom >"$root/a.bin"
head -c $((2 << 20)) /dev/urandom >"$root/b.bin"
head -c $((256 << 20)) /dev/urandom >"$root/huge.img"
head -c $((1 << 20)) /dev/urandom >"$root/boot.0"
sock=$BS_TMP/ctl.sock
conf=$BS_TMP/server.conf
cat >"$conf" <<CONF
interface=s0
port=0
enable-tftp
tftp-root=$root
pid-file=$BS_TMP/server.pid
control-socket=$sock
http-port=8080
cache-size=3M
cache-warm=boot.0
CONF
ctl() { timeout 60 "$CTL" -s "$sock" "$@"; }
status_json() { timeout 20 "$CTL" -s "$sock" --json cache status 2>/dev/null || true; }
# resident percent of a file in the page cache
resident_pct() { fincore -nb -o RES,SIZE "$1" | awk '{ print int($1 * 100 / $2) }'; }
evict() {
  python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"
}
# cache-warm=boot.0: queued at start, before the thread exists (it starts
# after the privilege drop), warmed once it does
sync
evict "$root/boot.0"
bs_check "boot.0 out of the page cache before the start" test "$(resident_pct "$root/boot.0")" -le 10
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 69
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || bs_fail "no control socket at $sock"

bs_wait_tcp "$SRV" 8080
dataplane_pid() { ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["dataplane_pid"])'; }
dpid=$(dataplane_pid)
bs_check "the dataplane dropped its privileges" \
  bs_wait_log "$BS_SERVER_LOG" "dataplane: privileges dropped: .*seccomp" 5
bs_check "one warm thread (bs-warm) in the dataplane" \
  test "$(cat /proc/"$dpid"/task/*/comm | grep -c '^bs-warm$')" = 1
boot0_done() {
  status_json | python3 -c 'import json, sys
f = [x for x in json.load(sys.stdin)["files"] if x["path"] == "boot.0"]
sys.exit(not (f and f[0]["pinned"] and f[0]["done"] and f[0]["percent"] == 100))'
}
for _ in $(seq 50); do boot0_done && break; sleep 0.1; done
bs_check "cache-warm=boot.0 at start: pinned, 100%, done" boot0_done

sync
echo 1 >/proc/sys/vm/drop_caches

# TFTP and HTTP downloads while 256 MiB are warmed (the thread reads,
# the worker serves)
ctl cache warm huge.img >/dev/null || bs_fail "cache warm huge.img"
during=$(status_json | python3 -c 'import json,sys; print([f["warming"] for f in json.load(sys.stdin)["files"] if f["path"] == "huge.img"])')
ip netns exec "$CLI" timeout 30 $TFTPC 10.231.252.1 a.bin "$BS_TMP/a.out" >/dev/null &
tftp_pid=$!
ip netns exec "$CLI" curl -sS --max-time 30 -o "$BS_TMP/b.http" http://10.231.252.1:8080/b.bin \
  || bs_fail "HTTP during warming"
wait $tftp_pid || bs_fail "TFTP during warming"
bs_log "huge.img warming when the downloads started: $during"
bs_check "TFTP during warming: same bytes" cmp -s "$root/a.bin" "$BS_TMP/a.out"
bs_check "HTTP during warming: same bytes" cmp -s "$root/b.bin" "$BS_TMP/b.http"

out=$(ctl cache warm --wait big.img) || bs_fail "cache warm --wait big.img"
echo "$out" | tail -3 >&2
bs_check "warm --wait ends at 100% done" \
  grep -qE "^big\.img: $((64 << 20))/$((64 << 20)) bytes \(100%\) .* done$" <<<"$(tail -1 <<<"$out")"

ctl cache status >&2 || bs_fail "cache status"
check_status() { # python condition on r (the answer), f (files by path), st (stats)
  ctl --json cache status | python3 -c '
import json, sys
r = json.load(sys.stdin)
f = {x["path"]: x for x in r["files"]}
st = r["stats"]
assert r["ok"] is True, r
assert '"$1"', (f, st)
'
}
check_status 'f["big.img"]["resident"] == f["big.img"]["size"] == 64 << 20 and f["big.img"]["pinned"] and f["big.img"]["done"] and f["big.img"]["percent"] == 100' \
  || bs_fail "cache status: big.img resident == size, pinned, done"
bs_log "ok: cache status: big.img resident == size, pinned, done"
check_status 'st["cache_pinned_files"] >= 1 and st["cache_pinned_bytes"] >= 64 << 20 and st["cache_warm_bytes"] > 0 and st["cache_resident_bytes"] >= 64 << 20' \
  || bs_fail "cache status: pinned/warm/resident counters"
bs_log "ok: cache stats: pinned, warm, resident bytes"

# budget: 3M of idle mappings; a.bin (idle since the download) + b.bin > 3M
ip netns exec "$CLI" timeout 30 $TFTPC 10.231.252.1 b.bin "$BS_TMP/b.out" \
  || bs_fail "TFTP b.bin"
bs_check "TFTP b.bin: same bytes" cmp -s "$root/b.bin" "$BS_TMP/b.out"
check_status 'st["cache_evictions"] >= 1 and "a.bin" not in f and "b.bin" in f and "big.img" in f' \
  || bs_fail "cache-size=3M: a.bin evicted, b.bin and the pinned files kept"
bs_log "ok: cache-size: LRU eviction, pinned files kept"

# unpin: big.img (64M) is then idle and over budget: evicted at once
ctl cache unpin big.img >/dev/null || bs_fail "cache unpin big.img"
check_status '"big.img" not in f' || bs_fail "unpinned big.img evicted (over cache-size)"
bs_log "ok: cache unpin"
if ctl cache unpin big.img 2>/dev/null; then bs_fail "unpin of an unpinned file succeeded"; fi
if ctl cache warm ../etc/passwd 2>/dev/null; then bs_fail "warm escaped the root"; fi
bs_log "ok: unpin twice and ../ refused"

# out of the page cache (no longer mapped by the server: DONTNEED skips
# mapped pages), then warmed back
evict "$root/big.img"
pct=$(resident_pct "$root/big.img")
bs_check "big.img evicted from the page cache ($pct% resident)" test "$pct" -le 10
out=$(ctl cache warm --wait big.img) || bs_fail "cache warm --wait big.img (evicted)"
tail -1 <<<"$out" >&2
bs_check "evicted big.img: warm --wait ends at 100% done" \
  grep -qE "^big\.img: $((64 << 20))/$((64 << 20)) bytes \(100%\) .* done$" <<<"$(tail -1 <<<"$out")"
bs_check "evicted big.img: 100% resident (fincore)" test "$(resident_pct "$root/big.img")" = 100
ctl cache unpin big.img >/dev/null || bs_fail "cache unpin big.img"

# unpin and reload in the middle of a warm of 256 MiB
ctl cache unpin huge.img >/dev/null || bs_fail "cache unpin huge.img"
check_status '"huge.img" not in f' || bs_fail "unpinned huge.img evicted (over cache-size)"
evict "$root/huge.img"
ctl cache warm huge.img >/dev/null || bs_fail "cache warm huge.img (2)"
ctl cache unpin huge.img >/dev/null || bs_fail "cache unpin huge.img during its warm"
sleep 0.5 # the chunk the thread was reading
check_status 'st["cache_pinned_files"] == 1 and "huge.img" not in f' \
  || bs_fail "unpinned during its warm: no pin left (but boot.0's), evicted (over cache-size)"
bs_log "ok: unpin during a warm"
evict "$root/huge.img"
ctl cache warm huge.img >/dev/null || bs_fail "cache warm huge.img (3)"
timeout 20 "$CTL" -s "$sock" reload >/dev/null || bs_fail "reload during a warm"
sleep 0.5
check_status 'st["cache_pinned_files"] == 1 and f["boot.0"]["pinned"] and "huge.img" not in f' \
  || bs_fail "reload during a warm: no pin left but cache-warm=boot.0"
bs_log "ok: reload during a warm"
bs_check "the dataplane is the same process (no crash, no restart)" test "$(dataplane_pid)" = "$dpid"
rm -f "$BS_TMP/a.out"
ip netns exec "$CLI" timeout 30 $TFTPC 10.231.252.1 a.bin "$BS_TMP/a.out" >/dev/null \
  || bs_fail "TFTP after the interrupted warms"
bs_check "TFTP after the interrupted warms: same bytes" cmp -s "$root/a.bin" "$BS_TMP/a.out"

# reload drops the pins, and pins the cache-warm= files again
ctl cache warm a.bin >/dev/null || bs_fail "cache warm a.bin"
timeout 20 "$CTL" -s "$sock" reload >/dev/null || bs_fail "reload"
check_status 'st["cache_pinned_files"] == 1 and f["boot.0"]["pinned"] and not f.get("a.bin", {"pinned": False})["pinned"]' \
  || bs_fail "reload drops the pins but cache-warm=boot.0"
bs_log "ok: reload drops pins, pins cache-warm= again"
bs_stop_server

# HTTP only (UEFI HTTP boot, no TFTP): http-root's cache is warmed too,
# by cache-warm= and by the control socket
hroot=$BS_TMP/hroot
mkdir -p "$hroot"
head -c $((32 << 20)) /dev/urandom >"$hroot/live.img"
head -c $((1 << 20)) /dev/urandom >"$hroot/loader.efi"
evict "$hroot/live.img"
cat >"$conf" <<CONF
interface=s0
port=0
pid-file=$BS_TMP/server.pid
control-socket=$sock
http-port=8080
http-root=$hroot
cache-warm=loader.efi
CONF
bs_start_server "$SRV" "$conf"
bs_wait_tcp "$SRV" 8080
out=$(ctl cache warm --wait live.img) || bs_fail "HTTP only: cache warm --wait live.img: $out"
check_status 'f["live.img"]["pinned"] and f["live.img"]["resident"] == f["live.img"]["size"] and f["loader.efi"]["pinned"]' \
  || bs_fail "HTTP only: live.img and cache-warm=loader.efi pinned and resident"
bs_check "HTTP only: live.img resident (fincore)" test "$(resident_pct "$hroot/live.img")" -ge 99
if ctl cache warm nosuch.img >/dev/null 2>&1; then bs_fail "HTTP only: warming a missing file succeeded"; fi
ip netns exec "$CLI" curl -sS --max-time 20 -o "$BS_TMP/live.out" http://10.231.252.1:8080/live.img \
  || bs_fail "HTTP only: GET live.img"
bs_check "HTTP only: GET of the warmed file, same bytes" cmp -s "$hroot/live.img" "$BS_TMP/live.out"
bs_log "ok: HTTP only: cache-warm= and cache warm --wait on http-root"
bs_stop_server
bs_check "no dataplane crash or restart in the log" \
  bash -c "! grep -E 'dataplane (killed|exited|restarted)' '$BS_SERVER_LOG'"
bs_check "no sanitizer report in the log" \
  bash -c "! grep -E 'Sanitizer|runtime error' '$BS_SERVER_LOG'"
bs_pass
