#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-node balloon targets and actuals survive saving a VM to a file and
# restoring it (-incoming), and a suspend to RAM and resume of the guest
# (the driver's freeze and restore). The guest boots an initrd whose init
# prints each node's MemTotal (a mounted 9p export, tier-vm's root, blocks
# migration and does not survive a suspend).
# TAP output; the last line is "N passed, N failed, N skipped".
#   balloon_migrate.sh [COUNTS-FILE]
set -u
counts=${1-}
. "$(dirname "$0")/lib.sh"
need_tools
kernel=${TIER_VM_KERNEL:-$top/build/kernel/arch/x86/boot/bzImage}
initrd=$top/build/vmm/initrd.cpio.gz
fast=1024 slow=2048
mig=$work/vm.mig
declare -A qpid
append=

[ -r "$initrd" ] || { echo "balloon_migrate: $initrd missing (run: make vmm-initrd)" >&2; exit 1; }

# qemu_start NAME NODE-TARGETS(on|off) [QEMU ARGS]: the tier-vm topology, initrd guest
qemu_start() {
	local name=$1 nt=$2
	shift 2
	rm -f "$work/$name.qmp"
	"$qemu" -machine q35,accel=tcg,hmat=on -cpu max -smp 2 -m $((fast + slow))M \
		-object memory-backend-ram,id=m0,size=${fast}M \
		-object memory-backend-ram,id=m1,size=${slow}M \
		-numa node,nodeid=0,cpus=0-1,memdev=m0,initiator=0 \
		-numa node,nodeid=1,memdev=m1,initiator=0 \
		-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=80 \
		-numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=300 \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 rdinit=/init panic=-1 quiet $append" \
		-device virtio-balloon-pci,id=balloon0,x-node-targets=$nt \
		-nodefaults -no-user-config -display none -serial file:"$work/$name.serial.log" \
		-qmp unix:"$work/$name.qmp",server=on,wait=off "$@" > "$work/$name.out" 2>&1 &
	qpid[$name]=$!
	for _ in $(seq 100); do [ -S "$work/$name.qmp" ] && return 0; sleep 0.1; done
	return 1
}
qemu_stop() {
	"$tierhost" qmp -S "$work/$1.qmp" quit > /dev/null 2>&1
	wait "${qpid[$1]}" 2>/dev/null
	unset "qpid[$1]"
}
th() { "$tierhost" "$1" -S "$work/$2.qmp" "${@:3}"; }
# last MemTotal the guest printed: "node0 node1" in MiB
memtotal() { sed -n 's/.*memtotal seq=[0-9]* node0=\([0-9]*\) node1=\([0-9]*\).*/\1 \2/p' "$work/$1.serial.log" | tail -1 | awk '{print int($1 / 1024), int($2 / 1024)}'; }
# fields of tierhost show for node N: target actual
state() { th show "$1" | awk -v n="$2" '$2 == n {print $6, $7, $10}'; }
wait_line() { # wait_line NAME COUNT: until the guest printed COUNT more lines
	local base
	base=$(grep -c 'memtotal seq' "$work/$1.serial.log" 2>/dev/null)
	for _ in $(seq 600); do
		[ "$(grep -c 'memtotal seq' "$work/$1.serial.log" 2>/dev/null)" -ge $((base + $2)) ] && return 0
		sleep 0.5
	done
	return 1
}
trap 'for q in "${!qpid[@]}"; do kill "${qpid[$q]}" 2>/dev/null; done; finish' EXIT

qemu_start src on || { not_ok "start the source VM"; exit; }
setup() {
	wait_line src 1 || { note "the guest printed nothing"; tail -5 "$work/src.serial.log"; return 1; }
	for _ in $(seq 300); do [ "$(state src 0 | cut -d' ' -f3)" = yes ] && break; sleep 0.5; done
	th set src --fast 768M --slow 1536M && th wait src --timeout 600 && wait_line src 2 &&
	note "before saving: node 0 $(state src 0), node 1 $(state src 1); guest MemTotal $(memtotal src)"
}
check "source: per-node targets reached" setup
before0=$(state src 0) before1=$(state src 1) mem_before=$(memtotal src)

