// SPDX-License-Identifier: GPL-2.0
/*
 * demeter: Demeter's range-based hotness policy (SOSP'25), as BPF.
 *
 * Each target's heap and mmap areas are covered by ranges of virtual
 * address space (range_tree.bpf.h). Every epoch the access counts are
 * halved, ranges clearly hotter than both neighbours are split and cold
 * neighbours are merged back, ranges are ranked by accesses per 2 MiB,
 * and the hottest ranges that fit in the fast tier form the hot set. Hot
 * pages on slow memory are exchanged with pages of the coldest ranges on
 * fast memory, within a per-epoch budget.
 *
 * Every epoch it also publishes, with bpf_tier_node_set_demand(), the fast
 * tier its warm ranges (any access within the decay horizon, demand_freq)
 * would fill at fast_pct; a per-node balloon reports it to the host, which
 * may grow the tier (tierhost daemon).
 *
 * Access information comes from samples (perf, hint faults, injection)
 * or, where there is no PMU, from accessed-bit probes of one random page
 * per range per tick, weighted by the range's size (DAMON-style).
 *
 * Differences from the artifact (demeter.md section 9): neighbours are
 * compared as in the paper (both), cold neighbours merge, planning runs
 * every epoch, fast/slow residency is recounted every epoch, unequal
 * exchange lists fall back to one-way migration (in the kernel), and the
 * hot-set boundary is found by a threshold search instead of a sort: the
 * ranges at the boundary (equally hot, not all fitting) join the hot set
 * in address order while they fit, and those left out split in the next
 * epoch whatever their neighbours, so that two equally hot halves of a
 * hot set that does not fit are still told apart.
 */
#include <tier_ext/common.bpf.h>
#include <tier_ext/range_tree.bpf.h>
#include <tier_ext/target_areas.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("Demeter: range-based hotness, balanced exchange (SOSP'25)");

enum { SRC_AUTO, SRC_ABIT, SRC_SAMPLES };

TIER_PARAM(u32, source, SRC_AUTO, 0, 2,
	   "0 auto (accessed bits), 1 accessed bits, 2 samples only");
TIER_PARAM(u32, epoch_ms, 500, 50, 60000, "epoch: decay, split, merge, relocate");
TIER_PARAM(u32, split_thresh, 15, 1, 1000000, "split threshold per vCPU");
TIER_PARAM(u32, split_margin, 2, 1, 1000, "must exceed neighbours by thresh x vCPUs x this");
TIER_PARAM(u32, granularity_kb, 2048, 4, 1048576, "smallest range");
TIER_PARAM(u32, max_ranges, 2048, 2, RT_MAX_RANGES, "ranges per process");
TIER_PARAM(u32, cool_epochs, 3, 0, 1000, "epochs a new range waits before it moves");
TIER_PARAM(u32, merge_epochs, 3, 0, 1000, "epochs cold neighbours wait before merging");
TIER_PARAM(u32, fast_pct, 90, 1, 100, "share of the fast tier the hot set may fill");
TIER_PARAM(u32, demote_wmark_pct, 2, 0, 50, "demote coldest when fast free falls below");
TIER_PARAM(u32, max_pages_epoch, 16384, 0, 1048576, "pages moved per epoch (0: none)");
TIER_PARAM(u32, demand_freq, 1, 1, 1000000,
	   "ranges this hot (accesses per 2 MiB) are the demand told to the host");

struct demeter_stats {
	u64 ranges;		/* gauge, kept by deltas */
	u64 hot_bytes;		/* gauge, kept by deltas */
	u64 epochs;
	u64 splits;
	u64 merges;
	u64 samples_used;
	u64 samples_discarded;
	u64 probes;
	u64 probes_young;
	u64 exchange_reqs;
	u64 promote_reqs;
	u64 demote_reqs;
	u64 pages_moved;
	u64 pages_failed;
	u64 capacity_events;	/* the fast tier was resized */
	u64 capacity_demotions;	/* epochs that demoted to fit a shrunk fast tier */
};
TIER_STATS(struct demeter_stats)

#define PROBE_BATCH	512
#define MAX_REQS	32
#define MAX_COLD	32

/* rt_range.mark: where a range stood at the last hot-set boundary */
enum { MARK_NONE, MARK_SPLIT, MARK_HOT };

