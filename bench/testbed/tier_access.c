// SPDX-License-Identifier: GPL-2.0
/*
 * tier_access: a QEMU TCG plugin that measures where a tiered guest's
 * memory accesses are served from and, under icount, makes the guest's own
 * clock pay what a tiered machine's memory would cost.
 *
 * Placement. Every guest load and store (or an unbiased 1-in-N sample of
 * them) is attributed by its guest-physical address to a node: QEMU lays the
 * NUMA nodes' memory out in order, so node 0 (fast) is [0, fast_mb) when
 * guest RAM fits below the 32-bit PCI hole (ram_mb <= 2048). Per page and
 * per time window the plugin counts accesses and writes, per window, the
 * fast tier's share, the share an oracle would reach (the fast_mb worth of
 * the window's hottest pages all in fast memory) and their ratio, the
 * placement efficiency. A last row ("run") covers the whole run. Windows
 * are host time; each row has its end in seconds since the plugin started
 * and since the epoch (to align it with events outside the guest).
 *
 *   -plugin file=tier_access.so,fast_mb=256,ram_mb=1536,out=FILE.csv
 *           [,window_ms=1000][,sample=1][,user=on][,model=on]
 *           [,fast_ns=69,slow_ns=177,fast_line_ns=5,slow_line_ns=10]
 *           [,llc_kb=3072,llc_ways=12][,ipi_addr=0x...,ipi_ns=2000]
 *
 * sample=N counts each access with probability 1/N (a per-vCPU xorshift);
 * user=on counts only accesses to user virtual addresses (below 2^47).
 * Both apply to the placement counts only, never to the model.
 * oracle_out=FILE writes, per window, what the hottest k MiB of pages got
 * for k every oracle_step_mb (16) up to fast_mb: the oracle for any
 * fast-tier capacity, e.g. the usable fast memory at a cell's start.
 *
 * Model (model=on; needs QEMU with vmm-patch/0006 and -icount shift=N):
 * every access, user and kernel alike, goes through a shared
 * set-associative last-level cache model (llc_kb, llc_ways, 64-byte lines,
 * LRU). A miss is charged to the vCPU that made it with
 * qemu_plugin_charge_ns(), so the guest's clock (and every runtime measured
 * in the guest: hint faults, migration copies, kernel threads and the
 * policy's own work included) advances by it:
 *  - a miss next to one of the vCPU's 8 most recent misses (a sequential
 *    stream, as a page copy or a scan makes, which a hardware prefetcher
 *    hides) costs the line's transfer time at its node's bandwidth
 *    (fast_line_ns, slow_line_ns);
 *  - any other miss costs its node's latency (fast_ns, slow_ns).
 * A migration's copy is thus paid at the tiers' bandwidth. ipi_addr, the
 * guest virtual address of a kernel function (native_flush_tlb_multi: a
 * TLB shootdown of other CPUs), charges ipi_ns each time it is entered, for
 * the IPI round trip TCG does not model. Defaults and their sources are in
 * bench/README.md. Writes back of dirty lines are not modelled.
 *
 * Columns: window, t_s, unix_s, accesses, fast, fast_ratio, oracle_ratio,
 * efficiency (placement); misses, stream_misses, ipis, mem_ms (time charged
 * for misses), ipi_ms (time charged for IPIs). The plugin uses no inline
 * ops: with QEMU 10.0.13 under -icount, a per-vCPU inline add on every TB
 * corrupted guest state (oopses during boot in 3 of 4 boots, none in 4
 * boots without it).
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define PAGE_SHIFT	12
#define LINE_SHIFT	6
#define MAX_VCPUS	256
#define STREAMS		8	/* recent misses a vCPU's prefetcher follows */
#define CHECK_EVERY	4096	/* counted accesses between clock reads */

static uint64_t fast_pages, ram_pages, sample = 1, window_us = 1000000;
static bool user_only;
static FILE *out;

/* the model */
static bool model;
static const void *time_handle;
static uint64_t fast_ns = 69, slow_ns = 177, fast_line_ns = 5, slow_line_ns = 10;
static uint64_t llc_kb = 3072, llc_ways = 12, llc_sets;
static uint64_t *llc_tag;	/* [set][way]: line + 1; 0 is an empty slot */
static uint64_t *llc_used;	/* [set][way]: last use, for LRU */
static uint64_t llc_clock;
static uint64_t ipi_addr, ipi_ns = 2000;

/* per window, and summed over the run */
struct charges {
	uint64_t misses, stream_misses, ipis, mem_ns, ipi_ns;
};
static struct charges win, run;

