# shellcheck shell=bash
# Sourced helpers for bootstorm integration / e2e tests.
#
#   . "$(dirname "$0")/../lib/netns.sh"
#   bs_init dhcp              # root check (exit 77), tmp dir, EXIT trap
#   bs_ns SRV srv             # SRV=<namespace name>, created, lo up
#   bs_ns CLI cli
#   bs_veth "$SRV" s0 "$CLI" c0   # veth pair between two namespaces
#   bs_addr "$SRV" s0 10.231.1.1/24
#   bs_start_server "$SRV" "$conf"
#   bs_wait_udp "$SRV" 67
#   ... ; bs_fail "what went wrong"   # prints server log tail, exits 1
#
# Everything created through these helpers (namespaces with their veths,
# bridges and taps; processes started with bs_bg / bs_start_server; the tmp
# dir) is removed by the EXIT trap, also on failure or Ctrl-C.
#
# Addresses: only 10.231.0.0/16, and only inside namespaces made here.
#
# Environment:
#   BOOTSTORM   server binary (default: $BS_REPO/build/bootstorm)
#   BS_SERVER   overrides BOOTSTORM (same meaning)
#   BS_PEER     "dnsmasq" relaxes bootstorm-only assertions; set
#               automatically when the server binary is named dnsmasq
#   BS_SERVER_ARGS  extra server arguments (word-split) for every start
#   BS_KEEP=1   keep the tmp dir (logs) after the test
#   BS_KEEP_ON_FAIL=1  keep it only when the test fails

