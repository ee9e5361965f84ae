// SPDX-License-Identifier: GPL-2.0
/*
 * demeter: Demeter's range-based hotness policy (SOSP'25), as BPF.
 *
 * Each target's heap and mmap areas are covered by ranges of virtual
 * address space (range_tree.bpf.h). Every epoch one walk per range
 * (bpf_tier_range_scan_blocks()) gives, per 2 MiB block, the pages
 * accessed since the previous walk and where the resident pages are. A
 * range is split where the access density along it changes by 4x or more
 * (the paper's split by density: a hot set inside a large range is cut
 * out in one epoch), adjacent ranges of the same density level merge back,
 * and each range keeps a decayed count of its accesses.
 *
 * Planning is guest-wide: every target's ranges are ranked by accesses per
 * 2 MiB against one capacity, the usable fast tier at fast_pct. The
 * hottest ranges that fit form the hot set. Their slow pages are promoted
 * hottest first; room is made first by demoting the coldest ranges with
 * fast pages, whichever process owns them, but only where the promoted
 * range is clearly hotter (split_margin times) than the one demoted. Both
 * directions share one budget of pages per epoch.
 *
 * Accesses come from accessed bits (each walk clears what it saw and
 * flushes the TLB; the first walk of a process only clears, since a bit
 * may date from the page's first touch) and from samples (perf, hint
 * faults, injection), counted per 2 MiB block in a hash map and read by
 * the same walk: the planning does not care which source fed it. Only
 * pages a migration could move are counted (TIER_SCAN_MOVABLE): memory
 * shared since fork, or a library's text, is neither planned nor asked for.
 *
 * Every epoch it also publishes, with bpf_tier_node_set_demand(), the fast
 * tier its warm ranges (any access within the decay horizon, demand_freq)
 * would fill at fast_pct; a per-node balloon reports it to the host, which
 * may grow the tier (tierhost daemon).
 *
 * A range with less than one access per 2 MiB for two walks is walked
 * only every cold_scan_epochs epochs: cold memory, most of it, costs a
 * fraction of the scanning.
 *
 * An accessed bit says "at least one access": over a whole epoch, memory
 * touched now and then (gups' uniform tenth, a sweep, a tree's inner
 * levels) has nearly every page young, as dense as the hot set, and
 * nothing can be ranked. When most resident pages are in blocks seen
 * accessed and more than a quarter of those blocks' pages are young, the
 * window shrinks: a walk that only clears the bits runs window_ns before
 * the epoch's walk (halving down to min_window_ms; it doubles back while
 * young pages are under a sixteenth, or young blocks under a quarter of
 * the memory), and the counts are scaled to the epoch, so ranges and
 * decayed counts keep one unit. A hot set in idle memory needs no
 * shorter window and pays no second walk. Demeter's PEBS samples (paper section 3.3) are proportional to
 * accesses and do not saturate; this is the accessed-bit stand-in.
 *
 * Limits: RT_MAX_TREES (64) processes are tracked (a process beyond them is
 * counted in targets_refused and left where it is), RT_MAX_RANGES ranges
 * each. Differences from the paper and its artifact: demeter.md section 9.
 */
#define RT_MAX_TREES	64
#define RT_MAX_RANGES	1024
#include <tier_ext/common.bpf.h>
#include "range_tree.bpf.h"
#include <tier_ext/target_areas.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("Demeter: range-based hotness, guest-wide hot set, split by density (SOSP'25)");

enum { SRC_AUTO, SRC_ABIT, SRC_SAMPLES };

TIER_PARAM(u32, source, SRC_AUTO, 0, 2,
	   "0 accessed bits and samples, 1 accessed bits, 2 samples only");
TIER_PARAM(u32, numa_scan_ms, 0, 0, 60000,
	   "arm hint faults on slow pages this often (0: off); a fault is a sample");
TIER_PARAM(u32, epoch_ms, 500, 50, 60000, "epoch: scan, split, merge, relocate");
TIER_PARAM(u32, split_margin, 2, 1, 1000,
	   "a promotion must be this many times hotter than what it demotes");
TIER_PARAM(u32, max_ranges, RT_MAX_RANGES, 2, RT_MAX_RANGES, "ranges per process");
TIER_PARAM(u32, cool_epochs, 1, 0, 1000, "epochs a new range waits before it moves");
TIER_PARAM(u32, merge_epochs, 3, 0, 1000, "epochs neighbours wait before merging");
TIER_PARAM(u32, cold_scan_epochs, 8, 1, 1000,
	   "a cold range (< 1 access per 2 MiB) is walked every this many epochs");
TIER_PARAM(u32, fast_pct, 90, 1, 100, "share of the fast tier the hot set may fill");
TIER_PARAM(u32, demote_wmark_pct, 2, 0, 50,
	   "demote coldest when fast free falls below (0: never, as the paper)");
TIER_PARAM(u32, max_pages_epoch, 16384, 0, 1048576, "pages moved per epoch (0: none)");
TIER_PARAM(u32, demand_freq, 1, 1, 1000000,
	   "ranges this hot (accesses per 2 MiB) are the demand told to the host");
