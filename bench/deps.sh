#!/usr/bin/env bash
# Packages the side-by-side benchmarks need beyond tests/deps.sh: the peers
# (nginx) and load tools (wrk). Installed with service start-up blocked
# (policy-rc.d): each benchmark runs its own instance inside a throwaway
# namespace, and a system nginx on port 80 is not wanted on a test machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/deps.sh: must run as root" >&2; exit 1; }
"$here/tests/deps.sh"
pkgs=(nginx-light wrk)
missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
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
systemctl disable nginx >/dev/null 2>&1 || true
