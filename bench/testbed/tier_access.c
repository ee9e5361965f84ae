// SPDX-License-Identifier: GPL-2.0
/*
 * tier_access: a QEMU TCG plugin that measures where a tiered guest's
 * memory accesses are served from, as ground truth for tiering policies.
 *
 * Every guest load and store (or an unbiased 1-in-N sample of them) is
 * attributed by its guest-physical address to a node: QEMU lays the NUMA
 * nodes' memory out in order, so node 0 (fast) is [0, fast_mb) when guest
 * RAM fits below the 32-bit PCI hole (ram_mb <= 2048). Per page and per
 * time window the plugin counts accesses and writes, per window, the fast
 * tier's share of the accesses, the share an oracle would reach (the
 * fast_mb worth of the window's hottest pages all in fast memory) and
 * their ratio, the placement efficiency. A last row ("run") covers the
 * whole run. Each row has the window's end in seconds since the plugin
 * started and since the epoch (to align it with events outside the guest).
 *
 *   -plugin file=tier_access.so,fast_mb=256,ram_mb=1536,out=FILE.csv
 *           [,window_ms=1000][,sample=1][,user=on]
 *           [,fast_ns=80,slow_ns=300][,llc_kb=4096][,insn_ps=400][,stall=on]
 *
 * sample=N counts each access with probability 1/N (a per-vCPU xorshift);
 * user=on counts only accesses to user virtual addresses (below 2^47).
 *
 * Latency model: with fast_ns or slow_ns set, every access (not sampled;
 * only user ones with user=on) that misses a per-vCPU direct-mapped model
 * of the last-level cache (llc_kb, 64-byte lines; 0: no cache) is charged
 * its node's latency. QEMU 10.0's time control cannot set TCG's virtual clock
 * (without icount it is the host clock), so, as contrib/plugins/ips.c
 * does, the charge is paid by stalling the vCPU (stall=on, the default):
 * guest-measured runtimes then grow with the slow tier's share. Each row
 * also reports a modelled time that does not depend on TCG's speed or the
 * host's load: user instructions executed (insns) at insn_ps picoseconds
 * each plus the charged memory time (mem_ms), summed over vCPUs
 * (model_ms, a modelled user CPU time), and the time slept (stall_ms).
 * The model needs user=on: a stall in kernel code during device setup lets
 * the vCPU look up an address through a stale TLB entry after the memory
 * map changed (QEMU asserts in iotlb_to_section).
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define PAGE_SHIFT	12
#define MAX_VCPUS	256
#define CHECK_EVERY	4096	/* sampled accesses between clock reads */
#define LINE_SHIFT	6
#define STALL_QUANTUM_NS 1000000	/* sleep once this much is owed */

static uint64_t fast_pages, ram_pages, sample = 1, window_us = 1000000;
static bool user_only;
static FILE *out;

/* latency model */
static uint64_t fast_ns, slow_ns, llc_lines, llc_kb = 4096, insn_ps = 400;
static bool model, stall = true;
static uint64_t win_mem_ns, win_stall_ns, run_mem_ns, run_stall_ns;
static struct qemu_plugin_scoreboard *insn_board;
static qemu_plugin_u64 insn_count;	/* per vCPU, user instructions */
static uint64_t insns_seen;		/* at the last window's end */

static uint32_t *win_counts;	/* per page, this window */
static uint64_t *run_counts;	/* per page, the whole run */
static uint64_t win_fast, win_all, win_start_us, t0_us, nr_window;
static GMutex roll_lock;

static struct vcpu {
	uint64_t rng;
	uint64_t seen;
	int64_t debt_ns;	/* charged, not yet slept (negative: overslept) */
	uint64_t *llc;		/* line tags + 1; 0 is an empty slot */
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

/* Accesses the hottest fast_pages pages of @c (n pages) got, and the total. */
static uint64_t oracle(const void *c, bool wide, uint64_t n, uint64_t *total)
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
	for (i = 0; i < m && i < fast_pages; i++)
		sum += v[i];
	g_free(v);
	return sum;
}