TIER_PARAM(u32, min_window_ms, 50, 0, 60000,
	   "shortest accessed-bit window when bits saturate (0: the epoch)");

struct demeter_stats {
	u64 targets;		/* gauge: processes with a range tree */
	u64 targets_refused;	/* processes beyond MAX_TREES, not managed */
	u64 ranges;		/* gauge, kept by deltas */
	u64 hot_bytes;		/* gauge, kept by deltas */
	u64 epochs;
	u64 splits;
	u64 merges;
	u64 samples_used;
	u64 samples_discarded;	/* the block map was full */
	u64 scans;		/* range walks */
	u64 blocks_young;	/* 2 MiB blocks seen accessed */
	u64 promote_reqs;
	u64 demote_reqs;
	u64 pages_moved;
	u64 pages_failed;
	u64 capacity_events;	/* the fast tier was resized */
	u64 capacity_demotions;	/* epochs that demoted to fit a shrunk fast tier */
	u64 epochs_waiting;	/* epochs that left requests in flight alone */
	u64 window_ms;		/* gauge: accessed-bit window */
	u64 clear_walks;	/* range walks that only cleared accessed bits */
};
TIER_STATS(struct demeter_stats)

#define BLOCK_SHIFT	21		/* TIER_EXT_BLOCK_SHIFT: 2 MiB */
#define BLOCK		(1ULL << BLOCK_SHIFT)
#define SCAN_CHUNK	512		/* blocks per walk: 1 GiB */
#define MAX_SEGS	64		/* split points per range per epoch */
#define MAX_REQS	32		/* migration requests per epoch */
#define MAX_PICKS	64		/* ranges ranked per epoch */
#define SAMPLE_BLOCKS	65536		/* blocks with samples in one epoch */
#define IDLE_WALKS	2		/* walks without accesses: a cold range */

/* Samples per (process, 2 MiB block) since the last walk. */
struct blk_key {
	s32 pid;
	u32 pad;
	u64 block;		/* vaddr >> BLOCK_SHIFT */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SAMPLE_BLOCKS);
	__type(key, struct blk_key);
	__type(value, u64);
} blk_samples SEC(".maps");

/* One walk's blocks and the segments found along the range. */
struct scan_buf {
	struct tier_ext_block b[SCAN_CHUNK];
	u64 seg_end[MAX_SEGS];
	u64 seg_young[MAX_SEGS];
	u64 seg_fast[MAX_SEGS];
	u64 seg_slow[MAX_SEGS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scan_buf);
} scan_buf SEC(".maps");

u32 epoch_no;
u64 last_epoch_ns;
u64 hot_bytes_now;
u64 hot_thresh;			/* accesses per 2 MiB of the hot set's coldest */
u64 samples_pending;		/* samples since the last epoch */
s64 inflight;			/* migration requests not done yet */
bool primed[RT_MAX_TREES];	/* the tree's accessed bits were cleared once */
u64 warm_pages[RT_MAX_TREES];	/* resident pages of ranges at demand_freq */
u64 window_ns;			/* accessed-bit window (0: the epoch) */
u64 cleared_ns;			/* the clear walk of this epoch (0: none) */
u64 bits_young;			/* this epoch: young pages, */
u64 bits_present;		/* resident pages of blocks with any, */
u64 bits_resident;		/* and of all ranges, walked or not */

/* Accesses per 2 MiB (decayed): the ranking key. */
static __always_inline u64 freq(struct rt_range *r)
{
	u64 size = rt_size(r);

	return size ? r->nr_access * BLOCK / size : 0;
}

/* Density level of @y accesses per 2 MiB: a step is 4x. */
static __always_inline u32 level(u64 y)
{
	return tier_ilog2(y + 1) / 2;
}

/* Blocks and ranges without movable resident pages: a level of their own. */
#define LEVEL_EMPTY	31

static __always_inline u32 range_level(struct rt_range *r)
{
	return r->fast + r->slow ? level(freq(r) / 2) : LEVEL_EMPTY;
}

/* ------------------------------------------------------------------ */
/* Targets: two initial ranges, heap and mmap area (demeter.md 3.2)    */

