// SPDX-License-Identifier: GPL-2.0
/*
 * probe: a test policy that records what the kernel gives it (samples,
 * ticks, topology, exit info) and misbehaves on request (failing init,
 * bpf_tier_error() on a chosen address, querying a bad node, a tick that
 * scans a target's address space over and over).
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy: records callbacks, fails on request");

TIER_PARAM(s32, init_ret, 0, -4095, 0, "value ops.init() returns");
TIER_PARAM(u64, error_vaddr, 0, 0, 0x7fffffffffffffffLL,
	   "call bpf_tier_error() on a sample at this address (0: never)");
TIER_PARAM(s32, query_node, -1, -1, 1 << 20,
	   "query this node's capacity in every tick (-1: none)");
TIER_PARAM(s32, stall_pid, 0, 0, 1 << 22,
	   "target whose whole address space the first tick scans (0: none)");
TIER_PARAM(s32, move_pid, 0, 0, 1 << 22,
	   "target whose [move_start, move_end) init moves to node 1, exit to 0");
TIER_PARAM(u64, move_start, 0, 0, 0x7fffffffffffffffLL, "start of the range to move");
TIER_PARAM(u64, move_end, 0, 0, 0x7fffffffffffffffLL, "end of the range to move");
TIER_PARAM(u32, stall_scans, 1 << 23, 1, 1 << 23,
	   "scans of the stalling tick (bpf_loop()'s limit by default)");
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

/* what bpf_tier_migrate() answered in ops.init() and in ops.exit() */
s64 init_move_ret, exit_move_ret;

/* the stalling tick: scans made, and those the kernel cancelled */
u64 stall_done, stall_cancelled;

static s64 queue_move(s32 nid)
{
	struct tier_ext_migrate_args a = {
		.start = move_start, .end = move_end, .nid = nid, .max_pages = 4096,
	};

	return bpf_tier_migrate(move_pid, &a);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(probe_init)
{
	int i;

	if (move_pid)
		init_move_ret = queue_move(1);
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

/* Keeps going whatever the kernel answers: the kernel must stop it. */
static int stall_step(u32 i, void *ctx)
{
	struct tier_ext_range_scan scan;

	if (bpf_tier_range_scan(stall_pid, 0, 0x7ffffffff000ULL, &scan, 0) ==
	    -ECANCELED)
		stall_cancelled++;
	stall_done++;
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(probe_tick)
{
	__sync_fetch_and_add(&nr_ticks, 1);
	if (query_node != -1)
		bpf_tier_node_capacity(query_node);
	if (stall_pid && nr_ticks == 1)
		bpf_loop(stall_scans, stall_step, NULL, 0);
}

void BPF_STRUCT_OPS_SLEEPABLE(probe_exit, struct tier_ext_exit_info *info)
{
	exit_kind = info->kind;
	if (move_pid)
		exit_move_ret = queue_move(0);
	bpf_probe_read_kernel_str(exit_msg, sizeof(exit_msg), info->msg);
}

TIER_OPS_DEFINE(probe_ops,
		.init = (void *)probe_init,
		.sample = (void *)probe_sample,
		.tick = (void *)probe_tick,
		.exit = (void *)probe_exit,
		.tick_ms = 20,
		.name = "probe");