/* Scratch space for probing; one tick at a time uses it. */
struct probe_buf {
	u64 addr[PROBE_BATCH];
	s32 range[PROBE_BATCH];
	u32 tree[PROBE_BATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct probe_buf);
} probe_buf SEC(".maps");

s32 fast_nid = -1, slow_nid = -1;
u32 vcpus = 1;
u32 epoch_no;
u64 last_epoch_ns;
u64 hot_bytes_now;
u64 hot_thresh;		/* accesses per granule of the hot set's coldest */
u64 warm_pages[RT_MAX_TREES];	/* resident pages of ranges at demand_freq */
s32 cold_list[MAX_COLD];	/* this epoch's coldest ranges with fast pages */

/*
 * Global functions: verified once, so the compiler cannot turn the index
 * into a pointer walk and the verifier does not track each index value.
 */
__noinline int cold_at(u32 k)
{
	return k < MAX_COLD ? cold_list[k] : RT_NONE;
}

__noinline int cold_set(u32 k, s32 i)
{
	if (k < MAX_COLD)
		cold_list[k] = i;
	return 0;
}

static __always_inline u64 gran(void)
{
	return (u64)granularity_kb << 10;
}

/* Accesses per granule: the ranking key. */
static __always_inline u64 freq(struct rt_range *r)
{
	u64 size = rt_size(r);

	return size ? r->nr_access * gran() / size : 0;
}

/* ------------------------------------------------------------------ */
/* Targets: two initial ranges, heap and mmap area (demeter.md 3.2)    */

s32 BPF_STRUCT_OPS_SLEEPABLE(demeter_init)
{
	struct demeter_stats *s;
	u32 zero = 0, cpu;

	if (!tier_fast_slow_nodes(&fast_nid, &slow_nid)) {
		bpf_tier_error("demeter needs a fast and a slow memory tier");
		return -19;	/* -ENODEV */
	}
	for (cpu = 0; cpu < 1024; cpu++) {
		s = bpf_map_lookup_percpu_elem(&stats, &zero, cpu);
		if (!s)
			break;
	}
	vcpus = cpu ?: 1;
	last_epoch_ns = bpf_ktime_get_ns();
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(demeter_target_add, s32 pid)
{
	struct tier_area heap, mmap;
	s32 t;

	if (rt_find_tree(pid) >= 0)
		return;
	if (tier_target_areas(pid, &heap, &mmap))
		return;
	t = rt_tree_create(pid);
	if (t < 0) {
		tier_stat_inc(samples_discarded);
		return;
	}
	if (heap.start < heap.end)
		rt_insert(t, RT_NONE, heap.start, heap.end, 0, epoch_no);
	{
		struct rt_tree *tr = rt_tree(t);
		s32 last = tr ? tr->head : RT_NONE;

		rt_insert(t, last, mmap.start, mmap.end, 0, epoch_no);
		tr = rt_tree(t);
		if (tr)
			tier_stat_add(ranges, tr->nr);
	}
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
	rt_tree_destroy(t);
}

/* ------------------------------------------------------------------ */
/* Samples from perf, hint faults or injection                          */

void BPF_STRUCT_OPS(demeter_sample, struct tier_ext_sample *s)
{
	s32 t, i;
	struct rt_range *r;

	if (source == SRC_ABIT) {
		tier_stat_inc(samples_discarded);
		return;
	}
	t = rt_find_tree(s->pid);
	i = t >= 0 ? rt_find(t, s->vaddr) : RT_NONE;
	r = t >= 0 ? rt_get(t, i) : NULL;
	if (!r) {
		tier_stat_inc(samples_discarded);
		return;
	}
	__sync_fetch_and_add(&r->nr_access, 1);
	tier_stat_inc(samples_used);
}

/* ------------------------------------------------------------------ */
/* Accessed-bit probes: one random page per range per tick              */

struct fill_ctx {
	struct probe_buf *buf;
	u32 t;
	s32 cur;
	u32 n;
};

static long fill_step(u64 k, void *data)
{
	struct fill_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);
	u64 pages;

	/* index by k, not a counter in c: keeps the verifier's states few */
	if (!r || k >= PROBE_BATCH)
		return 1;
	pages = rt_size(r) >> 12;
	c->buf->addr[k] = r->start + ((pages ? bpf_get_prandom_u32() % pages : 0) << 12);
	c->buf->range[k] = c->cur;
	c->buf->tree[k] = c->t;
	c->n = k + 1;
	c->cur = r->next;
	return 0;
}

