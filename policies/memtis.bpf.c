// SPDX-License-Identifier: GPL-2.0
/*
 * memtis: Memtis (SOSP'23) as BPF: a per-page access histogram built from
 * samples, cooled by halving, a hot threshold chosen each period so that
 * the hot pages fit in the fast tier, and periodic promotion of hot pages
 * and demotion of cold ones.
 *
 * Samples: every sample the kernel delivers (perf with PEBS/IBS, hint
 * faults, injection) counts one access of its page. Where there is no PMU,
 * the policy samples itself: each tick it probes the accessed bits of
 * random resident pages of its targets (bpf_tier_probe_pages()), a young
 * page counting as one sample; resident memory is found by sweeping the
 * targets' address space in 2 MiB chunks. As Memtis' sampler, it keeps
 * its CPU use under cpu_quota (in 1/1000 of a CPU) by adapting the probe
 * batch.
 *
 * Histogram: bin b holds the tracked pages whose count is in
 * [2^(b-1), 2^b) (bin 0: count 0). The hot threshold is the lowest bin
 * such that the pages in it and above fit in fast_pct of the fast tier.
 * Every cool_samples samples all counts are halved (Memtis' cooling).
 *
 * Left out: huge-page splitting decisions (Memtis splits skewed huge
 * pages), the warm-set (pages just under the threshold are not kept from
 * demotion), and per-sample load latency.
 */
#include <tier_ext/common.bpf.h>
#include <tier_ext/target_areas.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("Memtis: sampled page histogram, dynamic hot threshold (SOSP'23)");

TIER_PARAM(u32, tick_ms, 100, 10, 60000, "sampling period");
TIER_PARAM(u32, adapt_ms, 1000, 100, 60000, "threshold, promotion and demotion period");
TIER_PARAM(u32, cool_samples, 65536, 64, 1 << 30, "halve all counts after this many samples");
TIER_PARAM(u32, fast_pct, 95, 1, 100, "share of the fast tier the hot set may fill");
TIER_PARAM(u32, cpu_quota, 30, 1, 1000, "sampling CPU budget in 1/1000 of a CPU");
TIER_PARAM(u32, max_pages_period, 8192, 0, 1048576, "pages migrated per period");
TIER_PARAM(u32, demote_wmark_pct, 2, 0, 50, "demote cold pages when fast room falls below");

struct memtis_stats {
	u64 samples;		/* from the kernel's sources */
	u64 probes;
	u64 probes_young;
	u64 tracked;		/* gauge */
	u64 coolings;
	u64 hot_bin;		/* gauge */
	u64 batch;		/* gauge: pages probed per tick */
	u64 promote_reqs;
	u64 demote_reqs;
	u64 pages_moved;
	u64 pages_failed;
	u64 targets_refused;	/* beyond MAX_TARGETS: not managed */
};
TIER_STATS(struct memtis_stats)

#define CHUNK		(2ULL << 20)
#define CHUNK_PAGES	512
#define MAX_TARGETS	64		/* more are counted in targets_refused */
#define MAX_CHUNKS	8192		/* per target: both areas */
#define NR_BINS		16
#define PROBE_MAX	512
#define PAGE_SHIFT_	12

struct target {
	s32 pid;
	u32 nr_chunks;		/* chunks of the areas */
	u32 sweep;		/* chunks swept so far */
	struct tier_area areas[2];
};

TIER_TARGETS_MAP(struct target, MAX_TARGETS);

/* Per chunk, [target * MAX_CHUNKS + chunk], from the last sweep. */
struct chunk {
	u32 present;		/* resident pages */
	u32 young;		/* of them accessed since the sweep before */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_TARGETS * MAX_CHUNKS);
	__type(key, u32);
	__type(value, struct chunk);
} chunks SEC(".maps");

/* The tracked pages: key pid << 40 | page frame of the address. */
struct page_info {
	u32 count;
	s32 nid;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, u64);
	__type(value, struct page_info);
} pages SEC(".maps");

struct probe_buf {
	u64 addr[PROBE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct probe_buf);
} probe_buf SEC(".maps");

u64 bins[NR_BINS];		/* pages per bin, rebuilt every period */
u32 hot_bin = NR_BINS;		/* pages in bins >= hot_bin are hot */
u64 samples_since_cool;
u32 batch = 64;
u64 last_adapt_ns;
u32 cool_pending;
u64 tracked_now;		/* the tracked gauge, kept by deltas */

/* Bin of a count: floor(log2(count)) + 1, 0 for 0. */
static __always_inline u32 bin_of(u32 c)
{
	u32 b = c ? tier_ilog2(c) + 1 : 0;

	return b < NR_BINS ? b : NR_BINS - 1;
}