BS_REPO=${BS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BS_SERVER=${BS_SERVER:-${BOOTSTORM:-$BS_REPO/build/bootstorm}}
if [ -z "${BS_PEER:-}" ] && [ "$(basename "$BS_SERVER")" = dnsmasq ]; then
  BS_PEER=dnsmasq
fi
BS_PEER=${BS_PEER:-bootstorm}
export BS_REPO BS_SERVER BS_PEER

BS_NAMESPACES=()
BS_PIDS=()
BS_SERVER_PID=
BS_SERVER_LOG=
BS_TMP=
BS_NAME="test"
BS_T0=$(date +%s.%N)

bs_log() { printf '[%s %6ss] %s\n' "$BS_NAME" "$(bs_elapsed)" "$*" >&2; }

bs_elapsed() { awk -v a="$BS_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# bs_peer_is_dnsmasq: true when bootstorm-only checks must be relaxed.
bs_peer_is_dnsmasq() { [ "$BS_PEER" = dnsmasq ]; }

# bs_init NAME: call first. Exits 77 (skip) when not root.
bs_init() {
  BS_NAME=$1
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: $BS_NAME needs root (network namespaces)" >&2
    exit 77
  fi
  # short unique id: pid in hex (pid_max 4194304 -> at most 6 hex digits);
  # interface names must fit in 15 characters.
  BS_ID=$(printf '%x' $$)
  BS_TMP=$(mktemp -d "/tmp/bst-$BS_NAME-$BS_ID.XXXXXX")
  # dnsmasq drops privileges: its TFTP files and dirs must be world-readable
  chmod 755 "$BS_TMP"
  trap bs_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ ! -x "$BS_SERVER" ]; then
    echo "FAIL: server binary '$BS_SERVER' not found/executable." >&2
    echo "  build it (meson compile -C build) or run against dnsmasq:" >&2
    echo "  BOOTSTORM=/usr/sbin/dnsmasq $0" >&2
    exit 1
  fi
  bs_log "server=$BS_SERVER peer=$BS_PEER tmp=$BS_TMP"
}

bs_cleanup() {
  local rc=$? p ns pids
  trap - EXIT INT TERM
  set +e
  for p in "${BS_PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  # give them a moment, then SIGKILL what is left
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    for p in "${BS_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${BS_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for ns in "${BS_NAMESPACES[@]}"; do
    # anything still running inside a namespace we created was started by
    # this test (e.g. a daemon that forked); end it by pid.
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  done
  for ns in "${BS_NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
  if [ -n "$BS_TMP" ] && [ -d "$BS_TMP" ]; then
    if [ "${BS_KEEP:-0}" = 1 ] || { [ $rc != 0 ] && [ $rc != 77 ] && [ -n "${BS_KEEP_ON_FAIL:-}" ]; }; then
      echo "kept: $BS_TMP" >&2
    else
      rm -rf "$BS_TMP"
    fi
  fi
  exit $rc
}

# bs_ns VAR SUFFIX: create namespace bst-<id>-SUFFIX, store its name in VAR.
bs_ns() {
  local var=$1 name="bst-$BS_ID-$2"
  ip netns add "$name" || bs_fail "ip netns add $name"
  BS_NAMESPACES+=("$name")
  ip -n "$name" link set lo up
  printf -v "$var" '%s' "$name"
}

# bs_veth NS_A IF_A NS_B IF_B [MTU]: veth pair straight between two
# namespaces (no names in the root namespace), both ends up, TX checksum
# offload off on both ends: over veth a locally sent UDP datagram otherwise
# keeps CHECKSUM_PARTIAL, and clients reading from packet sockets (dhclient,
# udhcpc, scapy, AF_XDP) see a wrong UDP checksum and drop the packet.
bs_veth() {
  local nsa=$1 ifa=$2 nsb=$3 ifb=$4 mtu=${5:-}
  ip link add "$ifa" netns "$nsa" type veth peer name "$ifb" netns "$nsb" \
    || bs_fail "veth $nsa/$ifa <-> $nsb/$ifb"
  [ -n "$mtu" ] && ip -n "$nsa" link set "$ifa" mtu "$mtu" && ip -n "$nsb" link set "$ifb" mtu "$mtu"
  ip netns exec "$nsa" ethtool -K "$ifa" tx off >/dev/null 2>&1
  ip netns exec "$nsb" ethtool -K "$ifb" tx off >/dev/null 2>&1
  ip -n "$nsa" link set "$ifa" up
  ip -n "$nsb" link set "$ifb" up
}

# bs_bridge NS BR: a bridge inside NS (STP off, no forward delay).
bs_bridge() {
  local ns=$1 br=$2
  ip -n "$ns" link add "$br" type bridge forward_delay 0 stp_state 0 \
    || bs_fail "bridge $ns/$br"
  ip -n "$ns" link set "$br" up
}

# bs_brport NS IF BR: enslave IF to bridge BR (both in NS).
bs_brport() {
  ip -n "$1" link set "$2" master "$3" || bs_fail "enslave $1/$2 to $3"
  ip -n "$1" link set "$2" up
}

# bs_tap NS TAP [BR]: a tap for QEMU inside NS, optionally on bridge BR.
bs_tap() {
  local ns=$1 tap=$2 br=${3:-}
  ip -n "$ns" tuntap add dev "$tap" mode tap || bs_fail "tap $ns/$tap"
  ip netns exec "$ns" ethtool -K "$tap" tx off >/dev/null 2>&1
  [ -n "$br" ] && ip -n "$ns" link set "$tap" master "$br"
  ip -n "$ns" link set "$tap" up
}

# bs_addr NS IF CIDR
bs_addr() {
  case $3 in 10.231.*) ;; *) bs_fail "address $3 outside 10.231.0.0/16" ;; esac
  ip -n "$1" addr add "$3" dev "$2" || bs_fail "addr $3 on $1/$2"
}

# bs_addr6 NS IF CIDR: an IPv6 address inside fd00:231::/32 (the test
# block's IPv6 twin), usable at once (nodad: no duplicate detection wait)
bs_addr6() {
  case $3 in fd00:231:*) ;; *) bs_fail "address $3 outside fd00:231::/32" ;; esac
  ip -n "$1" -6 addr add "$3" dev "$2" nodad || bs_fail "addr $3 on $1/$2"
}

# bs_bg LOG CMD...: run CMD in the background, output to LOG, pid recorded
# for cleanup; pid in $BS_LAST_PID.
bs_bg() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  BS_LAST_PID=$!
  BS_PIDS+=("$BS_LAST_PID")
}