/* @best of @total: what the oracle's placement would serve from fast memory */
static void write_row(const char *label, double t, uint64_t fast, uint64_t all,
		      uint64_t best, uint64_t total, uint64_t insns,
		      uint64_t mem_ns, uint64_t stall_ns)
{
	double ratio = all ? (double)fast / all : 0;
	double ideal = total ? (double)best / total : 0;

	fprintf(out, "%s,%.3f,%.3f,%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%" PRIu64
		",%.3f,%.3f,%.3f\n", label, t, g_get_real_time() / 1e6, all, fast,
		ratio, ideal, ideal > 0 ? ratio / ideal : 0, insns, mem_ns / 1e6,
		(insns * insn_ps / 1000 + mem_ns) / 1e6, stall_ns / 1e6);
	fflush(out);
}

/* Close the current window: write its row, fold it into the run. */
static void roll(uint64_t now)
{
	uint64_t all, fast, best, total, mem_ns, stall_ns, insns = 0, i;
	char label[32];

	best = oracle(win_counts, false, ram_pages, &total);
	for (i = 0; i < ram_pages; i++)
		run_counts[i] += __atomic_exchange_n(&win_counts[i], 0, __ATOMIC_RELAXED);
	all = __atomic_exchange_n(&win_all, 0, __ATOMIC_RELAXED);
	fast = __atomic_exchange_n(&win_fast, 0, __ATOMIC_RELAXED);
	mem_ns = __atomic_exchange_n(&win_mem_ns, 0, __ATOMIC_RELAXED);
	stall_ns = __atomic_exchange_n(&win_stall_ns, 0, __ATOMIC_RELAXED);
	if (model) {
		insns = qemu_plugin_u64_sum(insn_count) - insns_seen;
		insns_seen += insns;
	}
	run_mem_ns += mem_ns;
	run_stall_ns += stall_ns;
	snprintf(label, sizeof(label), "%" PRIu64, nr_window++);
	write_row(label, (now - t0_us) / 1e6, fast, all, best, total, insns,
		  mem_ns, stall_ns);
	win_start_us = now;
}

/* Charge a cache-missing access its node's latency; sleep off the debt. */
static void charge(struct vcpu *v, uint64_t pa, bool fast)
{
	uint64_t line = pa >> LINE_SHIFT, ns, slot;
	int64_t t0, slept;

	if (llc_lines) {
		slot = (line * 0x9e3779b97f4a7c15ULL) >> 40 & (llc_lines - 1);
		if (v->llc[slot] == line + 1)
			return;
		v->llc[slot] = line + 1;
	}
	ns = fast ? fast_ns : slow_ns;
	__atomic_fetch_add(&win_mem_ns, ns, __ATOMIC_RELAXED);
	if (!stall)
		return;
	v->debt_ns += ns;
	if (v->debt_ns < STALL_QUANTUM_NS)
		return;
	t0 = g_get_monotonic_time();
	g_usleep(v->debt_ns / 1000);
	slept = (g_get_monotonic_time() - t0) * 1000;
	v->debt_ns -= slept;
	__atomic_fetch_add(&win_stall_ns, slept, __ATOMIC_RELAXED);
}

