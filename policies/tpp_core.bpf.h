/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TPP's machinery, shared by the tpp and nomad policies (which differ in
 * how a promotion candidate moves): hint-fault promotion candidates with
 * upstream's hot threshold, its adaptation and rate limit, and early
 * demotion of cold 2 MiB chunks to keep demote_scale_factor room on the
 * fast node (the least accessed chunk when none is idle). Include once, after common.bpf.h and target_areas.bpf.h;
 * TPP_EXTRA_STATS adds fields to the statistics.
 */
#ifndef __TIER_EXT_TPP_CORE_BPF_H
#define __TIER_EXT_TPP_CORE_BPF_H

TIER_PARAM(u32, numa_scan_ms, 1000, 10, 60000, "hint-fault scan period");
TIER_PARAM(u32, numa_scan_mb, 256, 1, 65536, "MiB armed per target and scan");
TIER_PARAM(u32, hot_threshold_ms, 1000, 1, 60000, "promote if hint-fault latency below");
TIER_PARAM(u32, promote_rate_limit_mbps, 65536, 1, 1048576, "promotion rate limit");
TIER_PARAM(u32, adjust_ms, 60000, 100, 3600000, "threshold adjustment period");
TIER_PARAM(u32, demote_scale_factor, 200, 1, 5000, "keep this/10000 of fast memory as room");
TIER_PARAM(u32, tick_ms, 200, 10, 60000, "aging and demotion period");
TIER_PARAM(u32, age_chunks, 512, 1, 65536, "2 MiB chunks aged per target and tick");

struct tpp_stats {
	u64 hint_faults;
	u64 fast_faults;
	u64 candidates;
	u64 promote;
	u64 ratelimited;
	u64 threshold_ms;	/* gauge */
	u64 chunks_aged;
	u64 chunks_cold;
	u64 demote_reqs;
	u64 demote_warm;	/* no chunk idle: the least accessed one went */
	u64 pages_moved;
	u64 pages_failed;
	u64 targets_refused;	/* beyond MAX_TARGETS: promoted, never aged */
#ifdef TPP_EXTRA_STATS
	TPP_EXTRA_STATS
#endif
};
TIER_STATS(struct tpp_stats)

#define CHUNK		(2ULL << 20)
#define MAX_TARGETS	64	/* processes aged for demotion */

struct target {
	s32 pid;
	u32 area;		/* 0 heap, 1 mmap: where aging continues */
	u64 cursor;
	struct tier_area areas[2];
};

TIER_TARGETS_MAP(struct target, MAX_TARGETS);

u64 threshold_us;		/* current hot threshold */
u64 window_start_ns;		/* rate limit window (1 s) */
u64 window_pages;
u64 adjust_start_ns;
u64 adjust_candidates;

/*
 * Upstream's should_numa_migrate_memory() in tiering mode: whether the
 * page of hint fault @s is hot enough to promote now, within the rate limit.
 */
