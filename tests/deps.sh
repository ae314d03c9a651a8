#!/usr/bin/env bash
# Install every Debian package the build and the tests need. Idempotent:
# does nothing when everything is installed already; runs `apt-get update`
# only when the install fails (stale or empty package lists). Quiet on
# success, loud on failure.
set -euo pipefail

BUILD_PKGS=(
  meson ninja-build pkg-config gcc clang llvm
  libbpf-dev libxdp-dev libcunit1-dev libelf-dev zlib1g-dev
  # the DPDK backend (22.11; its PMDs, af_packet/af_xdp/tap, come along)
  libdpdk-dev
)
TEST_PKGS=(
  iproute2 iputils-ping ethtool bpftool
  # busybox-static (not busybox: they conflict) is also what the test
  # initramfs is built from; udhcpc/udhcpd come from it / the udhcpc package
  busybox-static udhcpc isc-dhcp-client isc-dhcp-relay
  tftp-hpa atftp kea-admin dnsmasq-base
  qemu-system-x86 seabios ipxe-qemu ovmf pxelinux syslinux-common syslinux-efi ipxe
  systemd-boot-efi binutils cpio gzip file
  tcpdump tshark python3-scapy curl
  # the boot-storm report's plot (bench/storm/summarize.py)
  gnuplot-nox
)
PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")

if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: must run as root" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/bs-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
install() {
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >>"$log" 2>&1
}
echo "deps.sh: installing ${missing[*]}" >&2
if ! install; then
  echo "deps.sh: install failed, running apt-get update and retrying" >&2
  if ! apt-get update -q >>"$log" 2>&1 || ! install; then
    echo "deps.sh: FAILED to install: ${missing[*]}" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
fi
# isc-dhcp-relay ships a service; it must never run outside our namespaces.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now isc-dhcp-relay >/dev/null 2>&1 || true
fi
exit 0
