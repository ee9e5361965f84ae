# SPDX-License-Identifier: GPL-2.0
# Helpers for the host-driven VM tests (sourced): TAP counting, VMs under
# make qemu's QEMU with a QMP socket and tier-vm-agent as the guest command.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
qemu=${TIER_VM_QEMU_VMM:-$top/build/qemu-build/qemu-system-x86_64}
tierhost=$top/build/bin/tierhost
. "$top/selftests/kernel-log.sh"
pass=0 fail=0 skip=0 n=0
work=$(mktemp -d /tmp/tiervm.XXXXXX)
declare -A vm_pid

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
note() { echo "# $*"; }
now() { date +%s.%N; }
within() { # within A B PCT: |A - B| <= PCT% of B
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100) }'
}
rate() { awk -v mib="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.1f s, %.1f MiB/s", e - s, mib / (e - s) }'; }

vm_qmp() { echo "$work/$1.qmp"; }
# a second socket for a client that stays connected (QEMU serves one per socket)
vm_events_qmp() { echo "$work/$1.events.qmp"; }
vm_agent() { echo "$work/$1/share/agent"; }

# vm_start NAME [tier-vm options]: boot and wait for the guest's agent
vm_start() {
	local name=$1 t=0 agent
	shift
	agent=$(vm_agent "$name")
	rm -rf "$work/$name" && mkdir -p "$agent"
	"$top/scripts/tier-vm" --qemu "$qemu" --timeout 1500 --share "$work/$name/share" \
		--log "$work/$name.serial.log" --qmp "$(vm_qmp "$name")" \
		--qmp "$work/$name.events.qmp" "$@" -- \
		"$top/scripts/tier-vm-agent" "$agent" > "$work/$name.out" 2>&1 &
	vm_pid[$name]=$!
	while [ ! -e "$agent/ready" ]; do
		if ! kill -0 "${vm_pid[$name]}" 2>/dev/null || [ $t -ge 3000 ]; then
			note "$name: the VM did not come up; serial log:"
			tail -n 20 "$work/$name.serial.log" | sed 's/^/#   /'
			sed 's/^/#   /' "$work/$name.out"
			return 1
		fi
		sleep 0.1
		t=$((t + 1))
	done
	note "$name: booted in $((t / 10)) s"
}

# vm_req NAME SCRIPT: run SCRIPT in the guest, print its output, return its status
vm_req() {
	local name=$1 agent t=0 r
	agent=$(vm_agent "$name")
	# numbered by the files, not a variable: callers run in subshells
	r=$(( $(find "$agent" -maxdepth 1 -name 'req.*' | wc -l) + 1 ))
	printf '%s\n' "$2" > "$agent/.req.$r"
	mv "$agent/.req.$r" "$agent/req.$r"
	[ "$2" = exit ] && return 0
	while [ ! -e "$agent/rsp.$r.rc" ]; do
		kill -0 "${vm_pid[$name]}" 2>/dev/null || { echo "the VM is gone"; return 125; }
		[ $t -lt 6000 ] || { echo "guest request timed out"; return 124; }
		sleep 0.1
		t=$((t + 1))
	done
	cat "$agent/rsp.$r.out"
	return "$(cat "$agent/rsp.$r.rc")"
}

# vm_stop NAME: shut the guest down; its kernel log must be clean
vm_stop() {
	local name=$1 pid=${vm_pid[$1]-} log=$work/$1.serial.log
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		vm_req "$name" exit > /dev/null 2>&1
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill "$pid" 2>/dev/null
		pkill -f "qmp unix:$(vm_qmp "$name")" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "vm_pid[$name]"
	if kernel_log_warned "$log"; then
		not_ok "$name: kernel log clean"
		kernel_log_excerpt 30 "$log" | sed 's/^/#   /'
	else
		ok "$name: kernel log clean"
	fi
}

# Stop every VM, print the plan and the counts; the script's exit status.
finish() {
	local name
	for name in "${!vm_pid[@]}"; do vm_stop "$name"; done
	rm -rf "$work"
	echo "1..$n"
	echo "$pass passed, $fail failed, $skip skipped"
	[ -z "${counts-}" ] || echo "$pass $fail $skip" > "$counts"
	# in an EXIT trap a bare exit keeps the status from before the trap
	[ $fail -eq 0 ] && exit 0
	exit 1
}

need_tools() {
	[ -x "$qemu" ] || { echo "$(basename "$0"): $qemu missing (run: make qemu)" >&2; exit 1; }
	[ -x "$tierhost" ] || { echo "$(basename "$0"): $tierhost missing (run: make host-tools)" >&2; exit 1; }
	trap finish EXIT
}