s32 BPF_STRUCT_OPS_SLEEPABLE(demeter_init)
{
	if (!tier_nodes_init()) {
		bpf_tier_error("demeter needs a fast and a slow memory tier");
		return -19;	/* -ENODEV */
	}
	last_epoch_ns = bpf_ktime_get_ns();
	tier_stat_add(window_ms, epoch_ms);
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(demeter_target_add, s32 pid)
{
	struct tier_area heap, mmap;
	struct rt_tree *tr;
	s32 t, last;

	if (rt_find_tree(pid) >= 0)
		return;
	if (tier_target_areas(pid, &heap, &mmap))
		return;		/* no address space: a kernel thread */
	t = rt_tree_create(pid);
	if (t < 0) {
		tier_stat_inc(targets_refused);
		return;
	}
	if (t < RT_MAX_TREES) {
		primed[t] = false;
		warm_pages[t] = 0;
	}
	/* areas are 1 GiB aligned: every range starts on a block */
	if (heap.start < heap.end)
		rt_insert(t, RT_NONE, heap.start, heap.end, 0, epoch_no);
	tr = rt_tree(t);
	last = tr ? tr->head : RT_NONE;
	rt_insert(t, last, mmap.start, mmap.end, 0, epoch_no);
	tr = rt_tree(t);
	if (tr)
		tier_stat_add(ranges, tr->nr);
	tier_stat_inc(targets);
}

void BPF_STRUCT_OPS_SLEEPABLE(demeter_target_remove, s32 pid)
{
	s32 t = rt_find_tree(pid);
	struct rt_tree *tr;

	if (t < 0)
		return;
	tr = rt_tree(t);
	if (tr)
		tier_stat_add(ranges, -(s64)tr->nr);
	tier_stat_add(targets, -1);
	if (t < RT_MAX_TREES)
		warm_pages[t] = 0;
	rt_tree_destroy(t);
}

/* ------------------------------------------------------------------ */
/* Samples from perf, hint faults or injection: counted per block       */

void BPF_STRUCT_OPS(demeter_sample, struct tier_ext_sample *s)
{
	struct blk_key key = { .pid = s->pid, .block = s->vaddr >> BLOCK_SHIFT };
	u64 one = 1, *v;

	if (source == SRC_ABIT) {
		tier_stat_inc(samples_discarded);
		return;
	}
	v = bpf_map_lookup_elem(&blk_samples, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
	} else if (bpf_map_update_elem(&blk_samples, &key, &one, BPF_NOEXIST)) {
		/* another CPU inserted it meanwhile */
		v = bpf_map_lookup_elem(&blk_samples, &key);
		if (!v) {
			tier_stat_inc(samples_discarded);
			return;
		}
		__sync_fetch_and_add(v, 1);
	}
	__sync_fetch_and_add(&samples_pending, 1);
	tier_stat_inc(samples_used);
}

/* ------------------------------------------------------------------ */
/* Epoch, per process: walk, split by density, merge (demeter.md 3.3)   */

/* Passed to global functions: no pointers (they would lose their type). */
struct seg_ctx {
	s32 pid;
	u64 start;		/* of buf->b[0] */
	u32 n;			/* blocks in buf */
	u32 nseg;		/* segments closed so far */
	u32 max_segs;		/* may close this many (range budget) */
	u32 cur_level;
	bool first;		/* no block of the range seen yet */
	bool split;		/* may split */
	bool counts;		/* the window's accessed bits count */
	bool samples;		/* samples came this epoch */
	u64 young;		/* accesses of the open segment */
	u64 fast;
	u64 slow;
	u64 blocks_young;
	u32 scale;		/* young pages x scale / 256: per epoch */
};

static long block_step(u64 k, void *data)
{
	struct seg_ctx *c = data;
	struct tier_ext_block *b;
	struct scan_buf *buf;
	u64 y = 0, addr, *v, fast;
	struct blk_key key;
	u32 i = k, l, zero = 0, s;

	buf = bpf_map_lookup_elem(&scan_buf, &zero);
	if (!buf || i >= c->n || i >= SCAN_CHUNK)
		return 1;
	b = &buf->b[i];
	addr = c->start + ((u64)i << BLOCK_SHIFT);
	if (c->counts) {
		/* globals, not the context: the stack is near its limit */
		bits_young += b->young;
		bits_present += b->young ? b->present : 0;
		y = ((u64)b->young * c->scale) >> 8;
	}
	if (c->samples && b->present) {
		key.pid = c->pid;
		key.pad = 0;
		key.block = addr >> BLOCK_SHIFT;
		v = bpf_map_lookup_elem(&blk_samples, &key);
		if (v) {
			y += *v;
			bpf_map_delete_elem(&blk_samples, &key);
		}
	}
	c->blocks_young += y ? 1 : 0;
	l = b->present ? level(y) : LEVEL_EMPTY;
	if (c->first) {
		c->cur_level = l;
		c->first = false;
	} else if (l != c->cur_level && c->nseg < c->max_segs) {
		/* density or presence changes here: close the open segment */
		s = c->nseg & (MAX_SEGS - 1);
		buf->seg_end[s] = addr;
		buf->seg_young[s] = c->young;
		buf->seg_fast[s] = c->fast;
		buf->seg_slow[s] = c->slow;
		c->nseg++;
		c->young = 0;
		c->fast = 0;
		c->slow = 0;
		c->cur_level = l;
	}
	c->young += y;
	fast = (tier_fast_mask & 1) * b->pages[0] +
	       (tier_fast_mask >> 1 & 1) * b->pages[1] +
	       (tier_fast_mask >> 2 & 1) * b->pages[2] +
	       (tier_fast_mask >> 3 & 1) * b->pages[3];
	c->fast += fast;
	c->slow += b->pages[0] + b->pages[1] + b->pages[2] + b->pages[3] - fast;
	return 0;
}

/*
 * Walk @nr blocks from @start of @pid and feed them to block_step(); a
 * global function, verified once. Returns the blocks walked or -errno.
 */
__noinline int scan_chunk(struct seg_ctx *c, u64 start, u32 nr, u32 flags)
{
	struct scan_buf *buf;
	struct seg_ctx lc;	/* bpf_loop() takes the stack only */
	u32 zero = 0;
	s64 n;

	buf = bpf_map_lookup_elem(&scan_buf, &zero);
	barrier_var(nr);	/* bound the value the kfunc gets */
	if (!c || !buf || nr < 1 || nr > SCAN_CHUNK)
		return -22;
	n = bpf_tier_range_scan_blocks(c->pid, start, buf->b,
				       nr * sizeof(buf->b[0]), flags);
	if (n <= 0)
		return n;
	lc = *c;
	lc.start = start;
	lc.n = n;
	bpf_loop(SCAN_CHUNK, block_step, &lc, 0);
	*c = lc;
	return n;
}

struct walk_ctx {
	u32 t;
	s32 cur;
	s32 pid;
	u32 splits;
	u32 merges;
	u64 scans;
	u64 blocks_young;
	u32 flags;
	u32 scale;
	bool counts;
	bool samples;
};

/* Set range @i from a segment: its accesses and residency this window. */
static __always_inline void seg_apply(u32 t, s32 i, u64 young, u64 fast,
				      u64 slow, bool fresh, bool counts)
{
	struct rt_range *r = rt_get(t, i);

	if (!r)
		return;
	/* a fresh piece starts at its steady state; others decay by half */
	if (fresh)
		r->nr_access = 2 * young;
	else if (counts)
		r->nr_access = r->nr_access / 2 + young;
	/*
	 * walks in a row that found less than one access per 2 MiB
	 * (rt_range.mark): the range is cold
	 */
	if (fresh || young * BLOCK >= rt_size(r))
		r->mark = 0;
	else if (counts && r->mark < 1000000)
		r->mark++;
	r->fast = fast;
	r->slow = slow;
}

static long split_apply_step(u64 k, void *data)
{
	struct walk_ctx *w = data;
	struct scan_buf *buf;
	u32 zero = 0, s = k;
	s32 right;

	buf = bpf_map_lookup_elem(&scan_buf, &zero);
	if (!buf || s >= MAX_SEGS)
		return 1;
	right = rt_split(w->t, w->cur, buf->seg_end[s], epoch_no);
	if (right == RT_NONE)
		return 1;
	seg_apply(w->t, w->cur, buf->seg_young[s], buf->seg_fast[s],
		  buf->seg_slow[s], true, true);
	w->splits++;
	w->cur = right;
	return 0;
}

struct chunk_ctx {
	struct seg_ctx *c;
	u64 cs;			/* next chunk's start */
	u64 end;
	u32 flags;
	u32 scans;
};

static long chunk_step(u64 k, void *data)
{
	struct chunk_ctx *cc = data;
	u64 nr;

	if (cc->cs >= cc->end)
		return 1;
	/* ranges start and end on blocks */
	nr = (cc->end - cc->cs) >> BLOCK_SHIFT;
	if (nr > SCAN_CHUNK)
		nr = SCAN_CHUNK;
	cc->scans++;
	if (scan_chunk(cc->c, cc->cs, nr, cc->flags) <= 0)
		return 1;
	cc->cs += nr << BLOCK_SHIFT;
	return 0;
}

/*
 * Walk range @w->cur, apply its counts, split it at its edges; a global
 * function, verified once.
 */
__noinline int scan_range(struct walk_ctx *w)
{
	struct chunk_ctx cc = {};
	struct seg_ctx c = {};
	struct rt_range *r;
	struct rt_tree *tr;
	u32 nseg;

	if (!w)
		return 0;
	r = rt_get(w->t, w->cur);
	tr = rt_tree(w->t);
	if (!r || !tr)
		return 0;
	/* an empty range is walked whole first: one walk, no blocks */
	if (!r->fast && !r->slow) {
		struct tier_ext_range_scan scan;

		w->scans++;
		if (bpf_tier_range_scan(w->pid, r->start, r->end, &scan,
					TIER_SCAN_MOVABLE) <= 0) {
			r = rt_get(w->t, w->cur);
			if (r && w->counts && r->mark < 1000000)
				r->mark++;	/* still empty: idle */
			return 0;
		}
	}
	c.pid = w->pid;
	c.first = true;
	c.counts = w->counts && source != SRC_SAMPLES;
	c.samples = w->samples;
	c.scale = w->scale;
	c.max_segs = 0;
	if (rt_size(r) > BLOCK && tr->nr < max_ranges)
		c.max_segs = max_ranges - tr->nr;
	if (c.max_segs > MAX_SEGS - 1)
		c.max_segs = MAX_SEGS - 1;
	cc.c = &c;
	cc.cs = r->start;
	cc.end = r->end;
	cc.flags = w->flags;
	/* up to 64 GiB of address space per range and epoch */
	bpf_loop(64, chunk_step, &cc, 0);
	w->scans += cc.scans;
	w->blocks_young += c.blocks_young;
	nseg = c.nseg;
	if (nseg) {
		struct walk_ctx lw = *w;	/* bpf_loop() takes the stack only */

		/* pieces left of each edge, then the last piece */
		bpf_loop(nseg, split_apply_step, &lw, 0);
		w->splits = lw.splits;
		seg_apply(w->t, lw.cur, c.young, c.fast, c.slow, true, true);
	} else {
		seg_apply(w->t, w->cur, c.young, c.fast, c.slow, false,
			  w->counts);
	}
	return 0;
}

/*
 * Whether range @i is walked in epoch @epoch. A cold range (less than one
 * access per 2 MiB in its last IDLE_WALKS walks and in its decayed count)
 * is walked every cold_scan_epochs epochs, staggered by its index: cold
 * memory, most of it, costs a fraction of the scans; a range that heats
 * up is seen late by at most that many epochs.
 */
static __always_inline bool walked_in(struct rt_range *r, s32 i, u32 epoch)
{
	return freq(r) || r->mark < IDLE_WALKS ||
	       (epoch + i) % cold_scan_epochs == 0;
}

static long scan_step(u64 k, void *data)
{
	struct walk_ctx *w = data;
	struct rt_range *r = rt_get(w->t, w->cur);
	s32 next;

	if (!r)
		return 1;
	next = r->next;
	/* as of the last walk: cold ranges skipped now count too */
	bits_resident += r->fast + r->slow;
	if (walked_in(r, w->cur, epoch_no))
		scan_range(w);
	w->cur = next;
	return 0;
}

/* Clear the accessed bits of the ranges the next epoch walks. */
static long clear_step(u64 k, void *data)
{
	struct walk_ctx *w = data;
	struct tier_ext_range_scan scan;
	struct rt_range *r = rt_get(w->t, w->cur);
	s32 i = w->cur;

	if (!r)
		return 1;
	w->cur = r->next;
	if (walked_in(r, i, epoch_no + 1)) {
		bpf_tier_range_scan(w->pid, r->start, r->end, &scan,
				    TIER_SCAN_MOVABLE | TIER_SCAN_CLEAR_YOUNG);
		w->scans++;
	}
	return 0;
}

/*
 * The walk that opens a short accessed-bit window; a global function,
 * verified once. The next epoch's walk counts what it finds per epoch.
 */
__noinline int clear_walk(void)
{
	struct walk_ctx wc = {};
	struct rt_tree *tr;
	u32 t;

	for (t = 0; t < RT_MAX_TREES; t++) {
		tr = rt_tree(t);
		if (!tr || !tr->pid)
			continue;
		wc.t = t;
		wc.pid = tr->pid;
		wc.cur = tr->head;
		bpf_loop(RT_MAX_RANGES, clear_step, &wc, 0);
		/* bits older than this walk are gone: the next walk counts */
		primed[t] = true;
	}
	tier_stat_add(clear_walks, wc.scans);
	return 0;
}

static long merge_step(u64 k, void *data)
{
	struct walk_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur), *n;

	if (!r)
		return 1;
	n = rt_get(c->t, r->next);
	/* same density level (by the decayed counts): one range again */
	if (n && n->start == r->end && range_level(r) == range_level(n) &&
	    epoch_no - r->epoch >= merge_epochs &&
	    epoch_no - n->epoch >= merge_epochs) {
		/* keep the merged range's age: it is not a fresh split */
		u32 age = r->epoch < n->epoch ? r->epoch : n->epoch;

		if (rt_merge_next(c->t, c->cur, age)) {
			c->merges++;
			return 0;	/* try the new neighbour too */
		}
	}
	c->cur = r->next;
	return 0;
}

