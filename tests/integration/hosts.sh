#!/usr/bin/env bash
# integration: the host registry and boot actions (docs/control.md "Hosts
# and boot actions") against a running server, clients in their own
# namespace (udhcpc, the scapy PXE probe, tftpc.py, curl):
#   host add/set/del over bootstormctl (errors exit 1 with the reason);
#   install file= -> DHCP names that file; the client fetching it over
#   TFTP flips install once to local (logged, persisted); local -> no boot
#   file for plain DHCP, a one-item local-boot menu (type 0) for a PXE
#   BIOS ROM; install once kernel+initrd -> /boot.ipxe renders them, the
#   initrd fetched over HTTP flips it, then the script is "exit";
#   GET /done (by the client's address, or mac=) flips it too; ignore ->
#   no DHCP answer, counted; malformed control requests -> JSON errors; the
#   state survives a restart; a corrupt state file stops start-up with
#   file:line (exit 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/netns.sh"
bs_init hosts
bs_require udhcpc curl /usr/bin/python3
bs_beside CTL "${BOOTSTORMCTL:-}" bootstormctl "set BOOTSTORMCTL"
TFTPC="/usr/bin/python3 $here/../lib/tftpc.py"
PROBE="/usr/bin/python3 $here/../lib/pxe_probe.py"

bs_ns SRV srv
bs_ns CLI cli
bs_veth "$SRV" s0 "$CLI" c0
bs_addr "$SRV" s0 10.231.60.1/24

root=$BS_TMP/root
mkdir -p "$root"
for f in default.0 inst.0 vmlinuz initrd.img; do
  head -c 3000 /dev/urandom >"$root/$f"
done
sock=$BS_TMP/ctl.sock
conf=$BS_TMP/server.conf
state=$BS_TMP/state/hosts
cat >"$conf" <<CONF
interface=s0
port=0
dhcp-range=10.231.60.100,10.231.60.150,255.255.255.0,1h
dhcp-leasefile=$BS_TMP/leases
host-state=$state
pid-file=$BS_TMP/server.pid
control-socket=$sock
enable-tftp
tftp-root=$root
http-port=8080
dhcp-boot=default.0
dhcp-host=52:54:00:60:00:01,10.231.60.20,confhost,set:lab
CONF
ctl() { timeout 20 "$CTL" -s "$sock" "$@"; }
start() {
  bs_start_server "$SRV" "$conf"
  bs_wait_udp "$SRV" 67
  bs_wait_tcp "$SRV" 8080
  bs_ctl_wait "$sock"
}
# the field of MAC's entry in `hosts --json`
hostf() {
  ctl --json hosts | python3 -c '
import json, sys
r = json.load(sys.stdin)
h = [x for x in r["hosts"] if x["mac"] == sys.argv[1]]
print(h[0].get(sys.argv[2], "") if h else "ABSENT")' "$1" "$2"
}
c() { ip netns exec "$CLI" curl -sS --max-time 20 "$@"; }
# for the bs_check "bash -c" conditions
export -f ctl hostf c
export CTL sock CLI
start

mac=$(ip netns exec "$CLI" cat /sys/class/net/c0/address)
out=$(ctl hosts)
echo "$out" >&2
bs_check "hosts lists the dhcp-host line, default action" \
  grep -qE '^52:54:00:60:00:01 +10\.231\.60\.20 +confhost +lab +-$' <<<"$out"

# add / set / errors
bs_check "host add" ctl host add "$mac" name=cli1 tags=lab,extra
set +e
err=$(ctl host add "$mac" 2>&1); rc=$?
set -e
bs_check "adding it twice exits 1 and says why" \
  bash -c "[ $rc = 1 ] && grep -q 'known already' <<<'$err'"
set +e
err=$(ctl host add 52:54:00:60:00:09 ip=10.231.60.20 2>&1); rc=$?
set -e
bs_check "a reserved address is refused" \
  bash -c "[ $rc = 1 ] && grep -q 'reserved for 52:54:00:60:00:01' <<<'$err'"
set +e
ctl host add "$mac" colour=red 2>/dev/null; rc=$?
set -e
bs_check "an unknown key is a usage error (2)" test $rc = 2
bs_check "host set" ctl host set "$mac" name=cli2
bs_check "hosts shows the run-time host" test "$(hostf "$mac" hostname)" = cli2

