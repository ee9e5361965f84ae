# SPDX-License-Identifier: GPL-2.0
# Sourced: where a process's memory sits per NUMA node, from its
# numa_maps; used on a QEMU process to find its guest's RAM
# (selftests/vmm/nested.sh, bench/virt-host.sh).

# KiB on node NODE of PID's mappings whose numa_maps line matches REGEX
numa_kib() {	# PID REGEX NODE
	awk -v pat="$2" -v node="N$3=" '$0 ~ pat {
		kb = 4
		for (i = 3; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); kb = a[2] }
		for (i = 3; i <= NF; i++) if (index($i, node) == 1) { split($i, a, "="); s += a[2] * kb }
	} END { print s + 0 }' "/proc/$1/numa_maps"
}

# KiB on node NODE of PID's mappings of 64 MiB or more: a QEMU's guest
# RAM (its memory backends), not QEMU's own memory (40 MiB or so; under
# KVM there is no TCG translation buffer)
ram_kib() {	# PID NODE
	local r lo hi starts=
	while read -r r _; do
		lo=${r%-*} hi=${r#*-}
		(( 16#$hi - 16#$lo >= 64 << 20 )) && starts+=${starts:+|}$lo
	done < "/proc/$1/maps"
	if [ -n "$starts" ]; then numa_kib "$1" "^($starts) " "$2"; else echo 0; fi
}
