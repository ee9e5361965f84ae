/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a policy object tells its loader, shared by the BPF side
 * (common.bpf.h) and by tierctl. Plain C, no kernel types.
 *
 * A policy declares its tunables with TIER_PARAM(): a `const volatile`
 * global in .rodata plus a struct tier_param_desc named
 * __tier_param_<name> that gives the range and a one-line description.
 * A parameter named like an integer member of struct tier_ext_ops
 * (tick_ms, migrate_mbps, perf_period, numa_scan_ms, numa_scan_mb) also
 * sets that member of the policy's struct_ops map before it is loaded.
 * TIER_POLICY() declares __tier_policy_desc, the policy's description.
 * Per-CPU statistics live in a map named "stats" (a one-entry
 * BPF_MAP_TYPE_PERCPU_ARRAY of a struct of __u64 counters); the loader
 * prints each member, summed over CPUs, by its BTF name.
 */
#ifndef __TIER_EXT_POLICY_ABI_H
#define __TIER_EXT_POLICY_ABI_H

#define TIER_PARAM_PREFIX	"__tier_param_"
#define TIER_POLICY_DESC_VAR	"__tier_policy_desc"
#define TIER_STATS_MAP		"stats"

enum {
	TIER_PARAM_NAME_LEN	= 32,
	TIER_PARAM_DESC_LEN	= 96,
	TIER_POLICY_DESC_LEN	= 128,
};

struct tier_param_desc {
	char name[TIER_PARAM_NAME_LEN];
	char desc[TIER_PARAM_DESC_LEN];
	long long min;
	long long max;
};

#endif /* __TIER_EXT_POLICY_ABI_H */
