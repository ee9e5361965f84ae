// SPDX-License-Identifier: GPL-2.0
/*
 * sampler: a test policy that turns on the perf sample source (every
 * event) and records the addresses of the samples it gets.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy: perf source on, records sample addresses");

#define NR_ADDRS 4096

u64 nr_samples, nr_perf, nr_other;
u64 addrs[NR_ADDRS];

void BPF_STRUCT_OPS(sampler_sample, struct tier_ext_sample *s)
{
	u64 i = __sync_fetch_and_add(&nr_samples, 1);

	if (s->source == TIER_SAMPLE_PERF)
		__sync_fetch_and_add(&nr_perf, 1);
	else
		__sync_fetch_and_add(&nr_other, 1);
	if (i < NR_ADDRS)
		addrs[i] = s->vaddr;
}

TIER_OPS_DEFINE(sampler_ops,
		.sample = (void *)sampler_sample,
		.perf_period = 1,
		.name = "sampler");
