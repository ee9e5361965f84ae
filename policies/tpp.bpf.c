// SPDX-License-Identifier: GPL-2.0
/*
 * tpp: TPP (ASPLOS'23) as the upstream kernel runs it in NUMA balancing's
 * memory tiering mode (kernel.numa_balancing=2), as BPF.
 *
 * Promotion: the targets' pages on slow memory are armed for NUMA hint
 * faults (numa_scan_ms, numa_scan_mb: upstream's scan period and size).
 * A page whose hint fault comes within hot_threshold_ms of its arming
 * (the hint-fault latency, upstream's hot threshold) is promoted from the
 * fault path, within promote_rate_limit_mbps. As upstream, the threshold
 * adapts every adjust_ms so that promotion candidates match the rate
 * limit.
 *
 * Demotion: upstream demotes in reclaim, which TPP starts early by raising
 * the fast node's watermarks by demote_scale_factor (in 1/10000 of the
 * node; upstream's promotion watermark plays that part). Here the tick
 * keeps that much room above the fast node's high watermarks (which
 * promotion needs): it ages the targets' memory in 2 MiB chunks with the
 * accessed bits (the inactive LRU's approximation) and demotes the chunks
 * not accessed since their last aging, in aging order; when room is short
 * and none was idle (memory all touched now and then), the chunk with the
 * fewest accessed pages that tick, as reclaim would take the LRU's tail.
 * Only movable pages count (shared ones would be refused).
 *
 * Left out: the per-page LRU and its refault logic (chunks instead of
 * pages), promotion of file pages, the NUMA scheduler's task placement.
 */
#include <tier_ext/common.bpf.h>
#include <tier_ext/target_areas.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("TPP: hint-fault promotion, early demotion (upstream tiering mode)");

#include "tpp_core.bpf.h"

/* Promotion from the fault path, like upstream */
s32 BPF_STRUCT_OPS(tpp_numa_fault, struct tier_ext_sample *s)
{
	return tpp_promotion_candidate(s) ? tier_promotion_node() : NUMA_NO_NODE;
}

TIER_OPS_DEFINE(tpp_ops,
		.init = (void *)tpp_init,
		.tick = (void *)tpp_tick,
		.numa_fault = (void *)tpp_numa_fault,
		.target_add = (void *)tpp_target_add,
		.target_remove = (void *)tpp_target_remove,
		.migrate_done = (void *)tpp_migrate_done,
		.name = "tpp");
