#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bisect-check`: every patch of kernel-patch/series builds on its own.
# For each patch k, the tree with patches 1..k applied (a kernel-dev-tree
# in build/bisect/src) is configured from the full build's .config
# (olddefconfig drops the options not there yet) and checked:
#   - mm/tier_ext/ compiles with W=1 and -Werror;
#   - every other object the series touches (mm/memory.o, mm/vmstat.o,
#     drivers/virtio/virtio_balloon.o) compiles with -Werror;
#   - kernel-doc reports nothing for mm/tier_ext/ and include/linux/tier_ext.h;
#   - link: each global symbol those objects use is defined by them or by
#     the rest of the kernel (vmlinux of `make kernel` without the series'
#     own objects), as the final link would require.
# The last patch is also the full `make kernel` build (bzImage). Each
# patch's state is compiled from scratch for those objects only, so a run
# takes about a minute per patch (ccache makes a second run faster).
# Prints "ok N - subject" or "not ok N - subject: reason" per patch and
# ends with "N passed, N failed"; logs in build/bisect/logs/.
#   bisect-check.sh [FIRST [LAST]]   only patches FIRST..LAST (1-based)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
final=${KOBJ:-$build/kernel}
dir=$build/bisect
src=$dir/src
obj=$dir/obj
logs=$dir/logs
jobs=${JOBS:-$(nproc)}
other_objs=(mm/memory.o mm/vmstat.o drivers/virtio/virtio_balloon.o)
doc_files=(include/linux/tier_ext.h)

die() { echo "bisect-check: $*" >&2; exit 1; }

[ $# -le 2 ] || die "usage: bisect-check.sh [FIRST [LAST]]"
first=${1:-1} last=${2:-1000000}
[[ "$first" =~ ^[1-9][0-9]*$ && "$last" =~ ^[1-9][0-9]*$ ]] && [ "$first" -le "$last" ] ||
	die "FIRST and LAST are patch numbers, 1 <= FIRST <= LAST (got '$*')"
[ -r "$final/vmlinux" ] && [ -r "$final/.config" ] || die "$final/vmlinux not found (run: make kernel)"

rm -rf "$src" "$logs"
mkdir -p "$dir" "$obj" "$logs"
"$top/scripts/kernel-dev-tree.sh" init "$src" > "$logs/init.log" 2>&1 ||
	{ cat "$logs/init.log" >&2; die "kernel-dev-tree.sh init failed"; }

make_k() {
	local cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"
	make -C "$src" O="$obj" CC="$cc" HOSTCC="$cc" -j"$jobs" "$@"
}

# Global symbols defined outside the series' objects: all of vmlinux's
# symbols minus those the series' objects define in the final build.
series_objs() {
	(cd "$1" && ls mm/tier_ext/*.o 2>/dev/null | grep -v '/built-in\|\.mod\.o$'; \
	 for o in "${other_objs[@]}"; do [ -e "$o" ] && echo "$o"; done)
}
defined() { (cd "$1" && nm -g --defined-only $(series_objs "$1") | awk 'NF == 3 { print $3 }' | sort -u); }
nm "$final/vmlinux" | awk '{ print $NF }' | sort -u > "$logs/vmlinux.syms"
defined "$final" > "$logs/final-series.syms"
comm -23 "$logs/vmlinux.syms" "$logs/final-series.syms" > "$logs/base.syms"

pass=0 fail=0 k=0
for c in $(git -C "$src" rev-list --reverse tier_ext-base..HEAD); do
	k=$((k + 1))
	[ $k -ge "$first" ] && [ $k -le "$last" ] || continue
	subject=$(git -C "$src" log -1 --format=%s "$c")
	log=$logs/$(printf %02d $k).log
	git -C "$src" checkout -q --detach "$c"
	why=
	cp "$final/.config" "$obj/.config"
	rm -rf "$obj/mm/tier_ext"
	for o in "${other_objs[@]}"; do rm -f "$obj/$o"; done
	if ! make_k olddefconfig > "$log" 2>&1; then
		why="olddefconfig failed"
	elif ! make_k W=1 KCFLAGS=-Werror mm/tier_ext/ >> "$log" 2>&1; then
		why="mm/tier_ext/ does not compile with W=1 -Werror"
	elif ! make_k KCFLAGS=-Werror "${other_objs[@]}" >> "$log" 2>&1; then
		why="${other_objs[*]} do not compile with -Werror"
	else
		docs=$(cd "$src" && scripts/kernel-doc -none -Wall mm/tier_ext/*.[ch] "${doc_files[@]}" 2>&1)
		if [ -n "$docs" ]; then
			echo "$docs" >> "$log"
			why="kernel-doc: $(echo "$docs" | head -1)"
		else
			defined "$obj" > "$logs/$k.defined"
			(cd "$obj" && nm -u $(series_objs "$obj")) | awk '$1 == "U" { print $2 }' | sort -u |
				comm -23 - "$logs/base.syms" | comm -23 - "$logs/$k.defined" > "$logs/$k.undefined"
			[ -s "$logs/$k.undefined" ] &&
				why="undefined at link: $(tr '\n' ' ' < "$logs/$k.undefined")"
		fi
	fi
	if [ -z "$why" ]; then
		echo "ok $k - $subject"
		pass=$((pass + 1))
	else
		echo "not ok $k - $subject: $why (log: ${log#"$top/"})"
		fail=$((fail + 1))
	fi
done
[ $((pass + fail)) -gt 0 ] || die "the series has $k patches; none in $first..$last"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
