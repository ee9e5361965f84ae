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
 *
 * sample=N counts each access with probability 1/N (a per-vCPU xorshift);
 * user=on counts only accesses to user virtual addresses (below 2^47).
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

static uint64_t fast_pages, ram_pages, sample = 1, window_us = 1000000;
static bool user_only;
static FILE *out;

static uint32_t *win_counts;	/* per page, this window */
static uint64_t *run_counts;	/* per page, the whole run */
static uint64_t win_fast, win_all, win_start_us, t0_us, nr_window;
static GMutex roll_lock;

static struct vcpu {
	uint64_t rng;
	uint64_t seen;
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
		      uint64_t best, uint64_t total)
{
	double ratio = all ? (double)fast / all : 0;
	double ideal = total ? (double)best / total : 0;

	fprintf(out, "%s,%.3f,%.3f,%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f\n", label,
		t, g_get_real_time() / 1e6, all, fast, ratio, ideal,
		ideal > 0 ? ratio / ideal : 0);
	fflush(out);
}

/* Close the current window: write its row, fold it into the run. */
static void roll(uint64_t now)
{
	uint64_t all, fast, best, total, i;
	char label[32];

	best = oracle(win_counts, false, ram_pages, &total);
	for (i = 0; i < ram_pages; i++)
		run_counts[i] += __atomic_exchange_n(&win_counts[i], 0, __ATOMIC_RELAXED);
	all = __atomic_exchange_n(&win_all, 0, __ATOMIC_RELAXED);
	fast = __atomic_exchange_n(&win_fast, 0, __ATOMIC_RELAXED);
	snprintf(label, sizeof(label), "%" PRIu64, nr_window++);
	write_row(label, (now - t0_us) / 1e6, fast, all, best, total);
	win_start_us = now;
}

static void mem_access(unsigned int vcpu, qemu_plugin_meminfo_t info,
		       uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw;
	struct vcpu *v = &vcpus[vcpu % MAX_VCPUS];
	uint64_t pa, page;

	if (user_only && (vaddr >> 47))
		return;
	if (sample > 1 && xorshift(&v->rng) % sample)
		return;
	hw = qemu_plugin_get_hwaddr(info, vaddr);
	if (!hw || qemu_plugin_hwaddr_is_io(hw))
		return;
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	page = pa >> PAGE_SHIFT;
	if (page >= ram_pages)
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
		  total);
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
		else if (!strcmp(key, "out"))
			ok = *(path = val) != 0;
		else
			ok = false;
		if (!ok) {
			fprintf(stderr, "tier_access: bad argument '%s%s%s' (fast_mb, ram_mb <= 2048, window_ms, sample, user, out)\n",
				key, eq ? "=" : "", val);
			return -1;
		}
	}
	if (!fast_mb || !ram_mb || fast_mb >= ram_mb || !path) {
		fprintf(stderr, "tier_access: needs fast_mb < ram_mb and out=FILE\n");
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
	for (i = 0; i < MAX_VCPUS; i++)
		vcpus[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
	fprintf(out, "window,t_s,unix_s,accesses,fast,fast_ratio,oracle_ratio,efficiency\n");
	t0_us = win_start_us = g_get_monotonic_time();
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
