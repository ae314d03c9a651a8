# shellcheck shell=bash
# Boot assets for the e2e tests, built once into a cache dir from Debian
# packages (nothing is committed, nothing is installed):
#
#   $BS_ASSETS/vmlinuz        kernel from linux-image-<ver>-amd64
#                             (apt-get download + dpkg -x, not installed)
#   $BS_ASSETS/initrd.img     busybox-static initramfs; /init prints
#                             "BOOTSTORM-MARKER-OK <bsmarker=...>" on the
#                             console (console=ttyS0) and powers off
#   $BS_ASSETS/pxelinux.0, ldlinux.c32          from pxelinux/syslinux-common
#   $BS_ASSETS/bootx64.efi    UKI: systemd-boot-efi stub + kernel + initrd +
#                             cmdline (marker "uefi"), for OVMF PXE
#   $BS_ASSETS/tftp/          a ready tftp root (marker "pxelinux"/"uefi")
#
# Use (sourced):   . tests/lib/assets.sh; bs_assets_build
#                  bs_assets_tftproot DIR MARKER   # per-test root + marker
# Or run directly: tests/lib/assets.sh  (builds the cache, prints its path)
#
# BS_ASSETS defaults to <repo>/build/test-assets.

BS_REPO=${BS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BS_ASSETS=${BS_ASSETS:-$BS_REPO/build/test-assets}
# bump when the recipe changes so old caches are rebuilt
BS_ASSETS_VERSION=3
BS_MARKER=BOOTSTORM-MARKER-OK
BS_KCMDLINE_BASE="console=ttyS0,115200 quiet panic=-1"
export BS_ASSETS BS_MARKER

_bsa_log() { echo "[assets] $*" >&2; }
_bsa_die() { echo "[assets] FAIL: $*" >&2; return 1; }

bs_assets_complete() {
  [ -f "$BS_ASSETS/.complete" ] &&
    [ "$(cat "$BS_ASSETS/.complete")" = "$BS_ASSETS_VERSION" ] &&
    [ -s "$BS_ASSETS/vmlinuz" ] && [ -s "$BS_ASSETS/initrd.img" ] &&
    [ -s "$BS_ASSETS/pxelinux.0" ] && [ -s "$BS_ASSETS/ldlinux.c32" ] &&
    [ -s "$BS_ASSETS/bootx64.efi" ]
}

# bs_assets_uki OUT CMDLINE: build a UKI (systemd-boot-efi stub with kernel,
# initrd and CMDLINE as PE sections) from the cached kernel and initrd.
bs_assets_uki() {
  local out=$1 cmdline=$2 stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
  local tmp
  [ -f "$stub" ] || { _bsa_die "missing $stub (apt-get install systemd-boot-efi)"; return 1; }
  tmp=$(mktemp -d /tmp/bst-uki.XXXXXX)
  printf '%s' "$cmdline" >"$tmp/cmdline"
  printf 'NAME="bootstorm test"\nID=bootstorm\n' >"$tmp/osrel"
  # Fixed VMAs after the stub's last section (systemd 252 stub ends below
  # 0x20000; the kernel is < 16 MiB).
  objcopy \
    --add-section .osrel="$tmp/osrel" --change-section-vma .osrel=0x20000 \
    --add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
    --add-section .linux="$BS_ASSETS/vmlinuz" --change-section-vma .linux=0x2000000 \
    --add-section .initrd="$BS_ASSETS/initrd.img" --change-section-vma .initrd=0x3000000 \
    "$stub" "$out.tmp" || { rm -rf "$tmp"; _bsa_die "objcopy UKI"; return 1; }
  mv "$out.tmp" "$out"
  rm -rf "$tmp"
}

_bsa_kernel() {
  local dl=$1 pkg deb
  # linux-image-amd64 is a metapackage: find the real image it depends on
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ]; then
    apt-get update -q >/dev/null 2>&1
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$pkg" ] || { _bsa_die "cannot resolve linux-image-amd64"; return 1; }
  _bsa_log "downloading $pkg"
  (cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
    (apt-get update -q >/dev/null 2>&1 && cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
    { _bsa_die "apt-get download $pkg"; return 1; }
  deb=$(ls "$dl"/linux-image-*.deb | head -n1)
  mkdir -p "$dl/x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dl/x" --wildcards './boot/vmlinuz-*' ||
    dpkg -x "$deb" "$dl/x" || { _bsa_die "extract $deb"; return 1; }
  cp "$(ls "$dl"/x/boot/vmlinuz-* | head -n1)" "$BS_ASSETS/vmlinuz"
  echo "$pkg" >"$BS_ASSETS/kernel-package"
}

_bsa_initrd() {
  local root=$1
  local bb=/bin/busybox
  file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
    { _bsa_die "$bb is not static (apt-get install busybox-static)"; return 1; }
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc}
  cp "$bb" "$root/bin/busybox"
  for a in sh mount echo cat sed poweroff reboot sleep mkdir grep tr; do
    ln -s busybox "$root/bin/$a"
  done
  # /dev/console must exist before init runs for the kernel to give /init a
  # console on an initramfs without devtmpfs automount.
  cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
m=
for w in $(cat /proc/cmdline); do
  case $w in bsmarker=*) m=${w#bsmarker=} ;; esac
done
out=/dev/console
[ -c /dev/ttyS0 ] && out=/dev/ttyS0
echo "BOOTSTORM-MARKER-OK $m" >$out
echo "BOOTSTORM-MARKER-OK $m" >$out
sleep 0.2
poweroff -f
EOF
  chmod 755 "$root/init"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$BS_ASSETS/initrd.img.tmp" ||
    { _bsa_die "cpio initrd"; return 1; }
  mv "$BS_ASSETS/initrd.img.tmp" "$BS_ASSETS/initrd.img"
}

# bs_assets_build: build the cache once (flock'd; a no-op when complete).
bs_assets_build() {
  bs_assets_complete && return 0
  mkdir -p "$BS_ASSETS" || return 1
  (
    flock 9
    bs_assets_complete && exit 0
    set -e
    _bsa_log "building boot assets in $BS_ASSETS"
    rm -f "$BS_ASSETS/.complete"
    work=$(mktemp -d /tmp/bst-assets.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    [ -s "$BS_ASSETS/vmlinuz" ] || _bsa_kernel "$work"
    _bsa_initrd "$work/initrd"
    cp /usr/lib/PXELINUX/pxelinux.0 "$BS_ASSETS/pxelinux.0"
    cp /usr/lib/syslinux/modules/bios/ldlinux.c32 "$BS_ASSETS/ldlinux.c32"
    bs_assets_uki "$BS_ASSETS/bootx64.efi" "$BS_KCMDLINE_BASE bsmarker=uefi"
    rm -rf "$BS_ASSETS/tftp"
    bs_assets_tftproot "$BS_ASSETS/tftp" pxelinux
    chmod -R a+rX "$BS_ASSETS"
    echo "$BS_ASSETS_VERSION" >"$BS_ASSETS/.complete"
    _bsa_log "done: $(du -sh "$BS_ASSETS" | cut -f1)"
  ) 9>"$BS_ASSETS/.lock"
}

# bs_assets_tftproot DIR MARKER: a tftp root with pxelinux.0, ldlinux.c32,
# vmlinuz, initrd.img, pxelinux.cfg/default (kernel + initrd, console=ttyS0,
# bsmarker=MARKER) and bootx64.efi (UKI; rebuilt with MARKER unless MARKER is
# "uefi"). Files are copied, not symlinked: a server may refuse symlinks.
bs_assets_tftproot() {
  local dir=$1 marker=$2 f
  mkdir -p "$dir/pxelinux.cfg"
  for f in pxelinux.0 ldlinux.c32 vmlinuz initrd.img; do
    cp --reflink=auto "$BS_ASSETS/$f" "$dir/$f"
  done
  cat >"$dir/pxelinux.cfg/default" <<EOF
DEFAULT bs
PROMPT 0
TIMEOUT 0
LABEL bs
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND $BS_KCMDLINE_BASE bsmarker=$marker
EOF
  if [ "$marker" = uefi ] && [ -s "$BS_ASSETS/bootx64.efi" ]; then
    cp --reflink=auto "$BS_ASSETS/bootx64.efi" "$dir/bootx64.efi"
  else
    bs_assets_uki "$dir/bootx64.efi" "$BS_KCMDLINE_BASE bsmarker=$marker"
  fi
  chmod -R a+rX "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  bs_assets_build
  echo "$BS_ASSETS"
fi
