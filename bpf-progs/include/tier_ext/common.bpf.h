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

/* The kfuncs' errors (vmlinux.h has no macros); x86's asm-generic values */
#ifndef ECANCELED
#define EPERM		1
#define ESRCH		3
#define ENOMEM		12
#define EBUSY		16
#define EINVAL		22
#define ECANCELED	125	/* the policy is on its way out */
#endif

/* Kfuncs, see mm/tier_ext/ (core.c, node.c, scan.c, migrate.c, targets.c) */
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
 * The memory tiers as the kernel ranks them (mm/memory-tiers.c): the "fast"
 * nodes are those of the top tier, the "slow" ones those of lower tiers,
 * as masks of node ids below TIER_EXT_SCAN_NODES (a typical CXL host: 0-1
 * DRAM sockets, 2 CXL; tier-vm: 0 fast, 1 slow). fast_nid and slow_nid are
 * the first of each, for policies that keep one of a kind.
 * tier_nodes_init() sets them in ops.init().
 */
u64 tier_fast_mask, tier_slow_mask;
s32 fast_nid = -1, slow_nid = -1;

/* True if there is a fast node and a slow node. */
static __always_inline bool tier_nodes_init(void)
{
	s32 nid;

	tier_fast_mask = tier_slow_mask = 0;
	fast_nid = slow_nid = -1;
	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		if (nid >= bpf_tier_nr_node_ids())
			break;
		if (!bpf_tier_node_has_memory(nid))
			continue;
		if (bpf_tier_node_tier(nid) == 0) {
			tier_fast_mask |= 1ULL << nid;
			if (fast_nid < 0)
				fast_nid = nid;
		} else {
			tier_slow_mask |= 1ULL << nid;
			if (slow_nid < 0)
				slow_nid = nid;
		}
	}
	return fast_nid >= 0 && slow_nid >= 0;
}

static __always_inline bool tier_node_is_fast(s32 nid)
{
	return nid >= 0 && nid < TIER_EXT_SCAN_NODES &&
	       (tier_fast_mask >> nid) & 1;
}

/* @kfunc(nid) (pages) summed over the fast nodes: the fast tier's. */
#define tier_fast_sum(kfunc)						\
({									\
	u64 ___sum = 0;							\
	s32 ___nid;							\
									\
	for (___nid = 0; ___nid < TIER_EXT_SCAN_NODES; ___nid++)	\
		if ((tier_fast_mask >> ___nid) & 1)			\
			___sum += kfunc(___nid);			\
	___sum;								\
})

/* Resident pages of a range scan on the fast nodes. */
static __always_inline u64 tier_scan_fast_pages(struct tier_ext_range_scan *scan)
{
	u64 sum = 0;
	s32 nid;

	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++)
		if ((tier_fast_mask >> nid) & 1)
			sum += scan->pages[nid];
	return sum;
}

/* The fast node with the most room above its watermarks. */
static __always_inline s32 tier_fast_node_most_room(void)
{
	s32 nid, best = fast_nid;
	u64 room, most = 0;

	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		if (!((tier_fast_mask >> nid) & 1))
			continue;
		room = bpf_tier_node_room(nid);
		if (room > most) {
			most = room;
			best = nid;
		}
	}
	return best;
}

/*
 * Where a hint fault promotes: the faulting CPU's node if it is fast
 * (upstream's migrate_misplaced_folio() to the CPU's node), else the fast
 * node with the most room. In fault context only: from a tick or a
 * kthread use tier_fast_node_most_room().
 */
static __always_inline s32 tier_promotion_node(void)
{
	s32 nid = bpf_get_numa_node_id();

	return tier_node_is_fast(nid) ? nid : tier_fast_node_most_room();
}

/*
 * Where pages of fast node @nid demote: the kernel's demotion target
 * (node_demotion[], next_demotion_node()), else the first slow node.
 * Policies that demote a range whose fast pages may sit on several fast
 * nodes ask for fast_nid's: with one CXL node behind two sockets, the same.
 */
static __always_inline s32 tier_demotion_node(s32 nid)
{
	s32 dst = nid >= 0 ? bpf_tier_demotion_target(nid) : NUMA_NO_NODE;

	return dst >= 0 && dst < TIER_EXT_SCAN_NODES &&
	       ((tier_slow_mask >> dst) & 1) ? dst : slow_nid;
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

/* The usual ops.migrate_done body: a policy's pages_moved, pages_failed. */
#define tier_stat_migrate_done(moved, failed)				\
	do {								\
		tier_stat_add(pages_moved, moved);			\
		tier_stat_add(pages_failed, failed);			\
	} while (0)

#endif /* __TIER_EXT_COMMON_BPF_H */
