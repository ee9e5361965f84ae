#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install into a temporary DESTDIR: the installed tierctl finds the
# installed policies, the man page renders cleanly, bash completion loads;
# make bpf builds against another kernel's BTF (KERNEL_BTF).
#   install.sh COUNTS-FILE     writes "PASS FAIL SKIP" to COUNTS-FILE
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
counts=${1:-/dev/null}
n=0 pass=0 fail=0 skip=0
check() { # check DESCRIPTION CMD...
	local what=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - install: $what"; pass=$((pass + 1))
	else echo "not ok $n - install: $what"; fail=$((fail + 1)); fi
}
dest=$(mktemp -d)
trap 'rm -rf "$dest"; echo "$pass $fail $skip" > "$counts"' EXIT
out=$dest/make.out
installs() { make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr > "$out" 2>&1 || { sed 's/^/# /' "$out"; return 1; }; }
check "make install DESTDIR=... PREFIX=/usr" installs
bin=$dest/usr/bin/tierctl
lists() { # the installed tierctl lists demeter from the installed directory
	local json
	json=$(env -u TIER_POLICY_DIR "$bin" list -j) || return 1
	python3 -c 'import json, sys
pols = {p["name"]: p["path"] for p in json.loads(sys.argv[1])}
sys.exit(0 if pols.get("demeter", "").startswith(sys.argv[2] + "/usr/lib/tier_ext/policies/") else 1)' "$json" "$dest"
}
check "the installed tierctl finds the installed policies" lists
check "the BPF headers are installed" test -r "$dest/usr/include/tier_ext/common.bpf.h"
man_ok() { local w; w=$(MANWIDTH=80 man --warnings -l "$dest/usr/share/man/man8/tierctl.8" 2>&1 >/dev/null); [ -z "$w" ] || { echo "# $w"; return 1; }; }
check "tierctl(8) renders without warnings" man_ok
compl() {
	bash -c '. /usr/share/bash-completion/bash_completion && . "$1" && complete -p tierctl' _ \
		"$dest/usr/share/bash-completion/completions/tierctl" | grep -q -- '-F _tierctl tierctl'
}
check "bash completion registers _tierctl" compl
# the units name the installed binaries: install once more without
# DESTDIR, into the temporary directory, so that systemd finds them
units() {
	local pre=$dest/prefix w
	make -s -C "$top" install PREFIX="$pre" > "$out" 2>&1 || { sed 's/^/# /' "$out"; return 1; }
	w=$(systemd-analyze verify --man=no "$pre"/lib/systemd/system/tier-ext.service \
		"$pre"/lib/systemd/system/tierhost.service 2>&1 | grep -v 'Unit is bound to inactive')
	[ -z "$w" ] || { echo "$w" | sed 's/^/# /'; return 1; }
	grep -q "^ExecStart=$pre/bin/tierctl load \${TIER_POLICY} \$TIER_ARGS$" "$pre"/lib/systemd/system/tier-ext.service
}
if command -v systemd-analyze > /dev/null; then
	check "systemd units verify and start the installed binaries" units
else
	n=$((n + 1)) skip=$((skip + 1)); echo "ok $n - install: systemd units # SKIP no systemd-analyze"
fi
# make bpf against another kernel's BTF builds no kernel: the project
# kernel's vmlinux stands for a tier_ext kernel of one's own
own_btf() {
	make -s -C "$top" bpf BUILD="$dest/b" KERNEL_BTF="$top/build/kernel/vmlinux" > "$out" 2>&1 ||
		{ sed 's/^/# /' "$out"; return 1; }
	[ ! -e "$dest/b/kernel" ] && [ -s "$dest/b/policies/demeter.bpf.o" ]
}
check "make bpf KERNEL_BTF=FILE builds the policies and no kernel" own_btf
# and stops in one clear line on a kernel without tier_ext
no_tier_ext_btf() {
	! make -s -C "$top" bpf BUILD="$dest/c" KERNEL_BTF=/sys/kernel/btf/vmlinux > "$out" 2>&1 &&
		grep -q "^bpf: /sys/kernel/btf/vmlinux has no struct tier_ext_ops: that kernel lacks tier_ext" "$out"
}
if [ ! -r /sys/kernel/btf/vmlinux ] || bpftool btf dump file /sys/kernel/btf/vmlinux format raw 2>/dev/null |
	grep -q "STRUCT 'tier_ext_ops'"; then
	n=$((n + 1)) skip=$((skip + 1))
	echo "ok $n - install: make bpf against a kernel without tier_ext # SKIP the host kernel has tier_ext or no BTF"
else
	check "make bpf KERNEL_BTF= a kernel without tier_ext stops with a clear error" no_tier_ext_btf
fi
# make deps: what it would install, never a QEMU binary (make qemu builds ours)
deps_list() {
	local l
	l=$("$top/scripts/install-deps.sh" --list) || return 1
	! grep -qx 'qemu-system-x86' <<< "$l" && grep -qx seabios <<< "$l" &&
		grep -qx libbpf-dev <<< "$l" && ! grep -qx redis-server <<< "$l" &&
		"$top/scripts/install-deps.sh" --list bench | grep -qx redis-server
}
check "install-deps.sh --list: firmware, no QEMU binary; bench adds the suite's programs" deps_list
deps_bad() {
	local o rc=0
	o=$("$top/scripts/install-deps.sh" --lsit 2>&1) || rc=$?
	[ $rc -eq 2 ] && [ "$o" = "install-deps: unknown argument '--lsit' (usage: install-deps.sh [--list] [bench])" ]
}
check "install-deps.sh refuses an unknown argument in one line, exit 2" deps_bad
