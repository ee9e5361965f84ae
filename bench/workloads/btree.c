// SPDX-License-Identifier: GPL-2.0
/*
 * btree: point lookups with Zipf-skewed keys in a B+ tree built bottom-up
 * from sorted keys (nodes of 32 keys, 512-byte aligned). Hot keys are
 * scattered over the key space, so hot leaves are spread over memory.
 * Check: every lookup finds its key's value.
 */
#include "workload.h"

#define FANOUT	32

struct node {
	uint64_t keys[FANOUT];		/* leaf: keys; inner: smallest key of each child */
	union {
		struct node *child[FANOUT];
		uint64_t val[FANOUT];
	};
} __attribute__((aligned(512)));

static uint64_t value_of(uint64_t k) { return k * 0x9e3779b97f4a7c15ULL ^ 0xabcdef; }

static void usage(void)
{
	fprintf(stderr,
		"Usage: btree [-k MILLION_KEYS] [-n MILLION_LOOKUPS] [-z ZIPF_THETA_PCT] [-r MARK_DIR]\n"
		"  defaults: -k 8 -n 2 -z 99 (theta 0.99)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long keys_m = 8, lookups_m = 2, theta = 99;
	uint64_t nkeys, nleaves, level_n, i, j, q, lookups, bad = 0, seed = 7;
	int height = 0, d;
	struct node *level, *next, *root;
	struct wl_zipf z;
	int c;

	wl_name = "btree";
	while ((c = getopt(argc, argv, "k:n:z:r:")) != -1) {
		switch (c) {
		case 'k': keys_m = wl_arg("k", optarg, 1, 1 << 16); break;
		case 'n': lookups_m = wl_arg("n", optarg, 1, 1 << 20); break;
		case 'z': theta = wl_arg("z", optarg, 1, 99); break;
		case 'r': wl_mark_dir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	seed = wl_seed(7);
	nkeys = (uint64_t)keys_m * 1000000;
	lookups = (uint64_t)lookups_m * 1000000;

	/* leaves: keys 2i + 1 (odd), all full but the last */
	nleaves = (nkeys + FANOUT - 1) / FANOUT;
	level = wl_alloc(nleaves * sizeof(*level));
	for (i = 0; i < nkeys; i++) {
		level[i / FANOUT].keys[i % FANOUT] = 2 * i + 1;
		level[i / FANOUT].val[i % FANOUT] = value_of(2 * i + 1);
	}
	for (i = nkeys; i < nleaves * FANOUT; i++)
		level[i / FANOUT].keys[i % FANOUT] = UINT64_MAX;
	level_n = nleaves;
	/* inner levels, each over the one below */
	while (level_n > 1) {
		uint64_t n = (level_n + FANOUT - 1) / FANOUT;

		next = wl_alloc(n * sizeof(*next));
		for (i = 0; i < n * FANOUT; i++) {
			next[i / FANOUT].keys[i % FANOUT] = i < level_n ? level[i].keys[0] : UINT64_MAX;
			next[i / FANOUT].child[i % FANOUT] = i < level_n ? &level[i] : NULL;
		}
		level = next;
		level_n = n;
		height++;
	}
	root = level;
	wl_zipf_init(&z, nkeys, theta / 100.0);

	wl_start();
	for (q = 0; q < lookups; q++) {
		uint64_t key = 2 * wl_scatter(wl_zipf(&z, &seed), nkeys) + 1;
		struct node *n = root;

		/* descend: the last child whose smallest key is <= key */
		for (d = 0; d < height; d++) {
			for (j = 1; j < FANOUT && n->keys[j] <= key; j++)
				;
			n = n->child[j - 1];
		}
		for (j = 0; j < FANOUT && n->keys[j] != key; j++)
			;
		if (j == FANOUT || n->val[j] != value_of(key))
			bad++;
		if (!(q & 1023))
			wl_progress(q);
	}
	wl_stop();
	return wl_finish(lookups, bad == 0);
}