static __always_inline u64 page_key(s32 pid, u64 addr)
{
	return (u64)pid << 40 | (addr >> PAGE_SHIFT_);
}

/*
 * One observation of a page: the histogram input. A sample is an access;
 * a probe is one if the page was young, except the first probe of a page,
 * which only starts the measurement (the bit may date from any time).
 */
static void account(s32 pid, u64 addr, s32 nid, bool young, bool probe)
{
	struct page_info *pi, init = { .count = young && !probe, .nid = nid };
	u64 key = page_key(pid, addr);

	pi = bpf_map_lookup_elem(&pages, &key);
	if (!pi) {
		bpf_map_update_elem(&pages, &key, &init, BPF_NOEXIST);
		return;
	}
	if (nid >= 0)
		pi->nid = nid;
	if (young && pi->count < 0x7fffffff)
		pi->count++;
	if (young && __sync_fetch_and_add(&samples_since_cool, 1) >= cool_samples)
		cool_pending = 1;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(memtis_init)
{
	if (!tier_nodes_init()) {
		bpf_tier_error("memtis needs a fast and a slow memory tier");
		return -19;	/* -ENODEV */
	}
	last_adapt_ns = bpf_ktime_get_ns();
	/* gauges start from the globals' initial values */
	tier_stat_add(hot_bin, hot_bin);
	tier_stat_add(batch, batch);
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(memtis_target_add, s32 pid)
{
	struct target *tg = tier_target_slot_get(&targets, MAX_TARGETS);
	u64 n0, n1;

	if (!tg) {
		tier_stat_inc(targets_refused);
		return;
	}
	if (tier_target_areas(pid, &tg->areas[0], &tg->areas[1]))
		return;
	n0 = (tg->areas[0].end - tg->areas[0].start) / CHUNK;
	n1 = (tg->areas[1].end - tg->areas[1].start) / CHUNK;
	if (n0 > MAX_CHUNKS / 2)
		n0 = MAX_CHUNKS / 2;
	if (n1 > MAX_CHUNKS / 2)
		n1 = MAX_CHUNKS / 2;
	tg->areas[0].end = tg->areas[0].start + n0 * CHUNK;
	tg->areas[1].end = tg->areas[1].start + n1 * CHUNK;
	tg->nr_chunks = n0 + n1;
	tg->sweep = 0;
	tg->pid = pid;
}

void BPF_STRUCT_OPS_SLEEPABLE(memtis_target_remove, s32 pid)
{
	tier_target_slot_free(&targets, MAX_TARGETS, pid);
}

void BPF_STRUCT_OPS(memtis_sample, struct tier_ext_sample *s)
{
	tier_stat_inc(samples);
	account(s->pid, s->vaddr, s->nid, true, false);
}

/* Chunk k of a target: its start address. */
static __always_inline u64 chunk_addr(struct target *tg, u32 k)
{
	u64 n0 = (tg->areas[0].end - tg->areas[0].start) / CHUNK;

	return k < n0 ? tg->areas[0].start + k * CHUNK :
			tg->areas[1].start + (k - n0) * CHUNK;
}

struct sweep_ctx {
	u32 t;
};

/* Count the resident pages of the next chunk of target c->t. */
static long sweep_step(u64 i, void *data)
{
	struct sweep_ctx *c = data;
	struct tier_ext_range_scan scan;
	struct target *tg = bpf_map_lookup_elem(&targets, &c->t);
	struct chunk *ch;
	u32 k, idx;
	u64 start;
	s64 n;

	if (!tg || !tg->pid || !tg->nr_chunks)
		return 1;
	k = tg->sweep % tg->nr_chunks;
	tg->sweep++;
	start = chunk_addr(tg, k);
	n = bpf_tier_range_scan(tg->pid, start, start + CHUNK, &scan,
				TIER_SCAN_CLEAR_YOUNG);
	idx = c->t * MAX_CHUNKS + (k & (MAX_CHUNKS - 1));
	ch = bpf_map_lookup_elem(&chunks, &idx);
	if (ch) {
		ch->present = n > 0 ? n : 0;
		ch->young = n > 0 ? scan.young : 0;
	}
	return 0;
}

struct fill_ctx {
	struct probe_buf *buf;
	struct target *tg;
	u32 t;
	u32 n;
};

/*
 * Pick a random resident page: a random chunk with pages, kept with a
 * probability that grows with its share of young pages (so that, as with
 * PEBS, busy memory gets more samples, and idle memory some), then a
 * random page of it.
 */
static long fill_step(u64 i, void *data)
{
	struct fill_ctx *c = data;
	u32 k, idx, r = bpf_get_prandom_u32();
	struct chunk *ch;

	if (!c->tg->nr_chunks || c->n >= PROBE_MAX)
		return 1;
	k = r % c->tg->nr_chunks;
	idx = c->t * MAX_CHUNKS + (k & (MAX_CHUNKS - 1));
	ch = bpf_map_lookup_elem(&chunks, &idx);
	if (!ch || !ch->present)
		return 0;
	if (bpf_get_prandom_u32() % (ch->present + 1) > ch->young * 8 + 8)
		return 0;
	c->buf->addr[c->n & (PROBE_MAX - 1)] =
		chunk_addr(c->tg, k) + (u64)(bpf_get_prandom_u32() % CHUNK_PAGES) * 4096;
	c->n++;
	return 0;
}

struct apply_ctx {
	struct probe_buf *buf;
	s32 pid;
	u32 n;
};

static long apply_step(u64 i, void *data)
{
	struct apply_ctx *c = data;
	u64 a;
	s32 nid;

	if (i >= c->n)
		return 1;
	a = c->buf->addr[i & (PROBE_MAX - 1)];
	if (!(a & TIER_PROBE_PRESENT))
		return 0;
	nid = (s32)((a >> TIER_PROBE_NID_SHIFT) & 0xff) - 1;
	account(c->pid, a & ~4095ULL, nid, a & TIER_PROBE_YOUNG, true);
	return 0;
}

/* Probe up to @n random resident pages of target @t. */
__noinline int probe_target(u32 t, u32 n)
{
	struct target *tg = bpf_map_lookup_elem(&targets, &t);
	struct sweep_ctx sc = { .t = t };
	struct fill_ctx fc = { .t = t };
	struct apply_ctx ac = {};
	u32 zero = 0;
	s64 young;

	if (!tg || !tg->pid)
		return 0;
	/* residency: the first pass quickly, then a 256th per tick */
	bpf_loop(tg->nr_chunks / (tg->sweep < tg->nr_chunks ? 32 : 256) + 1,
		 sweep_step, &sc, 0);
	tg = bpf_map_lookup_elem(&targets, &t);
	fc.buf = bpf_map_lookup_elem(&probe_buf, &zero);
	if (!tg || !fc.buf)
		return 0;
	fc.tg = tg;
	bpf_loop(n * 16, fill_step, &fc, 0);
	if (!fc.n || fc.n > PROBE_MAX)
		return 0;
	young = bpf_tier_probe_pages(tg->pid, fc.buf->addr, fc.n * sizeof(u64));
	if (young < 0)
		return 0;
	ac.buf = fc.buf;
	ac.pid = tg->pid;
	ac.n = fc.n;
	bpf_loop(PROBE_MAX, apply_step, &ac, 0);
	tier_stat_add(probes, fc.n);
	tier_stat_add(probes_young, young);
	return 0;
}

/* Cooling and the histogram, over every tracked page. */
static long hist_cb(void *map, u64 *key, struct page_info *pi, void *ctx)
{
	u32 *cool = ctx;
	u32 b;

	if (*cool)
		pi->count >>= 1;
	b = bin_of(pi->count);
	if (b < NR_BINS)
		bins[b]++;
	return 0;
}

struct move_buf {
	u64 addr[2][PROBE_MAX];	/* [0] to promote, [1] to demote */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct move_buf);
} move_buf SEC(".maps");

/* In .bss, not on the stack: the verifier then need not track its values. */
struct move_ctx {
	s32 pid;
	u32 n[2];
	s32 dst[2];		/* the nodes this period promotes and demotes to */
	u64 budget[2];		/* pages */
} mc;

/* Queue the batch of direction @d (0 promote, 1 demote). */
static void move_flush(struct move_buf *buf, u32 d)
{
	u32 n = mc.n[d & 1];

	if (!n || n > PROBE_MAX)
		return;
	if (bpf_tier_migrate_pages(mc.pid, buf->addr[d & 1], n * sizeof(u64),
				   mc.dst[d & 1], 0) > 0) {
		if (d)
			tier_stat_inc(demote_reqs);
		else
			tier_stat_inc(promote_reqs);
	}
	mc.n[d & 1] = 0;
}

/* Collect this target's hot pages on slow memory and cold ones on fast. */
static long move_cb(void *map, u64 *key, struct page_info *pi, void *ctx)
{
	struct move_buf *buf = *(struct move_buf **)ctx;
	bool hot = bin_of(pi->count) >= hot_bin;
	u32 d, n;

	if ((s32)(*key >> 40) != mc.pid)
		return 0;
	if (hot && !tier_node_is_fast(pi->nid))
		d = 0;
	else if (!hot && pi->count == 0 && tier_node_is_fast(pi->nid))
		d = 1;
	else
		return 0;
	if (!mc.budget[d])
		return mc.budget[0] || mc.budget[1] ? 0 : 1;
	mc.budget[d]--;
	n = mc.n[d];
	if (n >= PROBE_MAX)
		return 1;
	buf->addr[d][n] = (*key & ((1ULL << 40) - 1)) << PAGE_SHIFT_;
	mc.n[d] = n + 1;
	pi->nid = mc.dst[d & 1];
	if (n + 1 == PROBE_MAX)
		move_flush(buf, d);
	return 0;
}

struct thresh_ctx {
	u64 fit;
	u64 sum;
	u32 hot;
};

static long thresh_step(u64 i, void *data)
{
	struct thresh_ctx *c = data;
	u32 b = NR_BINS - 1 - i;

	if (b == 0 || b >= NR_BINS)
		return 1;
	c->sum += bins[b];
	if (c->sum > c->fit)
		return 1;
	c->hot = b;
	return 0;
}

/* Rebuild the histogram (cooling first when due); global: verified once. */
__noinline int build_hist(u32 cool)
{
	u64 tracked = 0;
	u32 b;

	for (b = 0; b < NR_BINS; b++)
		bins[b] = 0;
	bpf_for_each_map_elem(&pages, hist_cb, &cool, 0);
	for (b = 0; b < NR_BINS; b++)
		tracked += bins[b];
	tier_stat_add(tracked, (s64)tracked - (s64)tracked_now);
	tracked_now = tracked;
	return 0;
}

/* Queue this period's migrations of target @t. */
__noinline int move_target(u32 t, u64 promote, u64 demote)
{
	struct move_buf *buf;
	struct target *tg;
	u32 zero = 0;

	tg = bpf_map_lookup_elem(&targets, &t);
	buf = bpf_map_lookup_elem(&move_buf, &zero);
	if (!tg || !tg->pid || !buf)
		return 0;
	mc.pid = tg->pid;
	mc.n[0] = mc.n[1] = 0;
	mc.budget[0] = promote;
	mc.budget[1] = demote;
	mc.dst[0] = tier_fast_node_most_room();
	mc.dst[1] = tier_demotion_node(fast_nid);
	bpf_for_each_map_elem(&pages, move_cb, &buf, 0);
	move_flush(buf, 1);
	move_flush(buf, 0);
	return 0;
}

static void adapt(void)
{
	struct thresh_ctx tc = {};
	u64 cap, room, demote = 0;
	u32 t;

	build_hist(cool_pending);
	if (cool_pending) {
		cool_pending = 0;
		samples_since_cool = 0;
		tier_stat_inc(coolings);
	}
	cap = tier_fast_sum(bpf_tier_node_capacity);
	room = tier_fast_sum(bpf_tier_node_room);
	tc.fit = cap * fast_pct / 100;
	tc.hot = NR_BINS;
	bpf_loop(NR_BINS, thresh_step, &tc, 0);
	tier_stat_add(hot_bin, (s64)tc.hot - (s64)hot_bin);
	hot_bin = tc.hot;
	if (hot_bin >= NR_BINS)
		return;
	if (room < cap * demote_wmark_pct / 100 + max_pages_period)
		demote = max_pages_period;
	for (t = 0; t < MAX_TARGETS; t++)
		move_target(t, max_pages_period, demote);
}

void BPF_STRUCT_OPS_SLEEPABLE(memtis_tick)
{
	u64 t0 = bpf_ktime_get_ns(), spent, budget;
	u32 t, n = batch;

	for (t = 0; t < MAX_TARGETS; t++)
		probe_target(t, n);
	/* the sampling CPU quota: spent over the tick period */
	spent = bpf_ktime_get_ns() - t0;
	budget = (u64)tick_ms * 1000000 * cpu_quota / 1000;
	if (spent > budget && batch > 8)
		batch = batch * 4 / 5;
	else if (spent < budget / 2 && batch < PROBE_MAX)
		batch = batch * 5 / 4 + 1 < PROBE_MAX ? batch * 5 / 4 + 1 : PROBE_MAX;
	tier_stat_add(batch, (s64)batch - (s64)n);

	if (t0 - last_adapt_ns >= (u64)adapt_ms * 1000000) {
		last_adapt_ns = t0;
		adapt();
	}
}

void BPF_STRUCT_OPS(memtis_migrate_done, u64 id, s32 pid, u32 moved, u32 failed)
{
	tier_stat_migrate_done(moved, failed);
}

TIER_OPS_DEFINE(memtis_ops,
		.init = (void *)memtis_init,
		.tick = (void *)memtis_tick,
		.sample = (void *)memtis_sample,
		.target_add = (void *)memtis_target_add,
		.target_remove = (void *)memtis_target_remove,
		.migrate_done = (void *)memtis_migrate_done,
		.name = "memtis");
