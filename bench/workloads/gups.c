// SPDX-License-Identifier: GPL-2.0
/*
 * gups: random read-modify-write updates of 64-bit words of a table, a
 * share of them to a hot set (GUPS with a hot set, as in the tiering
 * papers). With -M the hot set moves to another part of the table that
 * many times during the run. -s binds the first touch of a share of the
 * table to the slow node (the testbed's latency check), else the kernel
 * places it. Check: the words add up to their start plus the updates.
 */
#include "workload.h"

static void usage(void)
{
	fprintf(stderr,
		"Usage: gups [-m TABLE_MIB] [-h HOT_MIB] [-p HOT_PCT] [-n MILLION_UPDATES]\n"
		"            [-M MOVES] [-s SLOW_PCT] [-r MARK_DIR]\n"
		"  defaults: -m 512 -h 64 -p 90 -n 16 -M 0; -h 0 spreads updates\n"
		"  uniformly; -s binds the first SLOW_PCT%% of the table to the slow\n"
		"  tier's first node, the rest to the fast tier's.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long table_mb = 512, hot_mb = 64, hot_pct = 90, updates_m = 16;
	long moves = 0, slow_pct = -1;
	uint64_t *t, n, hot_n, hot_off, i, u, updates, seed = 42;
	uint64_t sum = 0, want, per_phase;
	int c;

	wl_name = "gups";
	while ((c = getopt(argc, argv, "m:h:p:n:M:s:r:")) != -1) {
		switch (c) {
		case 'm': table_mb = wl_arg("m", optarg, 1, 1 << 20); break;
		case 'h': hot_mb = wl_arg("h", optarg, 0, 1 << 20); break;
		case 'p': hot_pct = wl_arg("p", optarg, 0, 100); break;
		case 'n': updates_m = wl_arg("n", optarg, 1, 1 << 20); break;
		case 'M': moves = wl_arg("M", optarg, 0, 1000); break;
		case 's': slow_pct = wl_arg("s", optarg, 0, 100); break;
		case 'r': wl_mark_dir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	seed = wl_seed(42);
	if (hot_mb > table_mb) {
		fprintf(stderr, "gups: the hot set (%ld MiB) exceeds the table (%ld MiB)\n",
			hot_mb, table_mb);
		return 2;
	}
	n = (uint64_t)table_mb << 17;		/* words */
	hot_n = (uint64_t)hot_mb << 17;
	updates = (uint64_t)updates_m * 1000000;
	t = wl_alloc(n * 8);
	if (slow_pct >= 0) {
		size_t slow = (n * 8 * slow_pct / 100) & ~4095UL;

		wl_bind(t, slow, wl_tier_node(true));
		wl_bind((char *)t + slow, n * 8 - slow, wl_tier_node(false));
	}
	for (i = 0; i < n; i++)
		t[i] = i;
	if (slow_pct >= 0)
		wl_unbind(t, n * 8);

	per_phase = updates / (moves + 1) + 1;
	hot_off = hot_n ? (n / 2) / hot_n * hot_n % (n - hot_n + 1) : 0;
	wl_start();
	for (u = 0; u < updates; u++) {
		uint64_t r = wl_rand(&seed), idx;

		if (moves && u && u % per_phase == 0)	/* next hot set: a third further on */
			hot_off = (hot_off + n / 3) % (n - hot_n + 1) & ~511ULL;
		if (hot_n && r % 100 < (uint64_t)hot_pct)
			idx = hot_off + (r >> 8) % hot_n;
		else
			idx = (r >> 8) % n;
		t[idx]++;
		if (!(u & 4095))
			wl_progress(u);
	}
	wl_stop();
	for (i = 0; i < n; i++)
		sum += t[i];
	want = n * (n - 1) / 2 + updates;
	return wl_finish(updates, sum == want);
}