struct apply_ctx {
	struct probe_buf *buf;
	u32 n;
	u64 young;
};

static long apply_step(u64 k, void *data)
{
	struct apply_ctx *c = data;
	struct rt_range *r;
	u32 i = k;

	if (i >= PROBE_BATCH || i >= c->n)
		return 1;
	if (!(c->buf->addr[i] & TIER_PROBE_YOUNG))
		return 0;
	r = rt_get(c->buf->tree[i], c->buf->range[i]);
	if (r) {
		/* one young page stands for the range's share of granules */
		r->nr_access += rt_size(r) / gran() ?: 1;
		c->young++;
	}
	return 0;
}

/* Probe every range of tree @t once; a global function, verified once. */
__noinline int probe_tree(u32 t)
{
	struct rt_tree *tr = rt_tree(t);
	struct fill_ctx fc = { .t = t };
	struct apply_ctx ac = {};
	u32 zero = 0, b;
	s64 ret;

	if (!tr || !tr->pid)
		return 0;
	fc.buf = bpf_map_lookup_elem(&probe_buf, &zero);
	if (!fc.buf)
		return 0;
	fc.cur = tr->head;
	for (b = 0; b < RT_MAX_RANGES / PROBE_BATCH; b++) {
		u32 n;

		fc.n = 0;
		bpf_loop(PROBE_BATCH, fill_step, &fc, 0);
		n = fc.n;
		if (!n || n > PROBE_BATCH)
			break;
		ret = bpf_tier_probe_pages(tr->pid, fc.buf->addr, n * sizeof(u64));
		tr = rt_tree(t);
		if (ret < 0 || !tr)
			break;
		ac.buf = fc.buf;
		ac.n = n;
		ac.young = 0;
		bpf_loop(PROBE_BATCH, apply_step, &ac, 0);
		tier_stat_add(probes, n);
		tier_stat_add(probes_young, ac.young);
		if (fc.cur == RT_NONE)
			break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Epoch: decay, split, merge (demeter.md 3.3)                          */

struct walk_ctx {
	u32 t;
	s32 cur;
	u64 left_nr;		/* count of the left neighbour */
	u64 thresh;
	u64 margin;
	u32 splits;
	u32 merges;
	u64 hot_pages;
	u64 cap;
	u64 max_freq;
};

static long decay_step(u64 k, void *data)
{
	struct walk_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);

	if (!r)
		return 1;
	r->nr_access >>= 1;
	if (freq(r) > c->max_freq)
		c->max_freq = freq(r);
	c->cur = r->next;
	return 0;
}

static long split_step(u64 k, void *data)
{
	struct walk_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur), *n;
	struct rt_tree *tr = rt_tree(c->t);
	u64 nr, right_nr, size, mid;
	s32 next, right;
	bool alone;

	if (!r || !tr)
		return 1;
	next = r->next;
	n = rt_get(c->t, next);
	nr = r->nr_access;
	right_nr = n ? n->nr_access : 0;
	size = rt_size(r);
	alone = r->prev == RT_NONE && next == RT_NONE;
	if (size >= 2 * gran() && nr >= c->thresh && tr->nr < max_ranges &&
	    (alone || r->mark == MARK_SPLIT ||
	     (nr > c->left_nr + c->margin && nr > right_nr + c->margin))) {
		mid = r->start + ((size / 2) & ~(gran() - 1));
		right = rt_split(c->t, c->cur, mid, epoch_no);
		n = rt_get(c->t, right);
		if (n) {
			c->splits++;
			c->left_nr = n->nr_access;
			c->cur = next;
			return 0;
		}
	}
	c->left_nr = nr;
	c->cur = next;
	return 0;
}

static long merge_step(u64 k, void *data)
{
	struct walk_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur), *n;

	if (!r)
		return 1;
	n = rt_get(c->t, r->next);
	if (n && !r->nr_access && !n->nr_access && n->start == r->end &&
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

/* ------------------------------------------------------------------ */
/* Ranking and relocation (demeter.md 3.4-3.6)                          */

/* Count the range's resident pages by tier. */
static long resident_step(u64 k, void *data)
{
	struct walk_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);
	struct rt_tree *tr = rt_tree(c->t);
	struct tier_ext_range_scan scan;
	s32 cur = c->cur;
	u32 nid;

	if (!r || !tr)
		return 1;
	c->cur = r->next;
	r->fast = 0;
	r->slow = 0;
	if (bpf_tier_range_scan(tr->pid, r->start, r->end, &scan, 0) <= 0)
		return 0;
	r = rt_get(c->t, cur);
	if (!r)
		return 1;
	for (nid = 0; nid < TIER_EXT_SCAN_NODES; nid++) {
		if (!scan.pages[nid])
			continue;
		if (bpf_tier_node_tier(nid) == 0)
			r->fast += scan.pages[nid];
		else
			r->slow += scan.pages[nid];
	}
	return 0;
}