# bs_stop PID: stop one background process (TERM, then KILL after 3 s).
bs_stop() {
  local p=$1
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  return 0
}

# bs_start_server NS CONF [EXTRA ARGS...]: start "$BS_SERVER -C CONF -d
# --log-dhcp" in NS in the background. Sets BS_SERVER_PID, BS_SERVER_LOG
# (a new log per start: server.log, server.2.log, ...).
BS_SERVER_STARTS=0
bs_start_server() {
  local ns=$1 conf=$2; shift 2
  BS_SERVER_STARTS=$((BS_SERVER_STARTS + 1))
  if [ $BS_SERVER_STARTS = 1 ]; then
    BS_SERVER_LOG=$BS_TMP/server.log
  else
    BS_SERVER_LOG=$BS_TMP/server.$BS_SERVER_STARTS.log
  fi
  BS_SERVER_CONF=$conf
  # BS_SERVER_ARGS: extra arguments for every server start (word-split),
  # e.g. a backend choice for bootstorm
  # shellcheck disable=SC2206
  local more=(${BS_SERVER_ARGS:-})
  bs_log "start server in $ns: $BS_SERVER -C $conf -d --log-dhcp ${more[*]} $*"
  bs_bg "$BS_SERVER_LOG" ip netns exec "$ns" "$BS_SERVER" -C "$conf" -d --log-dhcp "${more[@]}" "$@"
  BS_SERVER_PID=$BS_LAST_PID
  sleep 0.1
  kill -0 "$BS_SERVER_PID" 2>/dev/null || bs_fail "server exited at start"
}

# bs_stop_server: stop the server started last.
bs_stop_server() {
  [ -n "$BS_SERVER_PID" ] && bs_stop "$BS_SERVER_PID"
  BS_SERVER_PID=
}

# bs_wait_udp NS PORT [TIMEOUT=10]: wait until the server is ready on UDP
# PORT: a kernel socket listens on it (ss -lnu), or -- for a server that
# takes its traffic through AF_XDP and binds no socket -- the pid-file named
# in the server's conf exists while an AF_XDP socket is open in NS.
bs_wait_udp() {
  local ns=$1 port=$2 t=${3:-10} i pidf=
  [ -n "${BS_SERVER_CONF:-}" ] &&
    pidf=$(sed -n 's/^[[:space:]]*pid-file=//p' "$BS_SERVER_CONF" | tail -n1)
  for i in $(seq $((t * 10))); do
    ip netns exec "$ns" ss -Hlnu 2>/dev/null |
      awk -v p=":$port" 'substr($4, length($4) - length(p) + 1) == p { f = 1 } END { exit !f }' && return 0
    if [ -n "$pidf" ] && [ -s "$pidf" ] &&
      [ -n "$(ip netns exec "$ns" ss -H --xdp 2>/dev/null)" ]; then
      return 0
    fi
    if [ -n "$BS_SERVER_PID" ] && ! kill -0 "$BS_SERVER_PID" 2>/dev/null; then
      bs_fail "server died while waiting for UDP port $port"
    fi
    sleep 0.1
  done
  bs_fail "nothing listens on UDP $port in $ns after ${t}s"
}