static uint32_t *win_counts;	/* per page, this window */
static uint64_t *run_counts;	/* per page, the whole run */
static uint64_t seen_all, seen_fast;	/* sums of the vCPUs' counts, last roll */
static uint64_t win_start_us, t0_us, nr_window;
static GMutex roll_lock;

/* Each vCPU's own; the plugin sums them when it closes a window. */
static struct vcpu {
	uint64_t rng;
	uint64_t all, fast;		/* counted accesses, served by node 0 */
	uint64_t last_line;		/* + 1; the line of the last access */
	uint64_t stream[STREAMS];	/* recent missed lines */
	unsigned int next_stream;
} vcpus[MAX_VCPUS];

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static FILE *curve_out;		/* oracle_out: the oracle for every K */
static uint64_t curve_step = 16 << (20 - 12);	/* pages */

/*
 * Accesses the hottest fast_pages pages of @c (n pages) got, and the total.
 * With oracle_out, also a row of what the hottest k pages got, k a multiple
 * of the step up to fast_pages: the oracle for any fast-tier capacity.
 */
static uint64_t oracle(const void *c, bool wide, uint64_t n, uint64_t *total,
		       const char *label)
{
	uint64_t *v = g_new(uint64_t, n), m = 0, sum = 0, i;

	*total = 0;
	for (i = 0; i < n; i++) {
		uint64_t x = wide ? ((const uint64_t *)c)[i] :
				    __atomic_load_n(&((const uint32_t *)c)[i], __ATOMIC_RELAXED);

		if (x) {
			v[m++] = x;
			*total += x;
		}
	}
	qsort(v, m, sizeof(*v), cmp_desc);
	if (curve_out && label)
		fprintf(curve_out, "%s,%.3f,%" PRIu64, label, g_get_real_time() / 1e6, *total);
	for (i = 0; i < fast_pages; i++) {
		if (i < m)
			sum += v[i];
		if (curve_out && label && (i + 1) % curve_step == 0)
			fprintf(curve_out, ",%" PRIu64, sum);
	}
	if (curve_out && label) {
		fputc('\n', curve_out);
		fflush(curve_out);
	}
	g_free(v);
	return sum;
}

/* @best of @total: what the oracle's placement would serve from fast memory */
static void write_row(const char *label, double t, uint64_t fast, uint64_t all,
		      uint64_t best, uint64_t total, const struct charges *c)
{
	double ratio = all ? (double)fast / all : 0;
	double ideal = total ? (double)best / total : 0;

	fprintf(out, "%s,%.3f,%.3f,%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f\n",
		label, t, g_get_real_time() / 1e6, all, fast, ratio, ideal,
		ideal > 0 ? ratio / ideal : 0, c->misses, c->stream_misses,
		c->ipis, c->mem_ns / 1e6, c->ipi_ns / 1e6);
	fflush(out);
}

/* Close the current window: write its row, fold it into the run. */
static void roll(uint64_t now)
{
	uint64_t all, fast, best, total, i;
	struct charges c = win;
	char label[32];

	snprintf(label, sizeof(label), "%" PRIu64, nr_window);
	best = oracle(win_counts, false, ram_pages, &total, label);
	for (i = 0; i < ram_pages; i++)
		run_counts[i] += __atomic_exchange_n(&win_counts[i], 0, __ATOMIC_RELAXED);
	for (all = fast = i = 0; i < MAX_VCPUS; i++) {
		all += __atomic_load_n(&vcpus[i].all, __ATOMIC_RELAXED);
		fast += __atomic_load_n(&vcpus[i].fast, __ATOMIC_RELAXED);
	}
	all -= seen_all;
	seen_all += all;
	fast -= seen_fast;
	seen_fast += fast;
	memset(&win, 0, sizeof(win));
	run.misses += c.misses;
	run.stream_misses += c.stream_misses;
	run.ipis += c.ipis;
	run.mem_ns += c.mem_ns;
	run.ipi_ns += c.ipi_ns;
	nr_window++;
	write_row(label, (now - t0_us) / 1e6, fast, all, best, total, &c);
	win_start_us = now;
}

/* Does @line miss the LLC model? Inserts it (LRU) if so. */
static bool llc_miss(uint64_t line)
{
	uint64_t set = (line ^ (line >> 17)) & (llc_sets - 1);
	uint64_t *tag = &llc_tag[set * llc_ways], *used = &llc_used[set * llc_ways];
	uint64_t i, victim = 0;

	llc_clock++;
	for (i = 0; i < llc_ways; i++) {
		if (tag[i] == line + 1) {
			used[i] = llc_clock;
			return false;
		}
		if (used[i] < used[victim])
			victim = i;
	}
	tag[victim] = line + 1;
	used[victim] = llc_clock;
	return true;
}