struct count_ctx {
	u32 t;
	s32 cur;
	u64 thresh;
	u64 pages;
	u64 max_freq;
};

/* Resident pages of tree @t's ranges at @thresh accesses per 2 MiB or more. */
static long count_step(u64 k, void *data)
{
	struct count_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);

	if (!r)
		return 1;
	if (r->nr_access && freq(r) >= c->thresh)
		c->pages += r->fast + r->slow;
	if (freq(r) > c->max_freq)
		c->max_freq = freq(r);
	c->cur = r->next;
	return 0;
}

/*
 * One epoch's walk of tree @t; a global function, verified once. Returns
 * the tree's highest frequency.
 */
__noinline u64 epoch_scan(u32 t, u32 scale)
{
	struct rt_tree *tr = rt_tree(t);
	struct walk_ctx wc = { .t = t };
	struct count_ctx cc = { .t = t };

	if (!tr || !tr->pid || t >= RT_MAX_TREES)
		return 0;
	wc.pid = tr->pid;
	/* the first walk of a process only clears bits of unknown age */
	wc.counts = source == SRC_SAMPLES || primed[t];
	wc.samples = source != SRC_ABIT && samples_pending;
	wc.scale = scale;
	wc.flags = TIER_SCAN_MOVABLE;
	if (source != SRC_SAMPLES)
		wc.flags |= TIER_SCAN_CLEAR_YOUNG;
	wc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, scan_step, &wc, 0);
	primed[t] = true;
	tr = rt_tree(t);
	if (!tr)
		return 0;
	wc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES * 2, merge_step, &wc, 0);
	tier_stat_add(splits, wc.splits);
	tier_stat_add(merges, wc.merges);
	tier_stat_add(ranges, (s64)wc.splits - (s64)wc.merges);
	tier_stat_add(scans, wc.scans);
	tier_stat_add(blocks_young, wc.blocks_young);

	/* what this target would use of the fast tier: its warm ranges */
	cc.thresh = demand_freq;
	cc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, count_step, &cc, 0);
	warm_pages[t] = cc.pages;
	return cc.max_freq;
}

