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

# ns_cpu_ticks NS: utime+stime (+ that of reaped children) of every process
# in namespace NS, in clock ticks. A server stack is all the processes in its
# namespace (dnsmasq + tftpd, nginx master + workers), so the difference of
# two readings is the stack's CPU over the interval.
ns_cpu_ticks() {
	local p t=0
	for p in $(ip netns pids "$1"); do
		# fields after the ")" of comm: utime is $12, stime $13, cutime $14, cstime $15
		t=$((t + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}' || echo 0)))
	done
	echo "$t"
}

# ticks_to_s A B: (B - A) clock ticks in seconds
ticks_to_s() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b - a) / hz}'; }

# find_storm ROOT: the bootstorm-storm binary of a build under ROOT
find_storm() {
	local s
	for s in "$1/build/bench/bootstorm-storm" "$1"/build-*/bench/bootstorm-storm; do
		[ -x "$s" ] && { echo "$s"; return 0; }
	done
	return 1
}