struct plan_ctx {
	u32 t;
	s32 cur;
	s32 pid;
	u64 thresh;		/* hot: freq >= thresh (and > 0) */
	u64 pages;		/* resident pages of hot ranges */
	u64 budget;
	u32 reqs;
	u32 nr_cold;
	u32 cold_pos;
	s32 coldest;
	u64 coldest_freq;
	u64 cap;
	u64 group_pages;
	u32 pass;
};

static __always_inline bool is_hot(struct rt_range *r, u64 thresh)
{
	return (r->nr_access && freq(r) >= thresh) || r->mark == MARK_HOT;
}

/* The highest frequency below the threshold: the boundary group. */
static long below_step(u64 k, void *data)
{
	struct plan_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);
	u64 f;

	if (!r)
		return 1;
	c->cur = r->next;
	r->mark = MARK_NONE;
	f = freq(r);
	if (r->nr_access && f < c->thresh && f > c->coldest_freq)
		c->coldest_freq = f;
	return 0;
}

static __always_inline bool in_boundary(struct plan_ctx *c, struct rt_range *r)
{
	return r->nr_access && freq(r) == c->coldest_freq;
}

static long group_step(u64 k, void *data)
{
	struct plan_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);

	if (!r)
		return 1;
	c->cur = r->next;
	if (in_boundary(c, r))
		c->group_pages += r->fast + r->slow;
	return 0;
}

/*
 * Boundary ranges join the hot set while they fit, those mostly in fast
 * memory first (pass 0), so that equally hot ranges do not trade places.
 * Those left out split in the next epoch, unless the group is over twice
 * the fast tier: then it is uniformly accessed memory, which splitting
 * cannot make fit.
 */
static long boundary_step(u64 k, void *data)
{
	struct plan_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);
	u64 pages;

	if (!r)
		return 1;
	c->cur = r->next;
	if (!in_boundary(c, r) || r->mark == MARK_HOT)
		return 0;
	if (!c->pass && r->fast < r->slow)
		return 0;
	pages = r->fast + r->slow;
	if (c->pages + pages <= c->cap) {
		r->mark = MARK_HOT;
		c->pages += pages;
	} else if (c->pass && c->group_pages <= 2 * c->cap) {
		r->mark = MARK_SPLIT;
	}
	return 0;
}

static long count_hot_step(u64 k, void *data)
{
	struct plan_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);

	if (!r)
		return 1;
	if (r->nr_access && freq(r) >= c->thresh)
		c->pages += r->fast + r->slow;
	c->cur = r->next;
	return 0;
}

/* Find the coldest not-hot range with fast pages not yet chosen. */
static long coldest_step(u64 k, void *data)
{
	struct plan_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);
	s32 i = c->cur;

	if (!r)
		return 1;
	c->cur = r->next;
	if (r->used != 1 || !r->fast || is_hot(r, c->thresh))
		return 0;
	if (c->coldest == RT_NONE || freq(r) < c->coldest_freq) {
		c->coldest = i;
		c->coldest_freq = freq(r);
	}
	return 0;
}

