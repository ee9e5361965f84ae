#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Put QEMU's plugin header (include/qemu/qemu-plugin.h, not packaged by
# Debian) at $1: from the orig tarball of the installed qemu-system-x86
# version, fetched from Debian's archive.
set -euo pipefail
dest=$1
ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) ||
	{ echo "fetch-qemu-plugin-h: qemu-system-x86 is not installed (run: make deps)" >&2; exit 1; }
ver=${ver#*:}
ver=${ver%-*}			# 1:10.0.2+ds-2+deb13u1~bpo12+1 -> 10.0.2+ds
url=http://deb.debian.org/debian/pool/main/q/qemu/qemu_${ver}.orig.tar.xz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsS -o "$tmp/qemu.tar.xz" "$url" ||
	{ echo "fetch-qemu-plugin-h: cannot download $url" >&2; exit 1; }
tar -xJf "$tmp/qemu.tar.xz" -C "$tmp" --wildcards '*/include/qemu/qemu-plugin.h' ||
	{ echo "fetch-qemu-plugin-h: no include/qemu/qemu-plugin.h in $url" >&2; exit 1; }
mkdir -p "$(dirname "$dest")"
cp "$tmp"/*/include/qemu/qemu-plugin.h "$dest"
echo "fetch-qemu-plugin-h: $dest from qemu $ver"
