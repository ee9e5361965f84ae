// SPDX-License-Identifier: GPL-2.0
/*
 * mm_probe: a test policy that runs the scan and migration kfuncs on
 * request (a command written into its "cmd" map, executed by the next
 * tick) and records target and migration callbacks.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy: runs kfuncs on request, records callbacks");

/* Named after the tier_ext_ops member: the loader sets it (0: default). */
TIER_PARAM(u32, migrate_mbps, 0, 0, 1048576, "migration rate limit, MiB/s");

enum { CMD_SCAN = 1, CMD_MIGRATE = 2, CMD_MIGRATE_PAGES = 3, CMD_ROOM = 4,
       CMD_SCAN_BLOCKS = 5 };

#define CMD_PAGES 8
#define CMD_BLOCKS 8

struct cmd {
	u64 seq;
	u32 op;
	u32 flags;
	s32 pid;
	s32 pad;
	u64 start;
	u64 end;
	struct tier_ext_migrate_args margs;
	u64 pages[CMD_PAGES];		/* CMD_MIGRATE_PAGES */
	u32 nr_pages;			/* also blocks, CMD_SCAN_BLOCKS */
	s32 nid;			/* CMD_MIGRATE_PAGES, CMD_ROOM */
};

struct result {
	u64 seq;
	s64 ret;
	struct tier_ext_range_scan scan;
	struct tier_ext_block blocks[CMD_BLOCKS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cmd);
} cmd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct result);
} result SEC(".maps");

#define NR_EVENTS 64
s32 target_events[NR_EVENTS];	/* +pid added, -pid removed */
u32 nr_target_events;
u64 done_id, nr_done, total_moved;
u32 done_moved, done_failed;
s32 done_pid;

static __always_inline bool migrate_pages_cmd(struct cmd *c, struct result *r)
{
	u32 n = c->nr_pages;

	barrier_var(n);		/* bound the value the kfunc gets */
	if (n < 1 || n > CMD_PAGES)
		return false;
	r->ret = bpf_tier_migrate_pages(c->pid, c->pages, n * sizeof(u64), c->nid,
					 c->flags);
	return true;
}

static __always_inline bool scan_blocks_cmd(struct cmd *c, struct result *r)
{
	u32 n = c->nr_pages;

	barrier_var(n);
	if (n < 1 || n > CMD_BLOCKS)
		return false;
	r->ret = bpf_tier_range_scan_blocks(c->pid, c->start, r->blocks,
					    n * sizeof(r->blocks[0]), c->flags);
	return true;
}

void BPF_STRUCT_OPS_SLEEPABLE(mm_probe_tick)
{
	u32 zero = 0;
	struct cmd *c = bpf_map_lookup_elem(&cmd, &zero);
	struct result *r = bpf_map_lookup_elem(&result, &zero);

	if (!c || !r || !c->seq || c->seq == r->seq)
		return;
	if (c->op == CMD_SCAN)
		r->ret = bpf_tier_range_scan(c->pid, c->start, c->end, &r->scan,
					     c->flags);
	else if (c->op == CMD_MIGRATE)
		r->ret = bpf_tier_migrate(c->pid, &c->margs);
	else if (c->op == CMD_MIGRATE_PAGES && migrate_pages_cmd(c, r))
		;
	else if (c->op == CMD_SCAN_BLOCKS && scan_blocks_cmd(c, r))
		;
	else if (c->op == CMD_ROOM)
		r->ret = bpf_tier_node_room(c->nid);
	else
		r->ret = -22;
	r->seq = c->seq;
}

static void record(s32 ev)
{
	u32 i = nr_target_events;

	if (i < NR_EVENTS)
		target_events[i] = ev;
	nr_target_events = i + 1;
}

void BPF_STRUCT_OPS_SLEEPABLE(mm_probe_target_add, s32 pid)
{
	record(pid);
}

void BPF_STRUCT_OPS_SLEEPABLE(mm_probe_target_remove, s32 pid)
{
	record(-pid);
}

void BPF_STRUCT_OPS(mm_probe_migrate_done, u64 id, s32 pid, u32 moved,
		    u32 failed)
{
	done_id = id;
	done_pid = pid;
	done_moved = moved;
	done_failed = failed;
	__sync_fetch_and_add(&total_moved, moved);
	__sync_fetch_and_add(&nr_done, 1);
}

TIER_OPS_DEFINE(mm_probe_ops,
		.tick = (void *)mm_probe_tick,
		.target_add = (void *)mm_probe_target_add,
		.target_remove = (void *)mm_probe_target_remove,
		.migrate_done = (void *)mm_probe_migrate_done,
		.tick_ms = 10,
		.name = "mm_probe");
