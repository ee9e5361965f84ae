#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A git tree for editing the kernel series: Debian's linux-source-6.12 as
# the base commit (tag tier_ext-base), one commit per kernel-patch/ file on
# top. Edit with git (rebase -i, commit --fixup), then export back.
#   kernel-dev-tree.sh init DIR     create DIR from the tarball and the series
#   kernel-dev-tree.sh export DIR   write base..HEAD to kernel-patch/ and series
# export rewrites only the patches whose text changed (not just the commit
# hashes), so a change to one patch does not touch the others' files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
patches=$top/kernel-patch
tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

die() { echo "kernel-dev-tree: $*" >&2; exit 1; }
usage() { echo "usage: kernel-dev-tree.sh {init|export} DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
cmd=$1 dir=$2

series_files() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$patches/series"
}

# a patch's text without what every export changes: commit and blob hashes
patch_text() {
	grep -v -e '^From [0-9a-f]\{40\} ' -e '^index [0-9a-f]*\.\.[0-9a-f]*' "$1"
}

case $cmd in
init)
	[ -r "$tarball" ] || die "$tarball not found (install linux-source-6.12: make deps)"
	[ ! -e "$dir" ] || die "$dir exists"
	version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	mkdir -p "$dir"
	tar -xf "$tarball" -C "$dir" --strip-components=1
	cd "$dir"
	git init -q
	# Debian's .gitignore ignores the whole top level
	git add -f -A .
	git -c user.name=linux-source -c user.email=linux-source@localhost \
		commit -q -m "linux-source-6.12 $version"
	git tag tier_ext-base
	while read -r p; do
		git am -q "$patches/$p" || die "kernel-patch/$p does not apply to linux-source-6.12 $version (git am --abort in $dir)"
	done < <(series_files)
	echo "kernel-dev-tree: $dir: linux-source-6.12 $version + $(git rev-list --count tier_ext-base..HEAD) patches"
	;;
export)
	git -C "$dir" rev-parse -q --verify tier_ext-base > /dev/null 2>&1 ||
		die "$dir is not a tree made by kernel-dev-tree.sh init"
	[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
		die "$dir has uncommitted changes"
	# Debian's .gitignore ignores the whole top level: a new file is left
	# out of the commit that was meant to add it unless added with -f
	new=$(git -C "$dir" status --porcelain --ignored=matching --untracked-files=all |
	      sed -n 's/^!! //p' | grep -v -e '\.\(o\|cmd\|a\|ko\|orig\|rej\)$' -e '^\.tier_ext' -e '^\.checkpatch-camelcase' || true)
	[ -z "$new" ] ||
		die "$dir has files git ignores (Debian's .gitignore; add them with git add -f): $(echo $new)"
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	git -C "$dir" format-patch -q --no-signature -o "$out" tier_ext-base..HEAD
	changed=0
	for f in "$out"/*.patch; do
		name=$(basename "$f")
		if [ -e "$patches/$name" ] && cmp -s <(patch_text "$f") <(patch_text "$patches/$name"); then
			continue
		fi
		cp "$f" "$patches/$name"
		changed=$((changed + 1))
		echo "kernel-dev-tree: wrote kernel-patch/$name"
	done
	# patches that left the series (dropped or renamed)
	while read -r p; do
		[ -e "$out/$p" ] || { rm -f "$patches/$p"; echo "kernel-dev-tree: removed kernel-patch/$p"; }
	done < <(series_files)
	{ grep '^#' "$patches/series"; (cd "$out" && ls -- *.patch); } > "$patches/series.new"
	mv "$patches/series.new" "$patches/series"
	echo "kernel-dev-tree: $(ls "$out" | wc -l) patches, $changed rewritten"
	;;
*)
	usage
	;;
esac