# install once with a boot file: DHCP names it; TFTP delivery flips it
bs_check "host action install once file=" ctl host action "$mac" install once file=inst.0
bs_udhcpc "$CLI" c0 "$BS_TMP/l1" || bs_fail "udhcpc got no lease"
ip=$(bs_lease_get "$BS_TMP/l1" ip)
bs_check "DHCP names the install file" test "$(bs_lease_get "$BS_TMP/l1" boot_file)" = inst.0
ip -n "$CLI" addr add "$ip/24" dev c0
bs_check "another client still gets dhcp-boot" \
  bash -c "ip netns exec $CLI $PROBE discover c0 52:54:00:60:00:33 --wait 3 | grep -q '\"file\": \"default.0\"'"
ip netns exec "$CLI" $TFTPC 10.231.60.1 default.0 "$BS_TMP/x" >&2 || bs_fail "TFTP of default.0"
bs_check "fetching another file keeps install" test "$(hostf "$mac" action)" = install
ip netns exec "$CLI" $TFTPC 10.231.60.1 inst.0 "$BS_TMP/inst.0" >&2 || bs_fail "TFTP of inst.0"
bs_check "the TFTP delivery flipped it to local" test "$(hostf "$mac" action)" = local
bs_check "the flip is logged" bs_wait_log "$BS_SERVER_LOG" "$mac: final file inst.0 delivered: action is local now" 5
bs_check "and persisted" grep -qE "^host $mac .*action=local" "$state"

# local: no boot file for plain DHCP; a local-boot menu for a PXE ROM
bs_udhcpc "$CLI" c0 "$BS_TMP/l2" || bs_fail "udhcpc got no lease (local)"
bs_check "local: still an address" test "$(bs_lease_get "$BS_TMP/l2" ip)" = "$ip"
bs_check "local: no boot file" test -z "$(bs_lease_get "$BS_TMP/l2" boot_file)"
offer=$(ip netns exec "$CLI" $PROBE discover c0 "$mac" --wait 3) || bs_fail "no PXE offer"
echo "$offer" >&2
python3 - "$offer" <<'PY' || bs_fail "local: PXE offer"
import json, sys
o = json.loads(sys.argv[1].splitlines()[0])
assert o["file"] == "", o
menu = bytes.fromhex(o["pxe_sub"]["9"])
# one item: type 0 (local boot), then its text
assert menu[:2] == b"\0\0" and menu[3:3 + menu[2]] == b"Local boot" and len(menu) == 3 + menu[2], menu
assert bytes.fromhex(o["pxe_sub"]["10"])[0] == 0, "prompt timeout must be 0 (choose at once)"
PY
bs_log "ok: local: a PXE ROM gets a one-item local-boot menu, no file"

# install once with kernel+initrd: the iPXE script, then HTTP delivery
bs_check "host action install once kernel/initrd/cmdline" \
  ctl host action "$mac" install once kernel=vmlinuz initrd=initrd.img "cmdline=console=ttyS0 quiet"
out=$(ctl hosts)
echo "$out" >&2
bs_check "the table shows the action" \
  grep -qE "^$mac .* install once kernel=vmlinuz initrd=initrd.img cmdline=console=ttyS0 quiet\$" <<<"$out"
script=$(c "http://10.231.60.1:8080/boot.ipxe?mac=$mac")
echo "$script" >&2
bs_check "the script boots the kernel with its cmdline" \
  grep -qx "kernel http://10.231.60.1:8080/vmlinuz console=ttyS0 quiet" <<<"$script"
bs_check "and the initrd" grep -qx "initrd http://10.231.60.1:8080/initrd.img" <<<"$script"
c -o /dev/null "http://10.231.60.1:8080/vmlinuz"
bs_check "the kernel is not the final file" test "$(hostf "$mac" action)" = install
c -o /dev/null "http://10.231.60.1:8080/initrd.img"
bs_check "the initrd over HTTP flipped it" test "$(hostf "$mac" action)" = local
bs_check "now the script exits" \
  test "$(c "http://10.231.60.1:8080/boot.ipxe?mac=$mac")" = "$(printf '#!ipxe\nexit')"

# GET /done
ctl host action "$mac" install once script=http://10.231.60.1:8080/inst.ipxe >/dev/null
bs_check "a bad mac= is 400" \
  test "$(c -o /dev/null -w '%{http_code}' 'http://10.231.60.1:8080/done?mac=zz')" = 400