static long promote_step(u64 k, void *data)
{
	struct plan_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur), *cold;
	struct tier_ext_migrate_args a = {};
	u64 n;
	s64 id;

	if (!r || !c->budget || c->reqs >= MAX_REQS)
		return 1;
	c->cur = r->next;
	if (!is_hot(r, c->thresh) || !r->slow ||
	    epoch_no - r->epoch < cool_epochs)
		return 0;
	n = r->slow < c->budget ? r->slow : c->budget;
	a.start = r->start;
	a.end = r->end;
	a.nid = fast_nid;
	a.max_pages = n;
	/* pair with the coldest range that still has fast pages */
	cold = c->cold_pos < c->nr_cold ? rt_get(c->t, cold_at(c->cold_pos)) : NULL;
	/* swap only for a clear gain (the split margin factor): no churn
	 * between ranges whose estimates differ by noise */
	if (cold && cold->fast && freq(r) < split_margin * freq(cold) + 1)
		return 0;
	if (cold && cold->fast <= n)
		c->cold_pos++;		/* used up by this request */
	if (cold && cold->fast) {
		a.cold_start = cold->start;
		a.cold_end = cold->end;
		a.cold_nid = slow_nid;
		a.flags = TIER_MIGRATE_EXCHANGE;
		cold->fast = cold->fast > n ? cold->fast - n : 0;
	}
	id = bpf_tier_migrate(c->pid, &a);
	if (id > 0) {
		if (a.flags)
			tier_stat_inc(exchange_reqs);
		else
			tier_stat_inc(promote_reqs);
		c->budget -= n;
		c->reqs++;
		r->slow -= n;
	}
	return 0;
}

struct search_ctx {
	struct plan_ctx *pc;
	u64 lo, hi, cap;
	u32 head;
};

/* One step of the search for the lowest threshold whose ranges fit. */
static long search_step(u64 k, void *data)
{
	struct search_ctx *c = data;
	struct plan_ctx *pc = c->pc;
	u64 mid;

	if (c->lo >= c->hi)
		return 1;
	mid = c->lo + (c->hi - c->lo) / 2;
	pc->thresh = mid;
	pc->pages = 0;
	pc->cur = c->head;
	bpf_loop(RT_MAX_RANGES, count_hot_step, pc, 0);
	if (pc->pages <= c->cap)
		c->hi = mid;
	else
		c->lo = mid + 1;
	return 0;
}

/* Pick the next coldest range with fast pages into cold_list[k]. */
static long pick_cold_step(u64 k, void *data)
{
	struct search_ctx *c = data;
	struct plan_ctx *pc = c->pc;
	struct rt_range *r;

	pc->coldest = RT_NONE;
	pc->cur = c->head;
	bpf_loop(RT_MAX_RANGES, coldest_step, pc, 0);
	r = rt_get(pc->t, pc->coldest);
	if (!r)
		return 1;
	r->used = 2;	/* chosen; restored by unpick_step */
	cold_set(k, pc->coldest);
	pc->nr_cold = k + 1;
	return 0;
}

static long unpick_step(u64 k, void *data)
{
	struct plan_ctx *pc = data;
	struct rt_range *r;

	if (k >= pc->nr_cold)
		return 1;
	r = rt_get(pc->t, cold_at(k));
	if (r)
		r->used = 1;
	return 0;
}

/* Fast tier over its watermark: demote pages of the coldest ranges. */
static long demote_step(u64 k, void *data)
{
	struct plan_ctx *pc = data;
	struct tier_ext_migrate_args a = {};
	struct rt_range *r;

	if (k < pc->cold_pos)
		return 0;
	if (k >= pc->nr_cold || !pc->budget || pc->reqs >= MAX_REQS)
		return 1;
	r = rt_get(pc->t, cold_at(k));
	if (!r || !r->fast)
		return 0;
	a.start = r->start;
	a.end = r->end;
	a.nid = slow_nid;
	a.max_pages = r->fast < pc->budget ? r->fast : pc->budget;
	if (bpf_tier_migrate(pc->pid, &a) > 0) {
		tier_stat_inc(demote_reqs);
		pc->budget -= a.max_pages;
		pc->reqs++;
	}
	return 0;
}

