// SPDX-License-Identifier: GPL-2.0
/*
 * static: first-touch placement. Never migrates; counts the samples and
 * ticks it sees. The floor every other policy is compared with.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("first-touch placement: never migrates, counts samples and ticks");

struct static_stats {
	u64 samples;
	u64 ticks;
};
TIER_STATS(struct static_stats)

void BPF_STRUCT_OPS(static_sample, struct tier_ext_sample *sample)
{
	tier_stat_inc(samples);
}

void BPF_STRUCT_OPS(static_tick)
{
	tier_stat_inc(ticks);
}

TIER_OPS_DEFINE(static_ops,
		.sample = (void *)static_sample,
		.tick = (void *)static_tick,
		.tick_ms = 1000,
		.name = "static");
