#!/usr/bin/env bash
# Packages the side-by-side benchmarks need beyond tests/deps.sh: the peers
# (nginx, tftpd-hpa, atftpd) and load tools (wrk, vmtouch). Installed with service start-up blocked
# (policy-rc.d): each benchmark runs its own instance inside a throwaway
# namespace, and a system nginx on port 80 or a TFTP server on port 69 is
# not wanted on a test machine: their services are also disabled.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/deps.sh: must run as root" >&2; exit 1; }
"$here/tests/deps.sh"
# atftpd and tftpd-hpa conflict as packages (both would own port 69): tftpd-hpa
# is installed, atftpd's binary unpacked to $ATFTPD_DIR (its libraries are
# in pkgs). bench/storm-compare looks there.
ATFTPD_DIR=/opt/bootstorm-bench/atftpd
pkgs=(nginx-light wrk vmtouch tftpd-hpa libwrap0 libpcre2-8-0)
missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
unpack_atftpd() {
	[ -x "$ATFTPD_DIR/usr/sbin/atftpd" ] && return 0
	local d; d=$(mktemp -d)
	chown _apt "$d" 2>/dev/null || true # apt downloads as _apt
	(cd "$d" && apt-get download -q atftpd >/dev/null) &&
		mkdir -p "$ATFTPD_DIR" && dpkg -x "$d"/atftpd_*.deb "$ATFTPD_DIR"
	rm -rf "$d"
}
if [ ${#missing[@]} = 0 ]; then
	unpack_atftpd
	exit 0
fi
created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	created=1
fi
trap '[ -n "$created" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}"; }
for svc in nginx tftpd-hpa atftpd; do
	systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
unpack_atftpd