/*
 * Charge a miss of @line on node fast/slow to the running vCPU: the line's
 * transfer time if it continues one of the vCPU's recent miss streams, its
 * node's latency otherwise.
 */
static void charge(struct vcpu *v, uint64_t line, bool fast)
{
	uint64_t ns = fast ? fast_ns : slow_ns;
	unsigned int i;

	/* the vCPU's previous access hit this line: it is the set's MRU */
	if (v->last_line == line + 1)
		return;
	v->last_line = line + 1;
	if (!llc_miss(line))
		return;
	win.misses++;
	for (i = 0; i < STREAMS; i++) {
		if (v->stream[i] + 1 == line || v->stream[i] == line + 1) {
			v->stream[i] = line;
			ns = fast ? fast_line_ns : slow_line_ns;
			win.stream_misses++;
			break;
		}
	}
	if (i == STREAMS) {
		v->stream[v->next_stream] = line;
		v->next_stream = (v->next_stream + 1) % STREAMS;
	}
	win.mem_ns += ns;
	qemu_plugin_charge_ns(time_handle, ns);
}

static void mem_access(unsigned int vcpu, qemu_plugin_meminfo_t info,
		       uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw;
	struct vcpu *v = &vcpus[vcpu % MAX_VCPUS];
	uint64_t pa, page;
	bool counted;

	counted = !(user_only && (vaddr >> 47)) &&
		  (sample <= 1 || !(xorshift(&v->rng) % sample));
	if (!counted && !model)
		return;
	hw = qemu_plugin_get_hwaddr(info, vaddr);
	if (!hw || qemu_plugin_hwaddr_is_io(hw))
		return;
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	page = pa >> PAGE_SHIFT;
	if (page >= ram_pages)
		return;
	if (model)
		charge(v, pa >> LINE_SHIFT, page < fast_pages);
	if (!counted)
		return;
	/* the model runs under icount: one thread runs every vCPU */
	if (model)
		win_counts[page]++;
	else
		__atomic_fetch_add(&win_counts[page], 1, __ATOMIC_RELAXED);
	v->fast += page < fast_pages;
	if (++v->all % CHECK_EVERY == 0) {
		uint64_t now = g_get_monotonic_time();

		if (now - win_start_us >= window_us && g_mutex_trylock(&roll_lock)) {
			if (now - win_start_us >= window_us)
				roll(now);
			g_mutex_unlock(&roll_lock);
		}
	}
}