/* One epoch of tree @t; a global function, verified once. */
__noinline int epoch(u32 t)
{
	struct rt_tree *tr = rt_tree(t);
	struct walk_ctx wc = { .t = t };
	struct plan_ctx pc = { .t = t };
	struct search_ctx sc = { .pc = &pc };
	u64 fast_cap, fast_now;

	if (t < RT_MAX_TREES)
		warm_pages[t] = 0;
	if (!tr || !tr->pid)
		return 0;
	pc.pid = tr->pid;

	/* decay, then split ranges hotter than both neighbours, then merge */
	wc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, decay_step, &wc, 0);
	wc.thresh = (u64)split_thresh * vcpus;
	wc.margin = wc.thresh * split_margin;
	wc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, split_step, &wc, 0);
	wc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES * 2, merge_step, &wc, 0);
	tier_stat_add(splits, wc.splits);
	tier_stat_add(merges, wc.merges);
	tier_stat_add(ranges, (s64)wc.splits - (s64)wc.merges);

	/* residency of every range, by tier */
	tr = rt_tree(t);
	if (!tr)
		return 0;
	wc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, resident_step, &wc, 0);

	/* what this target would use of the fast tier: its warm ranges */
	pc.thresh = demand_freq;
	pc.pages = 0;
	pc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, count_hot_step, &pc, 0);
	if (t < RT_MAX_TREES)
		warm_pages[t] = pc.pages;

	/*
	 * hot set: the lowest threshold whose ranges fit the fast tier, at
	 * the size the host resizes it to (a per-node balloon)
	 */
	fast_cap = bpf_tier_node_usable(fast_nid);
	fast_now = bpf_tier_node_capacity(fast_nid);
	sc.cap = fast_cap * fast_pct / 100;
	sc.lo = 1;
	sc.hi = wc.max_freq + 1;
	sc.head = tr->head;
	bpf_loop(64, search_step, &sc, 0);
	pc.thresh = sc.lo;
	pc.pages = 0;
	pc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, count_hot_step, &pc, 0);
	pc.coldest_freq = 0;
	pc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, below_step, &pc, 0);
	if (pc.coldest_freq) {
		pc.cap = sc.cap;
		pc.group_pages = 0;
		pc.cur = tr->head;
		bpf_loop(RT_MAX_RANGES, group_step, &pc, 0);
		for (pc.pass = 0; pc.pass < 2; pc.pass++) {
			pc.cur = tr->head;
			bpf_loop(RT_MAX_RANGES, boundary_step, &pc, 0);
		}
	}
	hot_thresh = sc.lo;
	tier_stat_add(hot_bytes, (s64)(pc.pages * 4096) - (s64)hot_bytes_now);
	hot_bytes_now = pc.pages * 4096;

	/* the coldest ranges with fast pages, coldest first */
	bpf_loop(MAX_COLD, pick_cold_step, &sc, 0);
	bpf_loop(MAX_COLD, unpick_step, &pc, 0);

	/* relocate: hot slow pages in, exchanged with the coldest fast ones */
	pc.budget = max_pages_epoch;
	pc.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, promote_step, &pc, 0);
	if (fast_now > fast_cap) {
		/* the balloon still needs this much of the fast tier */
		if (pc.budget > fast_now - fast_cap)
			pc.budget = fast_now - fast_cap;
		tier_stat_inc(capacity_demotions);
		bpf_loop(MAX_COLD, demote_step, &pc, 0);
	} else if (bpf_tier_node_free(fast_nid) < fast_cap * demote_wmark_pct / 100) {
		bpf_loop(MAX_COLD, demote_step, &pc, 0);
	}
	return 0;
}

/*
 * Tell the host how large a fast tier the warm ranges would need at
 * fast_pct (a per-node balloon reports it; the host may grow the tier).
 */
static void publish_demand(void)
{
	u64 pages = 0;
	u32 t;

	if (fast_nid < 0)
		return;
	for (t = 0; t < RT_MAX_TREES; t++)
		pages += warm_pages[t];
	bpf_tier_node_set_demand(fast_nid, pages * 100 / fast_pct);
}

void BPF_STRUCT_OPS_SLEEPABLE(demeter_tick)
{
	u64 now = bpf_ktime_get_ns();
	u32 t;

	if (source != SRC_SAMPLES)
		for (t = 0; t < RT_MAX_TREES; t++)
			probe_tree(t);
	if (now - last_epoch_ns < (u64)epoch_ms * 1000000)
		return;
	last_epoch_ns = now;
	epoch_no++;
	tier_stat_inc(epochs);
	for (t = 0; t < RT_MAX_TREES; t++)
		epoch(t);
	publish_demand();
}

/* The host resized the fast tier: re-plan at the next tick. */
void BPF_STRUCT_OPS(demeter_capacity_changed, s32 nid, u64 usable, u64 target)
{
	if (nid != fast_nid)
		return;
	tier_stat_inc(capacity_events);
	last_epoch_ns = 0;
}

void BPF_STRUCT_OPS(demeter_migrate_done, u64 id, s32 pid, u32 moved, u32 failed)
{
	tier_stat_add(pages_moved, moved);
	tier_stat_add(pages_failed, failed);
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
