#!/usr/bin/env bash
# TFTP with real clients (tftp-hpa, atftp) and a scripted client (tftpc.py):
#  * small file, a file of exactly 512*n bytes (needs the empty last block),
#    a 34 MiB file (69632 blocks of 512: block numbers wrap past 65535)
#  * options: blksize 1468 and 8, tsize, windowsize 8, the OVMF-style tsize
#    probe aborted with ERROR 8 followed by the real download
#  * path traversal (../, absolute paths) and WRQ are refused
# Every download is compared byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init tftp_clients
bs_require tftp atftp sha256sum cmp /usr/bin/python3
TFTPC="/usr/bin/python3 $here/../lib/tftpc.py"

SRV_IP=10.231.2.1
bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 $SRV_IP/24
bs_addr "$CLI" c0 10.231.2.2/24

root=$BS_TMP/root
mkdir -p "$root/sub/dir" "$BS_TMP/out"
head -c 1000 /dev/urandom | base64 >"$root/small.txt"
head -c $((512 * 8)) /dev/urandom >"$root/exact.bin"
head -c $((34 * 1024 * 1024)) /dev/urandom >"$root/big.bin"
head -c $((4 * 1024 * 1024 + 77)) /dev/urandom >"$root/mid.bin"
echo "nested file" >"$root/sub/dir/nested.txt"
echo "SECRET-OUTSIDE-ROOT" >"$BS_TMP/secret.txt"
chmod -R a+rX "$root"
BIG_SIZE=$(stat -c %s "$root/big.bin")

conf=$BS_TMP/server.conf
cat >"$conf" <<EOF
# TFTP only: no DNS, no DHCP
interface=s0
port=0
enable-tftp
tftp-root=$root
tftp-port-range=40000,40999
pid-file=$BS_TMP/server.pid
EOF
bs_start_server "$SRV" "$conf"
bs_wait_udp "$SRV" 69

in_cli() { timeout 180 ip netns exec "$CLI" "$@"; }
same() { cmp -s "$root/$1" "$BS_TMP/out/$2"; }
t_start() { T0=$(date +%s.%N); }
t_rate() { awk -v a="$T0" -v b="$(date +%s.%N)" -v n="$1" 'BEGIN { d = b - a; printf "%.1f s, %.1f MB/s", d, n / d / 1e6 }'; }

# --- tftp-hpa (no options: blksize 512) ---------------------------------
for f in small.txt exact.bin sub/dir/nested.txt; do
  o=hpa-$(basename "$f")
  in_cli tftp -m binary $SRV_IP -c get "$f" "$BS_TMP/out/$o" >"$BS_TMP/$o.log" 2>&1 || true
  bs_check "tftp-hpa get $f" same "$f" "$o"
done
t_start
in_cli tftp -m binary $SRV_IP -c get big.bin "$BS_TMP/out/hpa-big.bin" >"$BS_TMP/hpa-big.log" 2>&1 || true
bs_check "tftp-hpa get big.bin, 512-byte blocks, block number wraps ($(t_rate "$BIG_SIZE"))" same big.bin hpa-big.bin

# --- atftp with options ---------------------------------------------------
atftp_get() { # REMOTE LOCAL OPTION...
  local r=$1 l=$2; shift 2
  local args=()
  for o in "$@"; do args+=(--option "$o"); done
  in_cli atftp "${args[@]}" --get -r "$r" -l "$BS_TMP/out/$l" $SRV_IP >"$BS_TMP/$l.log" 2>&1 || true
}
atftp_get small.txt at-small-b8.txt "blksize 8"
bs_check "atftp blksize 8 small.txt" same small.txt at-small-b8.txt
atftp_get exact.bin at-exact-b8.bin "blksize 8"
bs_check "atftp blksize 8 exact.bin" same exact.bin at-exact-b8.bin
t_start
atftp_get big.bin at-big-1468.bin "blksize 1468" "tsize 0"
bs_check "atftp blksize 1468 + tsize big.bin ($(t_rate "$BIG_SIZE"))" same big.bin at-big-1468.bin
t_start
atftp_get big.bin at-big-w8.bin "blksize 1468" "windowsize 8"
bs_check "atftp windowsize 8 big.bin ($(t_rate "$BIG_SIZE"))" same big.bin at-big-w8.bin
atftp_get exact.bin at-exact-w8.bin "blksize 512" "windowsize 8"
bs_check "atftp windowsize 8 exact.bin (512*n, window ends on empty block)" same exact.bin at-exact-w8.bin

# --- scripted client: what exactly is in the OACK ----------------------
json_get() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); v=d
for k in sys.argv[1].split("."):
    v = (v or {}).get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1"; }

t_start
r=$(in_cli $TFTPC $SRV_IP big.bin "$BS_TMP/out/py-big.bin" --opt blksize=1468 --opt tsize=0 --opt windowsize=8) ||
  bs_fail "tftpc big.bin with blksize/tsize/windowsize: $r"
bs_log "tftpc: $r ($(t_rate "$BIG_SIZE"))"
bs_check "tftpc big.bin content" same big.bin py-big.bin
bs_check "OACK tsize = $BIG_SIZE" test "$(json_get oack.tsize <<<"$r")" = "$BIG_SIZE"
bs_check "OACK blksize = 1468" test "$(json_get oack.blksize <<<"$r")" = 1468
pp=$(json_get peer_port <<<"$r")
bs_check "transfer served from tftp-port-range 40000-40999 (port $pp)" test "$pp" -ge 40000 -a "$pp" -le 40999
if bs_peer_is_dnsmasq; then
  # dnsmasq ignores windowsize (RFC 7440): no windowsize in its OACK
  bs_log "relaxed (BS_PEER=dnsmasq): OACK windowsize not checked (got '$(json_get oack.windowsize <<<"$r")')"
