#!/usr/bin/env bash
# integration: the dataplane's privilege drop (docs/architecture.md
# "Processes", dataplane/util/sandbox.h). With BS_TEST_WRITE_PROBE=DIR the
# dataplane, right after the drop, tries to create, write, rename, unlink
# and mkdir in DIR (writable by root) and to create a file in tftp-root:
# every attempt must fail (EACCES/EPERM) and leave nothing behind. The
# dataplane is not the control process (pid file), runs with
# no_new_privs, a seccomp filter and no capabilities (CAP_BPF only with
# AF_XDP), and still serves DHCP (udhcpc), TFTP (tftp-hpa) and HTTP (curl);
# its cache warm thread has the same filter and warms a file.
# Host actions persist (the state file is written by control): install
# once, a delivered file flips it, the state file changes on disk, and
# the flip survives a restart. Two more starts apply each mechanism alone
# (BS_TEST_SANDBOX=landlock-only: EACCES; seccomp-only: EPERM, the path
# taken on a kernel without Landlock) and are checked the same way; a
# last one with user=nobody checks the id change.
# A reload still reads the config file and a conf-file= include in another
# directory. Control removes the control socket at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init privdrop
bs_require udhcpc curl tftp cmp /usr/bin/python3
bs_beside CTL "${BOOTSTORMCTL:-}" bootstormctl "set BOOTSTORMCTL"

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.62.1/24