static bool tpp_promotion_candidate(struct tier_ext_sample *s)
{
	u64 limit, pages;

	tier_stat_inc(hint_faults);
	if (tier_node_is_fast(s->nid) || bpf_tier_node_tier(s->nid) == 0) {
		tier_stat_inc(fast_faults);
		return false;
	}
	if (s->weight >= threshold_us)
		return false;
	tier_stat_inc(candidates);
	__sync_fetch_and_add(&adjust_candidates, 1);

	/* promote_rate_limit_mbps, in pages per one-second window */
	limit = (u64)promote_rate_limit_mbps << 8;
	if (s->time_ns - window_start_ns > 1000000000ULL) {
		window_start_ns = s->time_ns;
		window_pages = 0;
	}
	pages = __sync_fetch_and_add(&window_pages, 1);
	if (pages >= limit) {
		tier_stat_inc(ratelimited);
		return false;
	}
	tier_stat_inc(promote);
	return true;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(tpp_init)
{
	if (!tier_nodes_init()) {
		bpf_tier_error("tpp needs a fast and a slow memory tier");
		return -19;	/* -ENODEV */
	}
	threshold_us = (u64)hot_threshold_ms * 1000;
	tier_stat_add(threshold_ms, hot_threshold_ms);
	adjust_start_ns = window_start_ns = bpf_ktime_get_ns();
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(tpp_target_add, s32 pid)
{
	struct target *tg = tier_target_slot_get(&targets, MAX_TARGETS);

	if (!tg) {
		tier_stat_inc(targets_refused);
		return;
	}
	if (tier_target_areas(pid, &tg->areas[0], &tg->areas[1]))
		return;
	tg->pid = pid;
	tg->area = 0;
	tg->cursor = tg->areas[0].start;
}

void BPF_STRUCT_OPS_SLEEPABLE(tpp_target_remove, s32 pid)
{
	tier_target_slot_free(&targets, MAX_TARGETS, pid);
}

/*
 * Upstream's numa_promotion_adjust_threshold(): more candidates than the
 * rate limit allows lower the threshold, fewer raise it, in 16 steps
 * between zero and twice the configured threshold.
 */
static void adjust_threshold(u64 now)
{
	u64 period_ns = (u64)adjust_ms * 1000000;
	u64 ref = (u64)hot_threshold_ms * 1000, unit = ref * 2 / 16;
	u64 limit, cand, th = threshold_us;

	if (now - adjust_start_ns < period_ns)
		return;
	limit = ((u64)promote_rate_limit_mbps << 8) * adjust_ms / 1000;
	cand = adjust_candidates;
	adjust_candidates = 0;
	adjust_start_ns = now;
	if (cand > limit * 11 / 10)
		th = th > unit * 2 ? th - unit : unit;
	else if (cand < limit * 9 / 10)
		th = th + unit < ref * 2 ? th + unit : ref * 2;
	tier_stat_add(threshold_ms, (s64)(th / 1000) - (s64)(threshold_us / 1000));
	threshold_us = th;
}

struct age_ctx {
	u32 slot;
	u64 demote;		/* pages still to demote */
	/* the least accessed chunk with fast pages this tick (pid 0: none) */
	s32 warm_pid;
	u64 warm_start;
	u64 warm_density;	/* young pages per 1024 resident */
	u64 warm_fast;
};

/* Age one chunk; demote it if it is cold and demotion is due. */
static long age_step(u64 k, void *data)
{
	struct age_ctx *c = data;
	struct tier_ext_range_scan scan;
	struct tier_ext_migrate_args args = {};
	struct tier_area *a;
	struct target *tg;
	u64 start, fast;
	s32 pid;

	tg = bpf_map_lookup_elem(&targets, &c->slot);
	if (!tg || !tg->pid)
		return 1;
	a = &tg->areas[tg->area & 1];
	if (tg->cursor < a->start || tg->cursor >= a->end) {
		/* next area; an empty one is skipped on the next step */
		tg->area ^= 1;
		a = &tg->areas[tg->area & 1];
		tg->cursor = a->start;
		return 0;
	}
	start = tg->cursor;
	tg->cursor += CHUNK;
	pid = tg->pid;
	/* movable pages only: a library's pages would be refused */
	if (bpf_tier_range_scan(pid, start, start + CHUNK, &scan,
				TIER_SCAN_CLEAR_YOUNG | TIER_SCAN_MOVABLE) <= 0)
		return 0;
	tier_stat_inc(chunks_aged);
	fast = tier_scan_fast_pages(&scan);
	if (!fast)
		return 0;
	if (scan.young) {
		u64 density = scan.young * 1024 / (scan.present ?: 1);

		/*
		 * The LRU's order by chunk: when memory is touched now and
		 * then, no chunk stays idle for a whole aging period, and
		 * the least accessed one is what reclaim would take.
		 */
		if (c->demote && (!c->warm_pid || density < c->warm_density)) {
			c->warm_pid = pid;
			c->warm_start = start;
			c->warm_density = density;
			c->warm_fast = fast;
		}
		return 0;
	}
	tier_stat_inc(chunks_cold);
	if (!c->demote)
		return 0;
	args.start = start;
	args.end = start + CHUNK;
	args.nid = tier_demotion_node(fast_nid);
	args.max_pages = fast < c->demote ? fast : c->demote;
	if (bpf_tier_migrate(pid, &args) > 0) {
		tier_stat_inc(demote_reqs);
		c->demote -= args.max_pages;
	}
	return 0;
}

/* Age target @k's next chunks (a loop, not unrolled: verified once). */
static long target_step(u64 k, void *data)
{
	struct age_ctx *c = data;

	c->slot = k;
	bpf_loop(age_chunks, age_step, c, 0);
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(tpp_tick)
{
	struct age_ctx c = {};
	u64 cap, room, keep;
	s32 nid;

	adjust_threshold(bpf_ktime_get_ns());
	c.demote = 0;
	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		/* per fast node, as each node's kswapd demotes upstream */
		if (!tier_node_is_fast(nid))
			continue;
		cap = bpf_tier_node_capacity(nid);
		room = bpf_tier_node_room(nid);
		keep = cap * demote_scale_factor / 10000;
		c.demote += room < keep ? keep - room : 0;
	}
	bpf_loop(MAX_TARGETS, target_step, &c, 0);
	/* room is still short and no chunk was idle: the least accessed */
	if (c.demote && c.warm_pid) {
		struct tier_ext_migrate_args args = {
			.start = c.warm_start,
			.end = c.warm_start + CHUNK,
			.nid = tier_demotion_node(fast_nid),
			.max_pages = c.warm_fast < c.demote ? c.warm_fast : c.demote,
		};

		if (bpf_tier_migrate(c.warm_pid, &args) > 0) {
			tier_stat_inc(demote_reqs);
			tier_stat_inc(demote_warm);
		}
	}
}

void BPF_STRUCT_OPS(tpp_migrate_done, u64 id, s32 pid, u32 moved, u32 failed)
{
	tier_stat_migrate_done(moved, failed);
}

#endif /* __TIER_EXT_TPP_CORE_BPF_H */