# bs_wait_log FILE REGEX [TIMEOUT=10]: wait until FILE has a line matching
# the extended REGEX. Returns 1 on timeout (does not fail by itself).
bs_wait_log() {
  local f=$1 re=$2 t=${3:-10} i
  for i in $(seq $((t * 10))); do
    grep -qE -- "$re" "$f" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# bs_wait_file FILE [TIMEOUT=10]: wait until FILE exists and is non-empty.
bs_wait_file() {
  local f=$1 t=${2:-10} i
  for i in $(seq $((t * 10))); do
    [ -s "$f" ] && return 0
    sleep 0.1
  done
  return 1
}

# bs_fail MSG: print MSG and the tail of the server log, exit 1.
bs_fail() {
  echo "FAIL: $BS_NAME: $*" >&2
  if [ -n "$BS_SERVER_LOG" ] && [ -f "$BS_SERVER_LOG" ]; then
    echo "---- server log tail ($BS_SERVER_LOG) ----" >&2
    tail -n 40 "$BS_SERVER_LOG" >&2
    echo "----" >&2
  fi
  exit 1
}

# bs_check COND-DESCRIPTION CMD...: run CMD, fail with the description if it
# fails, log "ok: ..." otherwise.
bs_check() {
  local what=$1; shift
  if "$@"; then bs_log "ok: $what"; else bs_fail "$what"; fi
}

bs_pass() {
  bs_log "PASS ($(bs_elapsed) s)"
  exit 0
}

# bs_require CMD...: each CMD must exist (installed by tests/deps.sh).
bs_require() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || bs_fail "missing $c (run tests/deps.sh)"
  done
}

# bs_udhcpc NS IF OUT [udhcpc args...]: run busybox udhcpc once in NS on IF
# (-q: quit after the lease, -n: fail without one) with a script that writes
# the lease variables (ip, subnet, router, serverid, siaddr, boot_file, ...)
# as shell assignments to OUT. Does not configure the interface.
# Returns udhcpc's status.
bs_udhcpc() {
  local ns=$1 ifc=$2 out=$3; shift 3
  local script=$BS_TMP/udhcpc-script.sh
  if [ ! -x "$script" ]; then
    cat >"$script" <<'SCRIPT'
#!/bin/sh
# $1 = deconfig | bound | renew | nak | leasefail
case "$1" in
  bound|renew)
    for v in interface ip subnet mask router serverid siaddr boot_file sname lease opt43 opt60 vendor; do
      eval "x=\${$v-}"
      [ -n "$x" ] && printf "%s='%s'\n" "$v" "$x"
    done > "$BS_UDHCPC_OUT.tmp"
    mv "$BS_UDHCPC_OUT.tmp" "$BS_UDHCPC_OUT"
    ;;
esac
exit 0
SCRIPT
    chmod 755 "$script"
  fi
  rm -f "$out"
  BS_UDHCPC_OUT=$out timeout 60 ip netns exec "$ns" \
    udhcpc -f -q -n -i "$ifc" -s "$script" -t 6 -T 3 "$@" >>"$out.log" 2>&1
}

# bs_lease_get FILE VAR: print VAR from a bs_udhcpc / dhclient output file.
bs_lease_get() {
  (set +u; . "$1" 2>/dev/null; eval "printf '%s' \"\${$2-}\"")
}