/* ------------------------------------------------------------------ */
/* Guest-wide planning (demeter.md 3.4-3.6)                             */

/* Pages of every tree's ranges at @thresh or hotter. */
__noinline u64 hot_pages(u64 thresh)
{
	struct count_ctx cc = { .thresh = thresh };
	struct rt_tree *tr;
	u32 t;

	for (t = 0; t < RT_MAX_TREES; t++) {
		tr = rt_tree(t);
		if (!tr || !tr->pid)
			continue;
		cc.t = t;
		cc.cur = tr->head;
		bpf_loop(RT_MAX_RANGES, count_step, &cc, 0);
	}
	return cc.pages;
}

struct search_ctx {
	u64 lo, hi, cap;
};

/* One step of the search for the lowest threshold whose ranges fit. */
static long search_step(u64 k, void *data)
{
	struct search_ctx *c = data;
	u64 mid;

	if (c->lo >= c->hi)
		return 1;
	mid = c->lo + (c->hi - c->lo) / 2;
	if (hot_pages(mid) <= c->cap)
		c->hi = mid;
	else
		c->lo = mid + 1;
	return 0;
}

/*
 * The extreme range (hottest with slow pages, or coldest with fast pages)
 * over all trees, among those not yet picked this epoch.
 */
struct pick_ctx {
	u32 t;
	s32 cur;
	bool hottest;
	u64 best_freq;
	s32 best_t;
	s32 best_i;
};

