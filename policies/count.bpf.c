// SPDX-License-Identifier: GPL-2.0
/*
 * count: never migrates; counts samples per memory tier and their weight,
 * and ignores samples lighter than min_weight. Useful to check what a
 * sample source delivers, and as a second policy to swap with.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("never migrates; counts samples per tier and their weight");

TIER_PARAM(u32, min_weight, 0, 0, 1000000,
	   "ignore samples whose weight is below this");

struct count_stats {
	u64 samples;
	u64 ignored;
	u64 weight;
	u64 fast;
	u64 slow;
	u64 unknown_node;
};
TIER_STATS(struct count_stats)

void BPF_STRUCT_OPS(count_sample, struct tier_ext_sample *sample)
{
	s32 nid = sample->nid;

	if (sample->weight < min_weight) {
		tier_stat_inc(ignored);
		return;
	}
	tier_stat_inc(samples);
	tier_stat_add(weight, sample->weight);
	if (nid == NUMA_NO_NODE || !bpf_tier_node_has_memory(nid))
		tier_stat_inc(unknown_node);
	else if (bpf_tier_node_tier(nid) == 0)
		tier_stat_inc(fast);
	else
		tier_stat_inc(slow);
}

TIER_OPS_DEFINE(count_ops,
		.sample = (void *)count_sample,
		.name = "count");
