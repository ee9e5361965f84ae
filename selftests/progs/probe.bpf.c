// SPDX-License-Identifier: GPL-2.0
/*
 * probe: a test policy that records what the kernel gives it (samples,
 * ticks, topology, exit info) and misbehaves on request (failing init,
 * bpf_tier_error() on a chosen address, querying a bad node).
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy: records callbacks, fails on request");

TIER_PARAM(s32, init_ret, 0, -4095, 0, "value ops.init() returns");
TIER_PARAM(u64, error_vaddr, 0, 0, 0x7fffffffffffffffLL,
	   "call bpf_tier_error() on a sample at this address (0: never)");
TIER_PARAM(s32, query_node, -1, -1, 1 << 20,
	   "query this node's capacity in every tick (-1: none)");
/*
 * The ops members the kernel range-checks at attach, not range-checked
 * here: tierctl_test passes values above the kernel's limits.
 */
TIER_PARAM(u32, tick_ms, 20, 0, 0xffffffffLL, "ops.tick_ms");
TIER_PARAM(u32, migrate_mbps, 0, 0, 0xffffffffLL, "ops.migrate_mbps");
TIER_PARAM(u32, perf_period, 0, 0, 0xffffffffLL, "ops.perf_period");
TIER_PARAM(u32, numa_scan_ms, 0, 0, 0xffffffffLL, "ops.numa_scan_ms");
TIER_PARAM(u32, numa_scan_mb, 0, 0, 0xffffffffLL, "ops.numa_scan_mb");

u64 nr_samples, nr_ticks, nr_inits;
u64 last_vaddr, last_paddr, last_time;
s32 last_pid, last_nid;
u32 last_source, last_weight;

u32 nr_node_ids;
s32 node_tier[2], demotion[2];
u64 capacity[2], free_pages[2];

s32 exit_kind;
char exit_msg[128];

s32 BPF_STRUCT_OPS_SLEEPABLE(probe_init)
{
	int i;

	nr_inits++;
	nr_node_ids = bpf_tier_nr_node_ids();
	for (i = 0; i < 2; i++) {
		if (!bpf_tier_node_has_memory(i)) {
			node_tier[i] = -1;
			continue;
		}
		node_tier[i] = bpf_tier_node_tier(i);
		demotion[i] = bpf_tier_demotion_target(i);
		capacity[i] = bpf_tier_node_capacity(i);
		free_pages[i] = bpf_tier_node_free(i);
	}
	return init_ret;
}

void BPF_STRUCT_OPS(probe_sample, struct tier_ext_sample *s)
{
	last_vaddr = s->vaddr;
	last_paddr = s->paddr;
	last_time = s->time_ns;
	last_pid = s->pid;
	last_nid = s->nid;
	last_source = s->source;
	last_weight = s->weight;
	__sync_fetch_and_add(&nr_samples, 1);
	if (error_vaddr && s->vaddr == error_vaddr)
		bpf_tier_error("probe: sample at 0x%llx", s->vaddr);
}

void BPF_STRUCT_OPS_SLEEPABLE(probe_tick)
{
	__sync_fetch_and_add(&nr_ticks, 1);
	if (query_node != -1)
		bpf_tier_node_capacity(query_node);
}

void BPF_STRUCT_OPS_SLEEPABLE(probe_exit, struct tier_ext_exit_info *info)
{
	exit_kind = info->kind;
	bpf_probe_read_kernel_str(exit_msg, sizeof(exit_msg), info->msg);
}

TIER_OPS_DEFINE(probe_ops,
		.init = (void *)probe_init,
		.sample = (void *)probe_sample,
		.tick = (void *)probe_tick,
		.exit = (void *)probe_exit,
		.tick_ms = 20,
		.name = "probe");