root=$BS_TMP/root
probe=$BS_TMP/probe
mkdir -p "$root" "$probe"
head -c 200000 /dev/urandom >"$root/boot.img"
head -c 3000 /dev/urandom >"$root/inst.0"
echo original >"$probe/existing"
sock=$BS_TMP/ctl.sock
state=$BS_TMP/state/hosts
pidf=$BS_TMP/server.pid
# the config in its own directory, an include in another: a reload after
# the drop must still read both
mkdir -p "$BS_TMP/etc" "$BS_TMP/inc"
conf=$BS_TMP/etc/server.conf
echo "dhcp-lease-max=500" >"$BS_TMP/inc/extra.conf"
cat >"$conf" <<CONF
interface=s0
port=0
dhcp-range=10.231.62.100,10.231.62.150,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
host-state=$state
pid-file=$pidf
control-socket=$sock
enable-tftp
tftp-root=$root
http-port=8080
dhcp-boot=boot.img
conf-file=$BS_TMP/inc/extra.conf
CONF
ctl() { timeout 20 "$CTL" -s "$sock" "$@"; }
action() {
  ctl --json hosts | python3 -c '
import json, sys
h = [x for x in json.load(sys.stdin)["hosts"] if x["mac"] == sys.argv[1]]
print(h[0]["action"] if h else "ABSENT")' "$1"
}
status_field() { ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

start() {
  bs_start_server "$SRV" "$conf"
  bs_wait_udp "$SRV" 67
  bs_wait_tcp "$SRV" 8080
  bs_ctl_wait "$sock"
}

# $1: what the drop line must say (Landlock, seccomp); $2: the errnos
# expected; $3: /proc's Seccomp field (2: a filter)
check_drop() {
  bs_check "the drop is logged ($1)" \
    bs_wait_log "$BS_SERVER_LOG" "dataplane: privileges dropped: $1, caps" 10
  bs_wait_log "$BS_SERVER_LOG" "write probe: mkdir" 10 || bs_fail "the write probe did not run"
  grep 'write probe:' "$BS_SERVER_LOG" >&2
  bs_check "six write attempts logged" test "$(grep -c 'write probe:' "$BS_SERVER_LOG")" = 6
  bs_check "every write attempt failed with $2" \
    bash -c "! grep 'write probe:' '$BS_SERVER_LOG' | grep -vE ': ($2)\$'"
  bs_check "nothing was created" \
    bash -c "[ ! -e '$probe/probe-new' ] && [ ! -e '$root/probe-new' ] && [ ! -e '$probe/probe-dir' ]"
  bs_check "the existing file is unchanged, not renamed or removed" \
    test "$(cat "$probe/existing")" = original

  local cpid dpid
  cpid=$(cat "$pidf")
  dpid=$(status_field dataplane_pid)
  bs_log "control $cpid, dataplane $dpid"
  bs_check "the dataplane is another process than control (pid file)" \
    bash -c "[ -n '$dpid' ] && [ '$dpid' != 0 ] && [ '$dpid' != '$cpid' ]"
  bs_check "the dataplane is control's child" test "$(proc_field "$dpid" PPid)" = "$cpid"
  bs_check "the dataplane has no_new_privs" test "$(proc_field "$dpid" NoNewPrivs)" = 1
  bs_check "seccomp: $3" test "$(proc_field "$dpid" Seccomp)" = "$3"
  local want=0000000000000000
  case "${BS_SERVER_ARGS:-}" in *afxdp*) want=0000008000000000 ;; esac # CAP_BPF
  bs_check "the dataplane's capabilities: $want" \
    bash -c "[ '$(proc_field "$dpid" CapEff)' = $want ] && [ '$(proc_field "$dpid" CapPrm)' = $want ]"
  # the cache's warm thread starts after the drop: the sandbox covers it
  local wt
  wt=$(grep -lx bs-warm /proc/"$dpid"/task/*/comm | head -1)
  bs_check "the warm thread exists" test -n "$wt"
  wt=${wt%/comm}
  bs_check "the warm thread: seccomp $3, no_new_privs, capabilities $want" \
    bash -c "[ '$(proc_field "${wt#/proc/}" Seccomp)' = '$3' ] && [ '$(proc_field "${wt#/proc/}" NoNewPrivs)' = 1 ] && [ '$(proc_field "${wt#/proc/}" CapEff)' = $want ]"
}

# DHCP, TFTP and HTTP after the drop; $1: lease file name, $2: the boot
# file DHCP names (none once the host's action is local)
check_serves() {
  bs_udhcpc "$CLI" c0 "$BS_TMP/$1" || bs_fail "udhcpc got no lease after the drop"
  bs_check "DHCP: an address, boot file '$2'" \
    test "$(bs_lease_get "$BS_TMP/$1" boot_file)" = "$2"
  ip -n "$CLI" addr replace "$(bs_lease_get "$BS_TMP/$1" ip)/24" dev c0
  rm -f "$BS_TMP/got.img"
  timeout 60 ip netns exec "$CLI" tftp -m binary 10.231.62.1 -c get boot.img "$BS_TMP/got.img" >&2 || true
  bs_check "TFTP (tftp-hpa): the file, byte for byte" cmp -s "$root/boot.img" "$BS_TMP/got.img"
  ip netns exec "$CLI" curl -sS --max-time 20 -o "$BS_TMP/got.http" http://10.231.62.1:8080/boot.img
  bs_check "HTTP (curl): the file, byte for byte" cmp -s "$root/boot.img" "$BS_TMP/got.http"
  # madvise, futex and the thread's reads pass the sandbox
  bs_check "cache warm --wait after the drop: 100% done" \
    bash -c "ctl_out=\$(timeout 20 '$CTL' -s '$sock' cache warm --wait boot.img) &&
      tail -1 <<<\"\$ctl_out\" | grep -qE '^boot\.img: 200000/200000 bytes \(100%\) .* done\$'"
  case "${BS_SERVER_ARGS:-}" in
  *afxdp*) # read from the classifier's map: bpf() needs the CAP_BPF kept
    bs_check "AF_XDP: the XDP counters still read" \
      bash -c "timeout 20 '$CTL' -s '$sock' stats | grep -qE '^afxdp_s0_xdp_to_xsk_packets +[1-9]'" ;;
  esac
}

export BS_TEST_WRITE_PROBE=$probe
start
check_drop "landlock ABI [0-9]+, seccomp" EPERM 2 # seccomp answers first
check_serves l1 boot.img
bs_check "a reload after the drop reads the config and its include" ctl reload
bs_check "the reload is logged as done" bs_wait_log "$BS_SERVER_LOG" "reload done in" 5

# a host action that persists: written by control, flipped by a delivery
mac=$(ip netns exec "$CLI" cat /sys/class/net/c0/address)
bs_check "host add" ctl host add "$mac"
bs_check "host action install once" ctl host action "$mac" install once file=inst.0
bs_check "the state file holds it (written by control)" \
  grep -qE "^host $mac .*action=install" "$state"
ip netns exec "$CLI" tftp -m binary 10.231.62.1 -c get inst.0 "$BS_TMP/inst.0" >&2 || true
bs_check "the install file arrived" cmp -s "$root/inst.0" "$BS_TMP/inst.0"
bs_check "the delivery flipped it to local" test "$(action "$mac")" = local
bs_check "the flip is on disk" grep -qE "^host $mac .*action=local" "$state"
bs_check "no temp file left" test ! -e "$state.tmp"

bs_stop_server
bs_check "control removed the control socket at exit" test ! -e "$sock"

# each mechanism alone, after a restart
export BS_TEST_SANDBOX=landlock-only
start
check_drop "landlock ABI [0-9]+, no seccomp \\(disabled\\)" EACCES 0
bs_check "after the restart: still local" test "$(action "$mac")" = local
check_serves l2 ""
bs_stop_server

export BS_TEST_SANDBOX=seccomp-only
start
check_drop "no landlock \\(disabled\\), seccomp" EPERM 2
check_serves l3 ""
bs_stop_server

# user=nobody: the dataplane runs as nobody (capabilities as before, CAP_BPF
# kept across setuid with AF_XDP); control stays root and still writes
# the host state file. The roots must be readable by nobody.
unset BS_TEST_SANDBOX
chmod o+rx "$BS_TMP" "$root"
nobody_uid=$(id -u nobody)
echo "user=nobody" >>"$conf"
start
check_drop "landlock ABI [0-9]+, seccomp" EPERM 2
dpid=$(status_field dataplane_pid)
bs_check "the dataplane runs as nobody" \
  test "$(proc_field "$dpid" Uid)" = "$nobody_uid"
bs_check "control is still root" test "$(proc_field "$(cat "$pidf")" Uid)" = 0
bs_check "the drop line names the uid" bs_wait_log "$BS_SERVER_LOG" "uid $nobody_uid gid" 1
check_serves l4 ""
bs_check "config check after the drop: valid (user= cannot be looked up there: a note)" \
  ctl config check "$conf"
bs_check "host action default (written by control)" ctl host action "$mac" default
bs_check "the state file changed on disk" bash -c "! grep -q 'action=local' '$state'"
bs_stop_server
bs_pass
