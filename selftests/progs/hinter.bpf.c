// SPDX-License-Identifier: GPL-2.0
/*
 * hinter: a test policy that turns on the NUMA hint-fault source, records
 * the samples it gets, and answers every ops.numa_fault() with the node
 * in its promote_to parameter.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy: hint-fault source on, fixed numa_fault answer");

/* Named after tier_ext_ops members: the loader sets those too. */
TIER_PARAM(u32, numa_scan_ms, 100, 0, 60000, "hint-fault scan period");
TIER_PARAM(u32, numa_scan_mb, 256, 0, 65536, "MiB armed per scan");
TIER_PARAM(s32, promote_to, -1, -1, 1023, "what numa_fault returns");

#define NR_ADDRS 2048

u64 nr_numa, nr_other, nr_decisions, nr_known_latency;
u64 addrs[NR_ADDRS];
u32 weights[NR_ADDRS];
s32 nids[NR_ADDRS];

void BPF_STRUCT_OPS(hinter_sample, struct tier_ext_sample *s)
{
	u64 i;

	if (s->source != TIER_SAMPLE_NUMA) {
		__sync_fetch_and_add(&nr_other, 1);
		return;
	}
	i = __sync_fetch_and_add(&nr_numa, 1);
	if (s->weight != 0xffffffff)
		__sync_fetch_and_add(&nr_known_latency, 1);
	if (i < NR_ADDRS) {
		addrs[i] = s->vaddr;
		weights[i] = s->weight;
		nids[i] = s->nid;
	}
}

s32 BPF_STRUCT_OPS(hinter_numa_fault, struct tier_ext_sample *s)
{
	__sync_fetch_and_add(&nr_decisions, 1);
	return promote_to;
}

TIER_OPS_DEFINE(hinter_ops,
		.sample = (void *)hinter_sample,
		.numa_fault = (void *)hinter_numa_fault,
		.name = "hinter");
