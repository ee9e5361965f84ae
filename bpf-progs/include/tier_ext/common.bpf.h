/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common definitions for tier_ext BPF policies: kfunc declarations, the
 * struct_ops macros, parameters and per-CPU statistics.
 */
#ifndef __TIER_EXT_COMMON_BPF_H
#define __TIER_EXT_COMMON_BPF_H

/* We declare the kfuncs ourselves, below. */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <tier_ext/policy_abi.h>

#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE	(-1)
#endif

/* Kfuncs, see mm/tier_ext.c */
void bpf_tier_error_bstr(char *fmt, unsigned long long *data, u32 data__sz) __ksym;
u32 bpf_tier_nr_node_ids(void) __ksym;
bool bpf_tier_node_has_memory(s32 nid) __ksym;
s32 bpf_tier_node_tier(s32 nid) __ksym;
s32 bpf_tier_demotion_target(s32 nid) __ksym;
u64 bpf_tier_node_capacity(s32 nid) __ksym;
u64 bpf_tier_node_usable(s32 nid) __ksym;
u64 bpf_tier_node_ballooned(s32 nid) __ksym;
int bpf_tier_node_set_demand(s32 nid, u64 pages) __ksym;
u64 bpf_tier_node_free(s32 nid) __ksym;
u64 bpf_tier_node_room(s32 nid) __ksym;
bool bpf_tier_is_target(s32 pid) __ksym;
s64 bpf_tier_range_scan(s32 pid, u64 start, u64 end,
			struct tier_ext_range_scan *scan, u32 flags) __ksym;
s64 bpf_tier_range_scan_blocks(s32 pid, u64 start, struct tier_ext_block *blocks,
			       u32 blocks__sz, u32 flags) __ksym;
s64 bpf_tier_migrate(s32 pid, struct tier_ext_migrate_args *args) __ksym;
s64 bpf_tier_migrate_pages(s32 pid, u64 *pages, u32 pages__sz, s32 nid,
			   u32 flags) __ksym;
s64 bpf_tier_probe_pages(s32 pid, u64 *addrs, u32 addrs__sz) __ksym;

/* Generic kfuncs policies use */
struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

/*
 * bpf_tier_error(fmt, args...): eject this policy; the formatted message
 * reaches ops.exit(), sysfs and `tierctl status`.
 */
#define bpf_tier_error(fmt, args...)					\
({									\
	static char ___fmt[] = fmt;					\
	unsigned long long ___param[___bpf_narg(args)];			\
									\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
	___bpf_fill(___param, args);					\
	_Pragma("GCC diagnostic pop")					\
	bpf_tier_error_bstr(___fmt, ___param, sizeof(___param));	\
})

#define BPF_STRUCT_OPS(name, args...)					\
	SEC("struct_ops/" #name) BPF_PROG(name, ##args)

#define BPF_STRUCT_OPS_SLEEPABLE(name, args...)				\
	SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* The policy's operation table; a link map, so that it can be swapped. */
#define TIER_OPS_DEFINE(__name, ...)					\
	SEC(".struct_ops.link") struct tier_ext_ops __name = { __VA_ARGS__ }

/*
 * The first node of the top (fast) tier and the first of a lower (slow)
 * tier, in *@fast and *@slow (-1 if none); true if there are both.
 */
static __always_inline bool tier_fast_slow_nodes(s32 *fast, s32 *slow)
{
	s32 nid;

	*fast = *slow = -1;
	for (nid = 0; nid < 64; nid++) {
		if (nid >= bpf_tier_nr_node_ids())
			break;
		if (!bpf_tier_node_has_memory(nid))
			continue;
		if (bpf_tier_node_tier(nid) == 0) {
			if (*fast < 0)
				*fast = nid;
		} else if (*slow < 0) {
			*slow = nid;
		}
	}
	return *fast >= 0 && *slow >= 0;
}

/* floor(log2(@v)) for @v > 0, 0 for 0; no loop, for the verifier. */
static __always_inline u32 tier_ilog2(u64 v)
{
	u32 l = 0;

	if (v >= 1ULL << 32) {
		v >>= 32;
		l += 32;
	}
	if (v >= 1 << 16) {
		v >>= 16;
		l += 16;
	}
	if (v >= 1 << 8) {
		v >>= 8;
		l += 8;
	}
	if (v >= 1 << 4) {
		v >>= 4;
		l += 4;
	}
	if (v >= 1 << 2) {
		v >>= 2;
		l += 2;
	}
	if (v >= 1 << 1)
		l += 1;
	return l;
}

/* A one-line description shown by `tierctl list`. */
#define TIER_POLICY(text)						\
	const volatile char __tier_policy_desc[TIER_POLICY_DESC_LEN] = text

/* A tunable set by `tierctl load <policy> --param name=value`. */
#define TIER_PARAM(__type, __var, dflt, lo, hi, text)			\
	const volatile __type __var = (dflt);				\
	const volatile struct tier_param_desc __tier_param_##__var = {	\
		.name = #__var, .desc = text, .min = (lo), .max = (hi),	\
	}

/*
 * Per-CPU statistics: TIER_STATS(struct foo_stats) defines the "stats"
 * map; tier_stat_add(field, n) adds to this CPU's copy.
 */
#define TIER_STATS(__stats_type)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, 1);					\
		__type(key, u32);					\
		__type(value, __stats_type);				\
	} stats SEC(".maps");						\
	static __always_inline __stats_type *tier_stats(void)		\
	{								\
		u32 zero = 0;						\
									\
		return bpf_map_lookup_elem(&stats, &zero);		\
	}

#define tier_stat_add(field, n)						\
	do {								\
		typeof(tier_stats()) ___s = tier_stats();		\
									\
		if (___s)						\
			___s->field += (n);				\
	} while (0)

#define tier_stat_inc(field)	tier_stat_add(field, 1)

#endif /* __TIER_EXT_COMMON_BPF_H */
