#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tierhost daemon with two VMs (fast 512 MiB, slow 1024 MiB, 1 vCPU each)
# sharing a 640 MiB fast-memory budget, at least 192 MiB each: the VM that
# uses memory gets the fast memory, the idle one keeps its minimum, the
# budget holds at every round, no VM moves faster than the rate limit; then
# the demand moves to the other VM and the allocation follows it; a guest
# policy's demand (Demeter's) replaces the memory in use. Prints
# the daemon's rounds. TAP output; the last line is "N passed, N failed,
# N skipped".
#   tierhost_daemon.sh [COUNTS-FILE]
set -u
counts=${1-}
. "$(dirname "$0")/lib.sh"
need_tools
budget=640 min=192 interval=2000 rate=128

for vm in a b; do
	vm_start $vm --balloon-nodes --fast 512 --slow 1024 --cpus 1 ||
		{ not_ok "boot VM $vm"; exit; }
done

# daemon ROUNDS LOG: run the daemon for ROUNDS rounds
daemon() {
	"$tierhost" daemon -S a="$(vm_qmp a)" -S b="$(vm_qmp b)" --budget ${budget}M \
		--min ${min}M --interval $interval --rate $rate --count "$1" > "$2" 2>&1
}
# check_rounds LOG: every round within the budget, above the minimums, the
# demand from memory in use (no policy in these guests),
# steps within the rate limit; prints the last round
check_rounds() {
	sed 's/^/#   /' "$1"
	awk -v budget=$budget -v min=$min -v step=$((rate * interval / 1000)) '
		/^#/ { next }
		NF != 9 || $9 != "used" { print "# bad line: " $0; bad = 1; next }
		$8 < min - 2 { print "# " $2 " below the minimum: " $8; bad = 1 }
		$8 - $6 > step || $6 - $8 > step { print "# " $2 " moved " $8 - $6 " MiB in one round"; bad = 1 }
		{ sum += $8 }
		++k % 2 == 0 { if (sum > budget) { print "# over budget: " sum; bad = 1 } sum = 0 }
		END { exit bad }' "$1" && ! grep -q 'tierhost:' "$1"
}
# last NAME LOG: the VM's last target
last() { awk -v v="$1" '!/^#/ && $2 == v { t = $8 } END { print t }' "$2"; }

# start within the budget: 320 MiB of fast memory each
for vm in a b; do
	"$tierhost" set -S "$(vm_qmp $vm)" --fast 320M && "$tierhost" wait -S "$(vm_qmp $vm)" --timeout 300 ||
		not_ok "set VM $vm to 320 MiB of fast memory"
done
vm_req a 'mount -o remount,size=900M /dev/shm && head -c 650M /dev/zero > /dev/shm/use && echo used' > /dev/null
follows_a() {
	daemon 15 "$work/round1" || { cat "$work/round1"; return 1; }
	check_rounds "$work/round1" || return 1
	note "after 15 rounds: a $(last a "$work/round1") MiB, b $(last b "$work/round1") MiB"
	[ "$(last a "$work/round1")" -gt "$(last b "$work/round1")" ] &&
	[ "$(last b "$work/round1")" -le $((min + 32)) ]
}
check "daemon: the VM using memory gets the fast budget, within budget and rate" follows_a

vm_req a 'rm /dev/shm/use' > /dev/null
vm_req b 'mount -o remount,size=900M /dev/shm && head -c 650M /dev/zero > /dev/shm/use && echo used' > /dev/null
follows_b() {
	daemon 15 "$work/round2" || { cat "$work/round2"; return 1; }
	check_rounds "$work/round2" || return 1
	note "after 15 more rounds: a $(last a "$work/round2") MiB, b $(last b "$work/round2") MiB"
	[ "$(last b "$work/round2")" -gt "$(last a "$work/round2")" ]
}
check "daemon: the allocation follows the demand to the other VM" follows_b

# A policy that knows its hot set speaks for the guest: b keeps its 650 MiB
# of tmpfs (memory in use) but runs a 200 MiB workload under Demeter, whose
# demand (its warm ranges) is what the daemon sizes b's fast tier by.
policy_demand() {
	local sys used line
	vm_req b "nohup $top/build/bin/hotset -m 200 -h 64 -o 0 -t 600 -r /tmp/hs.ready > /tmp/hs.log 2>&1 &
		for i in \$(seq 600); do [ -e /tmp/hs.ready ] && break; sleep 0.5; done
		$top/build/bin/tierctl load demeter --pid \$(pgrep -f 'hotset -m 200')" > /dev/null || return 1
	sleep 30
	daemon 5 "$work/round3" || { cat "$work/round3"; return 1; }
	sed 's/^/#   /' "$work/round3"
	sys=$(vm_req b 'cat /sys/kernel/mm/tier_ext/demand')
	# what the daemon would use without the policy: total - available
	used=$(vm_req b "awk '/^MemTotal/ {t = \$2} /^MemAvailable/ {a = \$2} END {print int((t - a) / 1024)}' /proc/meminfo")
	vm_req b "$top/build/bin/tierctl unload; pkill -f 'hotset -m 200'" > /dev/null
	line=$(awk '!/^#/ && $2 == "b"' "$work/round3" | tail -1)
	note "b: Demeter's demand '$sys' (pages), memory in use $used MiB; last round: $line"
	[ "$(awk '{print $9}' <<< "$line")" = policy ] &&
	[ "$(awk '{print $3}' <<< "$line")" -gt 0 ] && [ "$(awk '{print $3}' <<< "$line")" -le 250 ] &&
	[ "$used" -gt 600 ]
}
check "daemon: a guest policy's demand counts instead of the memory in use" policy_demand