save() {
	local st
	th qmp src migrate "{\"uri\": \"file:$mig\"}" > /dev/null || return 1
	for _ in $(seq 600); do
		st=$(th qmp src query-migrate | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p')
		[ "$st" = completed ] && break
		[ "$st" = failed ] && { th qmp src query-migrate | sed 's/^/#   /'; return 1; }
		sleep 0.5
	done
	note "saved: $(du -m "$mig" | cut -f1) MiB in $mig"
	qemu_stop src
	[ "$st" = completed ]
}
check "save the VM to a file" save

qemu_start dst on -incoming "file:$mig" || { not_ok "start the destination VM"; exit; }
restore() {
	local st
	for _ in $(seq 600); do
		st=$(th qmp dst query-status | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p')
		[ "$st" = running ] && break
		sleep 0.5
	done
	[ "$st" = running ] || { note "destination state '$st'"; sed 's/^/#   /' "$work/dst.out"; return 1; }
	wait_line dst 2 || return 1
	note "restored: node 0 $(state dst 0), node 1 $(state dst 1); guest MemTotal $(memtotal dst)"
	[ "$(state dst 0)" = "$before0" ] && [ "$(state dst 1)" = "$before1" ] &&
	[ "$(memtotal dst)" = "$mem_before" ]
}
check "restore: targets, actuals and the guest's MemTotal as saved" restore
deflates() { # deflates VM NODE1-MIB: every node back to its size, node 1 above NODE1-MIB
	th set "$1" --fast ${fast}M --slow ${slow}M && th wait "$1" --timeout 600 && wait_line "$1" 2 &&
	note "deflated: node 0 $(state "$1" 0), node 1 $(state "$1" 1); guest MemTotal $(memtotal "$1")" &&
	[ "$(state "$1" 0 | cut -d' ' -f2)" = $fast ] && [ "$(state "$1" 1 | cut -d' ' -f2)" = $slow ] &&
	[ "$(memtotal "$1" | cut -d' ' -f2)" -gt "$2" ]
}
check "after the restore the balloon still deflates per node" deflates dst "$(echo "$mem_before" | cut -d' ' -f2)"
qemu_stop dst

mismatch() {
	qemu_start bad off -incoming "file:$mig" || return 1
	for _ in $(seq 300); do kill -0 "${qpid[bad]}" 2>/dev/null || break; sleep 0.2; done
	if kill -0 "${qpid[bad]}" 2>/dev/null; then
		st=$(th qmp bad query-status | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p')
		note "destination without x-node-targets is '$st'"
		qemu_stop bad
		[ "$st" != running ]
	else
		wait "${qpid[bad]}"; local rc=$?
		unset "qpid[bad]"
		note "destination without x-node-targets exits $rc: $(grep -m1 -i 'error\|fail' "$work/bad.out")"
		[ $rc -ne 0 ]
	fi
}
check "a destination without x-node-targets refuses the stream" mismatch

# Suspend to RAM: the guest's init suspends once node 1 falls below 1600
# MiB. Freezing gives every ballooned page back; restoring inflates to the
# host's targets again. tsc=reliable: after an S3 resume QEMU's q35 ACPI PM
# timer reads 0xffffff, the clocksource watchdog would switch to it and the
# guest's clock (and every sleep) would stop.
append="tier_suspend_below=1600 tsc=reliable"
qemu_start sus on || { not_ok "start the suspend VM"; exit; }
append=
suspend_resume() {
	local st frozen0 frozen1
	wait_line sus 1 || return 1
	for _ in $(seq 300); do [ "$(state sus 0 | cut -d' ' -f3)" = yes ] && break; sleep 0.5; done
	# the guest suspends itself on the way to these targets
	th set sus --fast 768M --slow 1536M || return 1
	for _ in $(seq 600); do
		st=$(th qmp sus query-status | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p')
		[ "$st" = suspended ] && break
		sleep 0.5
	done
	frozen0=$(state sus 0) frozen1=$(state sus 1)
	note "guest $st; node 0 $frozen0, node 1 $frozen1 (target actual supported, MiB)"
	# freeze gave every page back and reset the device
	[ "$st" = suspended ] && [ "$frozen0" = "768 1024 no" ] && [ "$frozen1" = "1536 2048 no" ] ||
		return 1
	th qmp sus system_wakeup > /dev/null || return 1
	for _ in $(seq 600); do grep -q 'resumed rc=' "$work/sus.serial.log" && break; sleep 0.5; done
	note "$(grep -m1 'resumed rc=' "$work/sus.serial.log")"
	grep -q 'resumed rc=0' "$work/sus.serial.log" || return 1
	th wait sus --timeout 600 && wait_line sus 2 || return 1
	note "after resume: node 0 $(state sus 0), node 1 $(state sus 1); guest MemTotal $(memtotal sus) (the saved VM's at these targets: $mem_before)"
	[ "$(state sus 0)" = "768 768 yes" ] && [ "$(state sus 1)" = "1536 1536 yes" ] &&
	[ "$(memtotal sus)" = "$mem_before" ]
}
check "suspend to RAM and resume: the balloon returns to the host's targets" suspend_resume
check "after the resume the balloon still deflates per node" deflates sus 1600
qemu_stop sus

logs_clean() {
	! kernel_log_warned "$work/src.serial.log" "$work/dst.serial.log" "$work/sus.serial.log"
}
check "kernel logs of all runs clean" logs_clean