bs_check "HEAD /done changes nothing" \
  bash -c "[ \"\$(ip netns exec $CLI curl -s -I -o /dev/null -w '%{http_code}' http://10.231.60.1:8080/done)\" = 405 ] && [ \"\$(hostf $mac action)\" = install ]"
bs_check "GET /done (who: the client's address) flips it" \
  bash -c "c http://10.231.60.1:8080/done | grep -q 'boots locally' && [ \"\$(hostf $mac action)\" = local ]"
bs_check "GET /done again: nothing to finish" \
  bash -c "ip netns exec $CLI curl -sS 'http://10.231.60.1:8080/done?mac=$mac' | grep -q 'nothing to finish'"
bs_check "GET /done for an unknown host is 404" \
  test "$(c -o /dev/null -w '%{http_code}' 'http://10.231.60.1:8080/done?mac=52:54:00:60:00:77')" = 404

# ignore: no answer at all, counted
ctl host action "$mac" ignore >/dev/null
set +e
bs_udhcpc "$CLI" c0 "$BS_TMP/l3" -t 2 -T 1; rc=$?
set -e
bs_check "ignore: no lease" test $rc != 0
bs_check "ignore: counted" \
  bash -c "ctl stats | grep -qE '^dhcp_host_ignored +[1-9]'"

# malformed requests get JSON errors; the connection stays usable
python3 - "$sock" <<'PY' || bs_fail "malformed host requests"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rb", buffering=0)
for bad, want in (
    (b'{"cmd":"host-action","mac":"52:54:00:60:00:01"}\n', 'missing member "action"'),
    (b'{"cmd":"host-action","mac":"52:54:00:60:00:01","action":"wipe"}\n', "action: expected"),
    (b'{"cmd":"host-action","mac":"52:54:00:60:00:01","action":"install"}\n', "one target"),
    (b'{"cmd":"host-action","mac":"nope","action":"local"}\n', "mac: expected"),
    (b'{"cmd":"host-action","mac":"52:54:00:60:00:01","action":"install","kernel":"a b"}\n', "without spaces"),
    (b'{"cmd":"host-action","mac":"52:54:00:60:00:01","action":"local","once":"yes"}\n', "once goes with install"),
    (b'{"cmd":"host-add","mac":"52:54:00:60:00:02","ip":["x"]}\n', "nested"),
    (b'{"cmd":"host-del"}\n', "missing member"),
    (b'{"cmd":"host-set","mac":"52:54:00:60:00:02","name":"x"}\n', "no such host"),
):
    s.sendall(bad)
    r = json.loads(f.readline())
    assert r["ok"] is False and want in r["error"], (bad, r)
    print(bad[:60], "->", r["error"])
s.sendall(b'{"cmd":"hosts"}\n')
assert json.loads(f.readline())["ok"] is True
PY
bs_log "ok: malformed host requests answered with errors"

# the state survives a restart
ctl host action "$mac" install once kernel=vmlinuz initrd=initrd.img >/dev/null
gen=$(ctl --json hosts | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
bs_stop_server
start
bs_check "after a restart: still install once" \
  bash -c "[ \"\$(hostf $mac action)\" = install ] && [ \"\$(hostf $mac once)\" = True ] && [ \"\$(hostf $mac initrd)\" = initrd.img ]"
bs_check "after a restart: name and tags" \
  bash -c "[ \"\$(hostf $mac hostname)\" = cli2 ] && [ \"\$(hostf $mac tags)\" = \"['lab', 'extra']\" ]"
bs_log "generation before the restart: $gen"
bs_check "host del" ctl host del "$mac"
bs_check "deleted" test "$(hostf "$mac" action)" = ABSENT
bs_stop_server

# a corrupt state file stops start-up, naming file and line
printf '# x\nhost %s action=install\n' "$mac" >"$state"
set +e
out=$(timeout 20 ip netns exec "$SRV" "$BS_SERVER" -C "$conf" -d 2>&1); rc=$?
set -e
echo "$out" | tail -n 3 >&2
bs_check "corrupt state: exit 2" test $rc = 2
bs_check "corrupt state: file:line and why" grep -q "$state:2: install: expected one target" <<<"$out"
bs_pass