else
  bs_check "OACK windowsize = 8 (bootstorm)" test "$(json_get oack.windowsize <<<"$r")" = 8
  acks=$(json_get acks <<<"$r")
  bs_check "windowsize 8 means few ACKs ($acks for $(json_get blocks <<<"$r") blocks)" \
    test "$acks" -le $(( $(json_get blocks <<<"$r") / 4 ))
fi

# windowsize 4 + blksize 8 over a 512*n file: many full windows + empty last block
r=$(in_cli $TFTPC $SRV_IP exact.bin "$BS_TMP/out/py-exact-w4.bin" --opt blksize=8 --opt windowsize=4) ||
  bs_fail "tftpc exact.bin blksize 8 windowsize 4: $r"
bs_check "tftpc blksize 8 windowsize 4 exact.bin" same exact.bin py-exact-w4.bin

# OVMF pattern: tsize probe aborted with ERROR 8, then the real download
r=$(in_cli $TFTPC $SRV_IP small.txt "$BS_TMP/out/probe" --opt tsize=0 --opt blksize=1468 --opt windowsize=4 --abort-after-oack) ||
  bs_fail "tsize probe: $r"
bs_check "tsize probe OACK tsize = file size" test "$(json_get oack.tsize <<<"$r")" = "$(stat -c %s "$root/small.txt")"
r=$(in_cli $TFTPC $SRV_IP small.txt "$BS_TMP/out/py-small.txt" --opt tsize=0 --opt blksize=1468 --opt windowsize=4) ||
  bs_fail "download after aborted probe: $r"
bs_check "download after aborted tsize probe" same small.txt py-small.txt

# blksize beyond the MTU (1500): the server must negotiate it down so that
# no DATA packet is IP-fragmented (firmware often cannot reassemble)
r=$(in_cli $TFTPC $SRV_IP big.bin "$BS_TMP/out/py-big-64k.bin" --opt blksize=65464 --opt tsize=0) ||
  bs_fail "tftpc blksize 65464: $r"
ob=$(json_get oack.blksize <<<"$r")
bs_check "blksize 65464 on MTU 1500: OACK blksize $ob <= 1468" test -n "$ob" -a "${ob:-99999}" -le 1468
bs_check "blksize 65464 request: content" same big.bin py-big-64k.bin

# parallel transfers: 12 clients at once, mixed options, all byte-exact
pids=()
for i in $(seq 12); do
  case $((i % 3)) in
    0) in_cli tftp -m binary $SRV_IP -c get mid.bin "$BS_TMP/out/par-$i" >/dev/null 2>&1 & ;;
    1) in_cli atftp --option "blksize 1468" --get -r mid.bin -l "$BS_TMP/out/par-$i" $SRV_IP >/dev/null 2>&1 & ;;
    2) in_cli $TFTPC $SRV_IP mid.bin "$BS_TMP/out/par-$i" --opt blksize=512 --opt windowsize=4 >/dev/null 2>&1 & ;;
  esac
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
bad=0
for i in $(seq 12); do same mid.bin "par-$i" || bad=$((bad + 1)); done
bs_check "12 parallel transfers byte-exact ($bad bad)" test $bad = 0

# missing file -> ERROR (1 file not found)
r=$(in_cli $TFTPC $SRV_IP no-such-file "$BS_TMP/out/nsf") && bs_fail "missing file did not fail: $r"
bs_check "missing file answered with an ERROR packet ($r)" test -n "$(json_get error <<<"$r")"

# --- traversal -----------------------------------------------------------
for p in ../secret.txt ../../etc/passwd /etc/passwd sub/../../secret.txt "$BS_TMP/secret.txt" sub/dir/../../../secret.txt; do
  o=trav-$(echo "$p" | tr '/.' '_-')
  r=$(in_cli $TFTPC $SRV_IP "$p" "$BS_TMP/out/$o") && bs_fail "traversal '$p' served: $r"
  bs_check "traversal '$p' refused with an ERROR ($(json_get error <<<"$r"))" test -n "$(json_get error <<<"$r")"
  bs_check "traversal '$p' leaked nothing" test ! -s "$BS_TMP/out/$o"
  in_cli tftp -m binary $SRV_IP -c get "$p" "$BS_TMP/out/hpa-$o" >/dev/null 2>&1 || true
  if [ -s "$BS_TMP/out/hpa-$o" ] && grep -qE 'root:|SECRET' "$BS_TMP/out/hpa-$o"; then
    bs_fail "tftp-hpa traversal '$p' leaked data"
  fi
  bs_log "ok: tftp-hpa traversal '$p' got nothing"
done

# --- WRQ refused ------------------------------------------------------------
echo "upload attempt" >"$BS_TMP/upload.txt"
r=$(in_cli $TFTPC $SRV_IP uploaded.txt "$BS_TMP/out/x" --wrq) || true
bs_check "WRQ answered with ERROR ($r)" test -n "$(json_get error <<<"$r")"
bs_check "WRQ not accepted" test "$(json_get accepted <<<"$r")" != True
(cd "$BS_TMP" && in_cli tftp -m binary $SRV_IP -c put upload.txt uploaded2.txt >"$BS_TMP/put.log" 2>&1) || true
bs_check "tftp-hpa put created nothing" test ! -e "$root/uploaded.txt" -a ! -e "$root/uploaded2.txt"

# --- server still alive after all that ------------------------------------
in_cli tftp -m binary $SRV_IP -c get small.txt "$BS_TMP/out/final.txt" >/dev/null 2>&1 || true
bs_check "server still serves after the abuse" same small.txt final.txt
bs_pass