static long pick_step(u64 k, void *data)
{
	struct pick_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);
	s32 i = c->cur;
	u64 f;

	if (!r)
		return 1;
	c->cur = r->next;
	if (r->used != 1)
		return 0;	/* picked already */
	f = freq(r);
	if (c->hottest) {
		if (!r->slow || !r->nr_access || epoch_no - r->epoch < cool_epochs)
			return 0;
		if (c->best_t >= 0 && f <= c->best_freq)
			return 0;
	} else {
		if (!r->fast)
			return 0;
		if (c->best_t >= 0 && f >= c->best_freq)
			return 0;
	}
	c->best_freq = f;
	c->best_t = c->t;
	c->best_i = i;
	return 0;
}

/* Ranges picked this epoch, to unmark after planning. */
#define MAX_PICKED	256		/* > MAX_PICKS + 2 * MAX_REQS, a power of 2 */
s32 picked_t[MAX_PICKED], picked_i[MAX_PICKED];
u32 nr_picked;

__noinline int pick(bool hottest, s32 *best_t, s32 *best_i, u64 *best_freq)
{
	struct pick_ctx c = { .hottest = hottest, .best_t = -1 };
	struct rt_tree *tr;
	struct rt_range *r;
	u32 t;

	if (!best_t || !best_i || !best_freq || nr_picked >= MAX_PICKED)
		return 0;
	for (t = 0; t < RT_MAX_TREES; t++) {
		tr = rt_tree(t);
		if (!tr || !tr->pid)
			continue;
		c.t = t;
		c.cur = tr->head;
		bpf_loop(RT_MAX_RANGES, pick_step, &c, 0);
	}
	if (c.best_t < 0)
		return 0;
	r = rt_get(c.best_t, c.best_i);
	if (!r)
		return 0;
	r->used = 2;	/* picked; restored after planning */
	picked_t[nr_picked & (MAX_PICKED - 1)] = c.best_t;
	picked_i[nr_picked & (MAX_PICKED - 1)] = c.best_i;
	nr_picked++;
	*best_t = c.best_t;
	*best_i = c.best_i;
	*best_freq = c.best_freq;
	return 1;
}

static long unpick_step(u64 k, void *data)
{
	struct rt_range *r;
	u32 j = k;

	if (j >= nr_picked || j >= MAX_PICKED)
		return 1;
	r = rt_get(picked_t[j], picked_i[j]);
	if (r && r->used == 2)
		r->used = 1;
	return 0;
}

struct plan {
	u64 budget;		/* pages left to move this epoch */
	u64 room;		/* fast pages free for promotions */
	u64 cap_left;		/* hot-set capacity not yet used */
	u32 reqs;
	/* the victim being demoted */
	s32 vt, vi;
	u64 vfreq;
	u64 vleft;		/* its fast pages not yet asked for */
	bool victims_done;
	/* per fast node: its room less what this epoch promotes there */
	u64 node_room[TIER_EXT_SCAN_NODES];
};

/* The fast node with the most room left in plan @p (promotions spread). */
static __always_inline s32 promotion_node(struct plan *p)
{
	s32 nid, best = fast_nid;
	u64 most = 0;

	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		if (tier_node_is_fast(nid) && p->node_room[nid] > most) {
			most = p->node_room[nid];
			best = nid;
		}
	}
	return best;
}

