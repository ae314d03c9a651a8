# Shared by the bench/ scripts (sourced): a veth pair between two throwaway
# namespaces, waiting for a server's port, and the CPU time of a server stack.

# bench_pair NS_A NS_B IF_A IF_B [ADDR_A/PREFIX]: two namespaces joined by a
# veth pair, both ends up, TX checksum offload off on B (the generator's or
# client's end: it computes its own checksums, veth would leave them unfinished).
bench_pair() {
	ip netns add "$1"
	ip netns add "$2"
	ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
	[ -n "${5:-}" ] && ip -n "$1" addr add "$5" dev "$3"
	ip -n "$1" link set lo up; ip -n "$1" link set "$3" up
	ip -n "$2" link set lo up; ip -n "$2" link set "$4" up
	ip netns exec "$2" ethtool -K "$4" tx off >/dev/null 2>&1 || true
}

# wait_port NS PROTO PORT: up to 5 s for a listener (PROTO u or t)
wait_port() {
	local _
	for _ in $(seq 50); do
		ip netns exec "$1" ss -Hl"$2"n "sport = :$3" | grep -q . && return 0
		sleep 0.1
	done
	echo "nothing listens on $2 port $3 in $1" >&2
	return 1
}

# CPU time of a server stack: every process of it runs in one cgroup (v1
# cpuacct or v2), so the processes a server forks and reaps (tftpd-hpa's one
# per transfer) or keeps (nginx workers) count, even those whose parent
# ignores SIGCHLD. Task time only: softirq work is not in it (nor in the
# generator's), for any server.

# cg_new NAME: create the cgroup, print its path
cg_new() {
	local d
	if [ -d /sys/fs/cgroup/cpuacct ]; then
		d=/sys/fs/cgroup/cpuacct/$1
	elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		d=/sys/fs/cgroup/$1
	else
		echo "no cgroup with CPU accounting under /sys/fs/cgroup" >&2
		return 1
	fi
	mkdir -p "$d" && echo "$d"
}

# cg_exec CG CMD...: exec CMD inside CG (run it in a subshell or background)
cg_exec() {
	local cg=$1; shift
	echo "$BASHPID" >"$cg/cgroup.procs"
	exec "$@"
}

# cg_cpu_s CG: CPU seconds used in CG so far
cg_cpu_s() {
	if [ -f "$1/cpuacct.usage" ]; then
		awk '{printf "%.3f", $1 / 1e9}' "$1/cpuacct.usage"
	else
		awk '$1 == "usage_usec" {printf "%.3f", $2 / 1e6}' "$1/cpu.stat"
	fi
}

# busy_s: every CPU's user + nice + system + irq + softirq seconds so far
# (/proc/stat). Unlike a cgroup's time it counts softirq work run outside
# any task, so it does not depend on whom the kernel charged; it counts
# everything that runs, so compare it only within one quiet run.
busy_s() { awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat; }

# cg_del CG: remove CG once its processes are gone
cg_del() { [ -n "$1" ] && rmdir "$1" 2>/dev/null || true; }

# sub A B: B - A, two decimals
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }

# find_storm ROOT: the bootstorm-storm binary of a build under ROOT
find_storm() {
	local s
	for s in "$1/build/bench/bootstorm-storm" "$1"/build-*/bench/bootstorm-storm; do
		[ -x "$s" ] && { echo "$s"; return 0; }
	done
	return 1
}

# neigh_room N: make room for N clients' neighbour entries. The kernel's ARP
# table is one for all namespaces (gc_thresh3 1024 by default, settable only
# in the root namespace): a storm of ~1,000 clients, or two smaller ones at
# once, overflows it and the server's replies to clients it must ARP for
# are dropped ("neighbor table overflow" in dmesg; seen here as TFTP
# timeouts for every client of the socket backend and of dnsmasq). Only
# raises the limits, and leaves them raised (the other runs sharing the
# table need the room as much).
neigh_room() {
	local want=$(($1 * 8 > 16384 ? $1 * 8 : 16384)) cur
	cur=$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh3)
	[ "$cur" -ge "$want" ] && return 0
	echo "raising net.ipv4.neigh.default.gc_thresh1/2/3 to $((want / 8))/$((want / 2))/$want (was $cur): the ARP table is shared by all namespaces" >&2
	sysctl -qw net.ipv4.neigh.default.gc_thresh1=$((want / 8)) \
		net.ipv4.neigh.default.gc_thresh2=$((want / 2)) \
		net.ipv4.neigh.default.gc_thresh3="$want"
}
