#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build tier_ext's QEMU (x86_64-softmmu only) out of tree:
#   build/qemu-dl     Debian's qemu 10.0.x source package (from trixie's
#                     deb-src, fetched with a private apt state)
#   build/qemu-src    that source with Debian's patches and vmm-patch/series
#   build/qemu-build  meson/ninja objects and qemu-system-x86_64
# Re-running rebuilds only what changed: the patched tree is synced with
# rsync --checksum, so untouched files keep their timestamps.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
dl=$build/qemu-dl
src=$build/qemu-src
obj=$build/qemu-build
patches=$top/vmm-patch
jobs=${JOBS:-$(nproc)}

die() { echo "build-qemu: $*" >&2; exit 1; }
. "$top/scripts/progress.sh"

# ninja's "[412/2301] Compiling C object ..." lines: the last one's count
steps() { echo "step $(grep -o '^\[[0-9]*/[0-9]*\]' "$1" | tail -n1 | tr -d '[]')"; }

for t in dpkg-source meson ninja rsync; do
	command -v $t >/dev/null || die "$t is missing (run: make deps)"
done

# Debian's source package, complete and signature-checked by apt; the
# bookworm-backports .dsc is gone from the archive, trixie carries 10.0.x.
apt_state=$build/qemu-apt
apt_opts=(-o Dir::Etc::sourcelist="$apt_state/src.sources" -o Dir::Etc::sourceparts=-
	  -o Dir::State::Lists="$apt_state/lists" -o Dir::Cache="$apt_state/cache"
	  -o APT::Sandbox::User=root -qq)
fetch_source() {
	mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$dl"
	local suite
	: > "$apt_state/src.sources"
	for suite in "debian trixie trixie-updates" "debian-security trixie-security"; do
		set -- $suite
		cat >> "$apt_state/src.sources" <<EOS
Types: deb-src
URIs: http://deb.debian.org/$1
Suites: ${*:2}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

EOS
	done
	apt-get "${apt_opts[@]}" update >/dev/null 2>"$build/qemu-apt.log" ||
		{ cat "$build/qemu-apt.log" >&2; die "cannot read trixie's deb-src index"; }
	version=$(apt-cache "${apt_opts[@]}" showsrc qemu | sed -n 's/^Version: //p' | sort -V | tail -1)
	case $version in
	1:10.0.*) ;;
	*) die "trixie has qemu '$version'; vmm-patch/ is for 10.0.x" ;;
	esac
	dsc=$dl/qemu_${version#1:}.dsc
	[ -r "$dsc" ] && return 0
	(cd "$dl" && apt-get "${apt_opts[@]}" source --download-only "qemu=$version") \
		>/dev/null 2>"$build/qemu-apt.log" ||
		{ cat "$build/qemu-apt.log" >&2; die "cannot download the qemu $version source package"; }
}

series_files() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$patches/series"
}

mkdir -p "$build"
# An unpacked tree whose stamp matches needs no network.
stamp_of() {
	{ echo "$1"; cat "$patches/series"; series_files | while read -r p; do cat "$patches/$p"; done; } |
		sha256sum | cut -d' ' -f1
}
version=$(cat "$src/.tier_ext_version" 2>/dev/null || true)
if [ -z "$version" ] || [ "$(cat "$src/.tier_ext_src" 2>/dev/null)" != "$(stamp_of "$version")" ]; then
	fetch_source
	src_stamp=$(stamp_of "$version")
	echo "build-qemu: unpacking qemu $version and applying vmm-patch/series"
	new=$build/qemu-src.new
	rm -rf "$new"
	dpkg-source -q -x "$dsc" "$new" >/dev/null 2>"$build/qemu-patch.log" ||
		{ cat "$build/qemu-patch.log" >&2; die "dpkg-source cannot unpack $dsc"; }
	while read -r p; do
		[ -r "$patches/$p" ] || die "vmm-patch/series names $p, which does not exist"
		if ! patch -d "$new" -p1 -N -s --no-backup-if-mismatch < "$patches/$p" >"$build/qemu-patch.log" 2>&1; then
			cat "$build/qemu-patch.log" >&2
			die "vmm-patch/$p does not apply to qemu $version"
		fi
	done < <(series_files)
	rsync -a --checksum --delete "$new/" "$src/"
	rm -rf "$new"
	echo "$version" > "$src/.tier_ext_version"
	echo "$src_stamp" > "$src/.tier_ext_src"
fi

cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
# Only the x86 machine tier-vm uses (configs/devices/x86_64-softmmu/tier.mak,
# from vmm-patch); firmware comes from Debian's seabios and qemu-system-data.
cfg_args=(--python=/usr/bin/python3 --cc="$cc" --target-list=x86_64-softmmu
	  --without-default-features --without-default-devices --with-devices-x86_64=tier
	  --enable-tcg --enable-kvm --enable-numa --enable-attr --enable-virtfs --enable-pixman
	  --enable-plugins --disable-docs --disable-install-blobs --disable-download
	  --disable-debug-info --disable-werror
	  --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu)
# Patches need no new configure: ninja re-runs meson when build files change.
cfg_stamp=$( { cat "$src/.tier_ext_version"; printf '%s\n' "${cfg_args[@]}"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.tier_ext_cfg" 2>/dev/null)" != "$cfg_stamp" ]; then
	echo "build-qemu: configuring"
	rm -rf "$obj"
	mkdir -p "$obj"
	(cd "$obj" && "$src/configure" "${cfg_args[@]}") >"$build/qemu-configure.log" 2>&1 ||
		{ tail -30 "$build/qemu-configure.log" >&2; die "configure failed (log: $build/qemu-configure.log)"; }
	echo "$cfg_stamp" > "$obj/.tier_ext_cfg"
fi

echo "build-qemu: building qemu-system-x86_64 with $jobs jobs (log: $build/qemu-ninja.log)"
progress build-qemu "$build/qemu-ninja.log" steps -- ninja -C "$obj" -j"$jobs" qemu-system-x86_64 ||
	{ grep -B2 -A12 -m3 'error' "$build/qemu-ninja.log" >&2 || tail -30 "$build/qemu-ninja.log" >&2
	  die "build failed (log: $build/qemu-ninja.log)"; }
# Run from the build tree, QEMU looks for firmware in qemu-bundle/ under the
# configured paths: point those at Debian's seabios and qemu-system-data.
for d in /usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu; do
	[ -d "$d" ] || continue
	mkdir -p "$(dirname "$obj/qemu-bundle$d")"
	[ -e "$obj/qemu-bundle$d" ] || ln -s "$d" "$obj/qemu-bundle$d"
done
echo "build-qemu: $obj/qemu-system-x86_64"