static void ipi_entered(unsigned int vcpu, void *udata)
{
	win.ipis++;
	win.ipi_ns += ipi_ns;
	qemu_plugin_charge_ns(time_handle, ipi_ns);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (model && ipi_addr && qemu_plugin_insn_vaddr(insn) == ipi_addr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, ipi_entered,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
		qemu_plugin_register_vcpu_mem_cb(insn, mem_access,
						 QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	uint64_t best, total, fast = 0, i;

	g_mutex_lock(&roll_lock);
	roll(g_get_monotonic_time());
	best = oracle(run_counts, true, ram_pages, &total, "run");
	for (i = 0; i < fast_pages; i++)
		fast += run_counts[i];
	write_row("run", (g_get_monotonic_time() - t0_us) / 1e6, fast, total, best,
		  total, &run);
	g_mutex_unlock(&roll_lock);
	fclose(out);
	if (curve_out)
		fclose(curve_out);
}

static bool parse_u64(const char *val, uint64_t min, uint64_t max, uint64_t *res)
{
	char *end;
	unsigned long long v = strtoull(val, &end, 0);

	if (!*val || *end || v < min || v > max)
		return false;
	*res = v;
	return true;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	uint64_t fast_mb = 0, ram_mb = 0, window_ms = 1000, lines, curve_step_mb = 16;
	const char *path = NULL, *curve_path = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *key = argv[i], *val = eq ? eq + 1 : "";
		bool ok;

		if (eq)
			*eq = 0;
		if (!strcmp(key, "fast_mb"))
			ok = parse_u64(val, 1, 2048, &fast_mb);
		else if (!strcmp(key, "ram_mb"))
			ok = parse_u64(val, 1, 2048, &ram_mb);
		else if (!strcmp(key, "window_ms"))
			ok = parse_u64(val, 10, 3600000, &window_ms);
		else if (!strcmp(key, "sample"))
			ok = parse_u64(val, 1, 1000000, &sample);
		else if (!strcmp(key, "user"))
			ok = qemu_plugin_bool_parse(key, val, &user_only);
		else if (!strcmp(key, "model"))
			ok = qemu_plugin_bool_parse(key, val, &model);
		else if (!strcmp(key, "fast_ns"))
			ok = parse_u64(val, 0, 100000, &fast_ns);
		else if (!strcmp(key, "slow_ns"))
			ok = parse_u64(val, 0, 100000, &slow_ns);
		else if (!strcmp(key, "fast_line_ns"))
			ok = parse_u64(val, 0, 100000, &fast_line_ns);
		else if (!strcmp(key, "slow_line_ns"))
			ok = parse_u64(val, 0, 100000, &slow_line_ns);
		else if (!strcmp(key, "llc_kb"))
			ok = parse_u64(val, 0, 1048576, &llc_kb);
		else if (!strcmp(key, "llc_ways"))
			ok = parse_u64(val, 1, 64, &llc_ways);
		else if (!strcmp(key, "ipi_addr"))
			ok = parse_u64(val, 1, UINT64_MAX, &ipi_addr);
		else if (!strcmp(key, "ipi_ns"))
			ok = parse_u64(val, 0, 1000000, &ipi_ns);
		else if (!strcmp(key, "out"))
			ok = *(path = val) != 0;
		else if (!strcmp(key, "oracle_out"))
			ok = *(curve_path = val) != 0;
		else if (!strcmp(key, "oracle_step_mb"))
			ok = parse_u64(val, 1, 2048, &curve_step_mb);
		else
			ok = false;
		if (!ok) {
			fprintf(stderr, "tier_access: bad argument '%s%s%s' (fast_mb, ram_mb <= 2048, window_ms, sample, user, model, fast_ns, slow_ns, fast_line_ns, slow_line_ns <= 100000, llc_kb, llc_ways <= 64, ipi_addr, ipi_ns, out, oracle_out, oracle_step_mb)\n",
				key, eq ? "=" : "", val);
			return -1;
		}
	}
	if (!fast_mb || !ram_mb || fast_mb >= ram_mb || !path) {
		fprintf(stderr, "tier_access: needs fast_mb < ram_mb and out=FILE\n");
		return -1;
	}
	lines = (llc_kb << 10) >> LINE_SHIFT;
	llc_sets = lines / llc_ways;
	if (model && (!llc_sets || llc_sets * llc_ways != lines ||
		      (llc_sets & (llc_sets - 1)))) {
		fprintf(stderr, "tier_access: llc_kb=%" PRIu64 " with llc_ways=%" PRIu64
			" does not give a power-of-2 number of 64-byte-line sets\n",
			llc_kb, llc_ways);
		return -1;
	}
	if (model) {
		time_handle = qemu_plugin_request_time_control();
		if (!time_handle || !qemu_plugin_charge_ns(time_handle, 0)) {
			fprintf(stderr, "tier_access: model=on needs time control and -icount shift=N (a fixed shift) in a QEMU with qemu_plugin_charge_ns (make qemu)\n");
			return -1;
		}
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "tier_access: cannot write %s\n", path);
		return -1;
	}
	if (curve_path) {
		curve_out = fopen(curve_path, "w");
		if (!curve_out) {
			fprintf(stderr, "tier_access: cannot write %s\n", curve_path);
			return -1;
		}
		curve_step = curve_step_mb << (20 - PAGE_SHIFT);
		fprintf(curve_out, "window,unix_s,accesses");
		for (uint64_t mb = curve_step_mb; mb <= fast_mb; mb += curve_step_mb)
			fprintf(curve_out, ",top_%" PRIu64 "mb", mb);
		fputc('\n', curve_out);
	}
	fast_pages = fast_mb << (20 - PAGE_SHIFT);
	ram_pages = ram_mb << (20 - PAGE_SHIFT);
	window_us = window_ms * 1000;
	win_counts = g_new0(uint32_t, ram_pages);
	run_counts = g_new0(uint64_t, ram_pages);
	if (model) {
		llc_tag = g_new0(uint64_t, lines);
		llc_used = g_new0(uint64_t, lines);
	}
	for (i = 0; i < MAX_VCPUS; i++)
		vcpus[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
	fprintf(out, "window,t_s,unix_s,accesses,fast,fast_ratio,oracle_ratio,efficiency,misses,stream_misses,ipis,mem_ms,ipi_ms\n");
	t0_us = win_start_us = g_get_monotonic_time();
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