static void mem_access(unsigned int vcpu, qemu_plugin_meminfo_t info,
		       uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw;
	struct vcpu *v = &vcpus[vcpu % MAX_VCPUS];
	uint64_t pa, page;
	bool counted;

	if (user_only && (vaddr >> 47))
		return;
	counted = sample <= 1 || !(xorshift(&v->rng) % sample);
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
		charge(v, pa, page < fast_pages);
	if (!counted)
		return;
	__atomic_fetch_add(&win_counts[page], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&win_all, 1, __ATOMIC_RELAXED);
	if (page < fast_pages)
		__atomic_fetch_add(&win_fast, 1, __ATOMIC_RELAXED);
	if (++v->seen % CHECK_EVERY == 0) {
		uint64_t now = g_get_monotonic_time();

		if (now - win_start_us >= window_us && g_mutex_trylock(&roll_lock)) {
			if (now - win_start_us >= window_us)
				roll(now);
			g_mutex_unlock(&roll_lock);
		}
	}
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	if (model && !(qemu_plugin_tb_vaddr(tb) >> 47))
		qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb,
			QEMU_PLUGIN_INLINE_ADD_U64, insn_count, n);
	for (i = 0; i < n; i++)
		qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i),
						 mem_access, QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	uint64_t best, total, fast = 0, i;

	g_mutex_lock(&roll_lock);
	roll(g_get_monotonic_time());
	best = oracle(run_counts, true, ram_pages, &total);
	for (i = 0; i < fast_pages; i++)
		fast += run_counts[i];
	write_row("run", (g_get_monotonic_time() - t0_us) / 1e6, fast, total, best,
		  total, insns_seen, run_mem_ns, run_stall_ns);
	g_mutex_unlock(&roll_lock);
	fclose(out);
}

static bool parse_u64(const char *val, uint64_t min, uint64_t max, uint64_t *res)
{
	char *end;
	unsigned long long v = strtoull(val, &end, 10);

	if (!*val || *end || v < min || v > max)
		return false;
	*res = v;
	return true;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	uint64_t fast_mb = 0, ram_mb = 0, window_ms = 1000;
	const char *path = NULL;
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
		else if (!strcmp(key, "fast_ns"))
			ok = parse_u64(val, 0, 100000, &fast_ns);
		else if (!strcmp(key, "slow_ns"))
			ok = parse_u64(val, 0, 100000, &slow_ns);
		else if (!strcmp(key, "llc_kb"))
			ok = parse_u64(val, 0, 1048576, &llc_kb) &&
			     !(llc_kb & (llc_kb - 1));
		else if (!strcmp(key, "insn_ps"))
			ok = parse_u64(val, 0, 1000000, &insn_ps);
		else if (!strcmp(key, "stall"))
			ok = qemu_plugin_bool_parse(key, val, &stall);
		else if (!strcmp(key, "out"))
			ok = *(path = val) != 0;
		else
			ok = false;
		if (!ok) {
			fprintf(stderr, "tier_access: bad argument '%s%s%s' (fast_mb, ram_mb <= 2048, window_ms, sample, user, out, fast_ns, slow_ns <= 100000, llc_kb a power of 2, insn_ps, stall)\n",
				key, eq ? "=" : "", val);
			return -1;
		}
	}
	if (!fast_mb || !ram_mb || fast_mb >= ram_mb || !path) {
		fprintf(stderr, "tier_access: needs fast_mb < ram_mb and out=FILE\n");
		return -1;
	}
	if ((fast_ns || slow_ns) && !user_only) {
		fprintf(stderr, "tier_access: the latency model (fast_ns, slow_ns) needs user=on\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "tier_access: cannot write %s\n", path);
		return -1;
	}
	fast_pages = fast_mb << (20 - PAGE_SHIFT);
	ram_pages = ram_mb << (20 - PAGE_SHIFT);
	window_us = window_ms * 1000;
	win_counts = g_new0(uint32_t, ram_pages);
	run_counts = g_new0(uint64_t, ram_pages);
	model = fast_ns || slow_ns;
	if (model) {
		insn_board = qemu_plugin_scoreboard_new(sizeof(uint64_t));
		insn_count = qemu_plugin_scoreboard_u64(insn_board);
	}
	llc_lines = model ? (llc_kb << 10) >> LINE_SHIFT : 0;
	for (i = 0; i < MAX_VCPUS; i++) {
		vcpus[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		if (llc_lines && i < info->system.max_vcpus)
			vcpus[i].llc = g_new0(uint64_t, llc_lines);
	}
	fprintf(out, "window,t_s,unix_s,accesses,fast,fast_ratio,oracle_ratio,efficiency,insns,mem_ms,model_ms,stall_ms\n");
	t0_us = win_start_us = g_get_monotonic_time();
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