# bs_ip_in_range IP LO HI: true when LO <= IP <= HI (IPv4 dotted quads).
bs_ip_in_range() {
  local a b c
  a=$(_bs_ip2int "$1"); b=$(_bs_ip2int "$2"); c=$(_bs_ip2int "$3")
  [ -n "$a" ] && [ "$a" -ge "$b" ] && [ "$a" -le "$c" ]
}
_bs_ip2int() {
  local IFS=. o
  read -r -a o <<<"$1"
  [ ${#o[@]} = 4 ] || return 0
  echo $(( (o[0] << 24) + (o[1] << 16) + (o[2] << 8) + o[3] ))
}

# bs_addr_only_dhcp NS PREFIX: the site's existing DHCP server for proxyDHCP
# tests: dnsmasq (a peer, not under test) on eth0 in NS handing out
# PREFIX.100-PREFIX.150 and nothing else (no boot options). Its leases are in
# $BS_TMP/addr.leases, its log in $BS_TMP/addr.log, its pid in BS_ADDR_PID.
bs_addr_only_dhcp() {
  local ns=$1 prefix=$2
  cat >"$BS_TMP/addr.conf" <<CONF
interface=eth0
port=0
dhcp-range=$prefix.100,$prefix.150,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/addr.leases
pid-file=$BS_TMP/addr.pid
CONF
  bs_bg "$BS_TMP/addr.log" ip netns exec "$ns" /usr/sbin/dnsmasq -C "$BS_TMP/addr.conf" -d --log-dhcp --no-ping
  BS_ADDR_PID=$BS_LAST_PID
  bs_wait_udp "$ns" 67
}

# bs_wait_tcp NS PORT [TIMEOUT=5]: wait until something listens on TCP PORT
# in NS (the HTTP server); fails the test when nothing does in time.
bs_wait_tcp() {
  local ns=$1 port=$2 t=${3:-5} i
  for i in $(seq $((t * 10))); do
    ip netns exec "$ns" ss -Hltn 2>/dev/null | grep -q ":$port " && return 0
    sleep 0.1
  done
  bs_fail "nothing listens on TCP $port"
}

# bs_stat NAME: SIGUSR1 to the server, then the newest value of counter
# NAME in its log (empty if never logged).
bs_stat() {
  kill -USR1 "$BS_SERVER_PID"
  sleep 0.3
  grep -o " $1=[0-9]*" "$BS_SERVER_LOG" | tail -n1 | cut -d= -f2
}

# bs_xdp_attached NS IF: true while an XDP program is attached to NS/IF.
bs_xdp_attached() { ip -n "$1" -d link show "$2" | grep -q 'prog/xdp'; }

# bs_kill9_while CMD...: start CMD (a download) in the background, kill -9
# the server while it runs, then stop CMD.
bs_kill9_while() {
  local dl
  "$@" >/dev/null 2>&1 &
  dl=$!
  sleep 0.3
  kill -9 "$BS_SERVER_PID"
  wait "$BS_SERVER_PID" 2>/dev/null || true
  BS_SERVER_PID=
  kill "$dl" 2>/dev/null || true
  wait "$dl" 2>/dev/null || true
}

# bs_kill9_during NS IF CMD...: start CMD (a download) in the background,
# kill -9 the server while it runs, and check that the XDP program went
# with the process (bpf_link): nothing left on NS/IF.
bs_kill9_during() {
  local ns=$1 ifc=$2; shift 2
  bs_kill9_while "$@"
  for _ in $(seq 20); do bs_xdp_attached "$ns" "$ifc" || break; sleep 0.1; done
  bs_check "no XDP program left after kill -9" bash -c "! ip -n $ns -d link show $ifc | grep -q prog/xdp"
}

# bs_perfdhcp_stat OUT EXCHANGE FIELD: one number from perfdhcp's report in
# OUT, e.g. bs_perfdhcp_stat perf.out REQUEST-ACK drops ("" when absent).
bs_perfdhcp_stat() {
  awk -v ex="$2" -v f="$3" '
    index($0, ex) { inx = 1; next }
    inx && /^\*\*\*/ { inx = 0 }
    inx && index($0, f ":") == 1 { sub(/^[^:]*: */, ""); print $1; exit }' "$1"
}

# bs_beside VAR OVERRIDE NAME HINT: VAR = OVERRIDE if set, else NAME next
# to the server binary (a build dir: bootstormctl, bench/bootstorm-storm);
# fails the test, with HINT, when it is not an executable.
bs_beside() {
  local path=${2:-$(dirname "$BS_SERVER")/$3}
  [ -x "$path" ] || bs_fail "$(basename "$3") not found at $path ($4)"
  printf -v "$1" '%s' "$path"
}

# bs_ctl_wait SOCK: wait until the server started last has its control
# socket SOCK; then bs_ctl ARGS... runs bootstormctl on it (BOOTSTORMCTL,
# else the one next to the server binary) and bs_ctl_stat NAME prints one
# of its counters.
bs_ctl_wait() {
  BS_CTL_SOCK=$1
  bs_beside BS_CTL "${BOOTSTORMCTL:-}" bootstormctl "set BOOTSTORMCTL"
  for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
  bs_fail "no control socket at $1"
}
bs_ctl() { timeout 20 "$BS_CTL" -s "$BS_CTL_SOCK" "$@"; }
bs_ctl_stat() {
  bs_ctl --json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["stats"][sys.argv[1]])' "$1"
}