static __always_inline s64 request(u32 t, s32 i, s32 nid, u64 pages)
{
	struct tier_ext_migrate_args a = {};
	struct rt_range *r = rt_get(t, i);
	struct rt_tree *tr = rt_tree(t);
	s64 id;

	if (!r || !tr || !tr->pid || !pages)
		return -1;
	a.start = r->start;
	a.end = r->end;
	a.nid = nid;
	a.max_pages = pages;
	id = bpf_tier_migrate(tr->pid, &a);
	if (id > 0)
		__sync_fetch_and_add(&inflight, 1);
	return id;
}

/* Demote one victim's share: colder than @hot, or any if @hot is 0. */
struct room_ctx {
	struct plan *p;
	u64 want;		/* room wanted in all */
	u64 hot;		/* frequency of what the room is for (0: any) */
};

static long room_step(u64 k, void *data)
{
	struct room_ctx *c = data;
	struct plan *p = c->p;
	struct rt_range *v;
	u64 n;

	if (p->room >= c->want || !p->budget || p->reqs >= MAX_REQS)
		return 1;
	if (!p->vleft) {
		if (p->victims_done || !pick(false, &p->vt, &p->vi, &p->vfreq)) {
			p->victims_done = true;
			return 1;
		}
		v = rt_get(p->vt, p->vi);
		p->vleft = v ? v->fast : 0;
	}
	/* a clear gain only: no churn between ranges alike */
	if (c->hot && c->hot < split_margin * p->vfreq + 1)
		return 1;
	n = c->want - p->room;
	if (n > p->vleft)
		n = p->vleft;
	if (n > p->budget)
		n = p->budget;
	if (request(p->vt, p->vi, tier_demotion_node(fast_nid), n) > 0) {
		tier_stat_inc(demote_reqs);
		p->reqs++;
		p->room += n;
		p->budget -= n;
	}
	p->vleft -= n;
	return 0;
}

/* Make @want pages of room, demoting ranges colder than @hot (0: any). */
__noinline int make_room(struct plan *p, u64 want, u64 hot)
{
	struct room_ctx c = { .p = p, .want = want, .hot = hot };

	if (!p)
		return 0;
	bpf_loop(MAX_REQS, room_step, &c, 0);
	return 0;
}

/* Promote the hottest ranges' slow pages, hottest first. */
static long promote_step(u64 k, void *data)
{
	struct plan *p = data;
	struct rt_range *r;
	u64 f = 0, n;
	s32 t = 0, i = 0, dst;

	if (!p->budget || p->reqs >= MAX_REQS || !p->cap_left)
		return 1;
	if (!pick(true, &t, &i, &f) || f < hot_thresh)
		return 1;
	r = rt_get(t, i);
	if (!r)
		return 1;
	n = r->slow;
	if (n > p->budget)
		n = p->budget;
	if (n > p->cap_left)
		n = p->cap_left;
	make_room(p, n, f ?: 1);
	if (n > p->room)
		n = p->room;
	if (!n || p->reqs >= MAX_REQS)
		return 1;
	dst = promotion_node(p);
	if (request(t, i, dst, n) > 0) {
		if (dst >= 0 && dst < TIER_EXT_SCAN_NODES)
			p->node_room[dst] -= n < p->node_room[dst] ? n : p->node_room[dst];
		tier_stat_inc(promote_reqs);
		p->reqs++;
		p->budget -= n;
		p->room -= n;
		p->cap_left -= n;
	}
	return 0;
}

/* Rank every tree's ranges and queue this epoch's migrations. */
__noinline int plan_epoch(u64 max_freq)
{
	struct search_ctx sc = {};
	struct plan p = {};
	u64 fast_cap, fast_now, hot, free, wmark;
	s32 nid;

	/* hot set: the lowest threshold whose ranges fit the fast tier */
	fast_cap = tier_fast_sum(bpf_tier_node_usable);
	fast_now = tier_fast_sum(bpf_tier_node_capacity);
	sc.cap = fast_cap * fast_pct / 100;
	sc.lo = 1;
	sc.hi = max_freq + 1;
	bpf_loop(64, search_step, &sc, 0);
	/* even the hottest ranges do not fit: fill the tier with them */
	hot_thresh = sc.lo <= max_freq ? sc.lo : max_freq;
	hot = hot_thresh ? hot_pages(hot_thresh) : 0;
	tier_stat_add(hot_bytes, (s64)(hot * 4096) - (s64)hot_bytes_now);
	hot_bytes_now = hot * 4096;

	/*
	 * Plan from residency that is settled: while requests are queued,
	 * the slow pages they promote and the room they make are not in the
	 * counts yet, and planning again would move them twice.
	 */
	if (inflight > 0) {
		tier_stat_inc(epochs_waiting);
		return 0;
	}
	p.budget = max_pages_epoch;
	free = tier_fast_sum(bpf_tier_node_free);
	wmark = fast_cap * demote_wmark_pct / 100;
	p.room = 0;
	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		if (!tier_node_is_fast(nid))
			continue;
		p.node_room[nid] = bpf_tier_node_room(nid);
		p.room += p.node_room[nid];
	}
	p.cap_left = sc.cap;
	p.vt = -1;
	if (fast_now > fast_cap) {
		/* the balloon still needs this much of the fast tier */
		tier_stat_inc(capacity_demotions);
		make_room(&p, p.room + fast_now - fast_cap, 0);
	} else if (free < wmark) {
		make_room(&p, p.room + wmark - free, 0);
	}
	/*
	 * What was demoted to fit is not room, and promotions leave the
	 * watermark's reserve free: else each epoch would demote to the
	 * watermark and promote into it again.
	 */
	if (fast_now > fast_cap || free <= wmark)
		p.room = 0;
	else if (p.room > free - wmark)
		p.room = free - wmark;
	if (hot)
		bpf_loop(MAX_PICKS, promote_step, &p, 0);
	bpf_loop(MAX_PICKED, unpick_step, NULL, 0);
	nr_picked = 0;
	return 0;
}

