#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the tier_ext guest kernel out of tree:
#   build/linux   Debian's linux-source-6.12 with kernel-patch/series applied
#   build/kernel  objects, .config, bzImage and vmlinux
# The same kernel serves the tiered host VM that runs KVM guests.
# Re-running rebuilds only what changed: the patched tree is synced with
# rsync --checksum, so untouched files keep their timestamps.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
src=$build/linux
obj=$build/kernel
patches=$top/kernel-patch
fragments=("$patches/guest.config")
jobs=${JOBS:-$(nproc)}

die() { echo "build-kernel: $*" >&2; exit 1; }
. "$top/scripts/progress.sh"

[ $# -eq 0 ] || die "no arguments expected (got '$*')"

[ -r "$tarball" ] || die "$tarball not found (install linux-source-6.12: make deps)"
version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo "$(basename "$tarball")")

series_files() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$patches/series"
}

src_stamp=$( { echo "$version"; stat -c '%s %Y' "$tarball";
	       cat "$patches/series"; series_files | while read -r p; do cat "$patches/$p"; done; } |
	     sha256sum | cut -d' ' -f1)

mkdir -p "$build"
if [ "$(cat "$src/.tier_ext_src" 2>/dev/null)" != "$src_stamp" ]; then
	echo "build-kernel: unpacking linux-source-6.12 $version and applying kernel-patch/series"
	new=$build/linux.new
	rm -rf "$new"
	mkdir -p "$new"
	tar -xf "$tarball" -C "$new" --strip-components=1
	while read -r p; do
		[ -r "$patches/$p" ] || die "kernel-patch/series names $p, which does not exist"
		if ! patch -d "$new" -p1 -N -s --no-backup-if-mismatch < "$patches/$p" >"$build/patch.log" 2>&1; then
			cat "$build/patch.log" >&2
			die "kernel-patch/$p does not apply to linux-source-6.12 $version"
		fi
	done < <(series_files)
	rsync -a --checksum --delete "$new/" "$src/"
	rm -rf "$new"
	echo "$src_stamp" > "$src/.tier_ext_src"
fi

make_k() {
	local cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"
	make -C "$src" O="$obj" CC="$cc" HOSTCC="$cc" -j"$jobs" "$@"
}

# kbuild's "  CC      mm/tier_ext.o" lines: the files compiled so far
compiled() { echo "$(grep -c '^  CC ' "$1") files compiled"; }

cfg_stamp=$( { echo "$src_stamp"; cat "${fragments[@]}"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.tier_ext_cfg" 2>/dev/null)" != "$cfg_stamp" ]; then
	echo "build-kernel: configuring (tinyconfig + ${fragments[*]#"$top/"})"
	mkdir -p "$obj"
	make_k -s tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${fragments[@]}" >/dev/null
	make_k -s olddefconfig >/dev/null
	# Every option the fragment asks for must survive dependency resolution.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=* | "# CONFIG_"*" is not set")
			grep -qxF "$line" "$obj/.config" || { echo "build-kernel: '$line' did not stick" >&2; bad=1; } ;;
		esac
	done < <(cat "${fragments[@]}")
	[ $bad -eq 0 ] || die "${fragments[*]#"$top/"} not satisfiable (see above)"
	echo "$cfg_stamp" > "$obj/.tier_ext_cfg"
fi

echo "build-kernel: building bzImage with $jobs jobs (log: $build/kernel-build.log)"
progress build-kernel "$build/kernel-build.log" compiled -- make_k bzImage ||
	{ grep -B2 -A12 -m3 -E 'error|Error [0-9]' "$build/kernel-build.log" >&2 ||
		tail -30 "$build/kernel-build.log" >&2
	  die "build failed (log: $build/kernel-build.log)"; }
echo "build-kernel: $obj/arch/x86/boot/bzImage"