/*
 * Tell the host how large a fast tier the warm ranges would need at
 * fast_pct (a per-node balloon reports it; the host may grow the tier).
 */
static void publish_demand(void)
{
	u64 pages = 0, usable, total;
	s32 nid;
	u32 t;

	if (fast_nid < 0)
		return;
	for (t = 0; t < RT_MAX_TREES; t++)
		pages += warm_pages[t];
	pages = pages * 100 / fast_pct;
	/* several fast nodes: each its share, by its usable size */
	total = tier_fast_sum(bpf_tier_node_usable);
	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		if (!tier_node_is_fast(nid))
			continue;
		usable = bpf_tier_node_usable(nid);
		bpf_tier_node_set_demand(nid, total ? pages * usable / total : pages);
	}
}

/*
 * Shorten the accessed-bit window while the bits saturate (most memory in
 * young blocks, more than a quarter of their pages young), lengthen it
 * back while they are sparse (under a sixteenth, or young blocks under a
 * quarter of the memory): 4x apart, so it does not swing.
 */
static void adapt_window(void)
{
	u64 epoch = (u64)epoch_ms * 1000000, min = (u64)min_window_ms * 1000000;
	u64 w = window_ns ?: epoch, old = window_ns;

	if (!bits_present || source == SRC_SAMPLES)
		return;
	if (min && min < epoch && bits_young * 4 > bits_present &&
	    bits_present * 2 > bits_resident)
		w = w / 2 > min ? w / 2 : min;
	else if (bits_young * 16 < bits_present ||
		 bits_present * 4 < bits_resident)
		w = w * 2 < epoch ? w * 2 : epoch;
	window_ns = w < epoch ? w : 0;
	tier_stat_add(window_ms, (s64)((window_ns ?: epoch) / 1000000) -
		      (s64)((old ?: epoch) / 1000000));
}

void BPF_STRUCT_OPS_SLEEPABLE(demeter_tick)
{
	u64 now = bpf_ktime_get_ns(), max_freq = 0, f, epoch, win;
	u32 t, scale = 256;

	epoch = (u64)epoch_ms * 1000000;
	if (now - last_epoch_ns < epoch) {
		/* open the window: clear the bits window_ns before the walk */
		if (window_ns && !cleared_ns &&
		    now - last_epoch_ns >= epoch - window_ns) {
			cleared_ns = now;
			clear_walk();
		}
		return;
	}
	/* counts per epoch: scaled by the window they were taken over */
	if (cleared_ns) {
		win = now - cleared_ns;
		scale = win > epoch / 256 ? epoch * 256 / win : 65536;
	}
	last_epoch_ns = now;
	cleared_ns = 0;
	epoch_no++;
	tier_stat_inc(epochs);
	bits_young = 0;
	bits_present = 0;
	bits_resident = 0;
	for (t = 0; t < RT_MAX_TREES; t++) {
		f = epoch_scan(t, scale);
		if (f > max_freq)
			max_freq = f;
	}
	adapt_window();
	samples_pending = 0;
	plan_epoch(max_freq);
	publish_demand();
}

/* The host resized the fast tier: re-plan at the next tick. */
void BPF_STRUCT_OPS(demeter_capacity_changed, s32 nid, u64 usable, u64 target)
{
	if (!tier_node_is_fast(nid))
		return;
	tier_stat_inc(capacity_events);
	last_epoch_ns = 0;
}

void BPF_STRUCT_OPS(demeter_migrate_done, u64 id, s32 pid, u32 moved, u32 failed)
{
	tier_stat_migrate_done(moved, failed);
	__sync_fetch_and_sub(&inflight, 1);
}

TIER_OPS_DEFINE(demeter_ops,
		.init = (void *)demeter_init,
		.sample = (void *)demeter_sample,
		.tick = (void *)demeter_tick,
		.target_add = (void *)demeter_target_add,
		.target_remove = (void *)demeter_target_remove,
		.migrate_done = (void *)demeter_migrate_done,
		.capacity_changed = (void *)demeter_capacity_changed,
		.tick_ms = 50,
		.name = "demeter");
