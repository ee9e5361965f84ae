/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which memory tier each NUMA node is in, as the kernel ranks them
 * (/sys/devices/virtual/memory_tiering/memory_tierN/nodelist, from
 * mm/memory-tiers.c: a larger N is a larger abstract distance, slower).
 * For tierctl, the workloads and the tests, so that none assumes node 0
 * fast and node 1 slow: on a two-socket host with CXL memory nodes 0-1
 * are the top tier and node 2 the lower one. Needs libnuma (-lnuma).
 */
#ifndef __TIER_EXT_MEMTIER_H
#define __TIER_EXT_MEMTIER_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <numa.h>

#define MEMTIER_DIR	"/sys/devices/virtual/memory_tiering"

/*
 * Fill @rank[0..@nr) with each node's tier rank, 0 the fastest, -1 for a
 * node in no tier (no memory, or no such node). Returns the number of
 * tiers; 0 if the kernel has no memory tiers (CONFIG_NUMA off, or a
 * kernel before 6.1): then every rank is -1.
 */
static inline int memtier_ranks(int *rank, int nr)
{
	struct dirent **ents;
	int n, r = 0;

	for (int i = 0; i < nr; i++)
		rank[i] = -1;
	n = scandir(MEMTIER_DIR, &ents, NULL, versionsort);
	for (int i = 0; i < n; i++) {
		char path[512], list[256] = "";
		struct bitmask *nodes = NULL;
		FILE *f = NULL;

		if (!strncmp(ents[i]->d_name, "memory_tier", 11)) {
			snprintf(path, sizeof(path), MEMTIER_DIR "/%s/nodelist",
				 ents[i]->d_name);
			f = fopen(path, "r");
		}
		free(ents[i]);
		if (!f)
			continue;
		if (fgets(list, sizeof(list), f)) {
			list[strcspn(list, "\n")] = '\0';	/* libnuma wants none */
			nodes = numa_parse_nodestring(list);
		}
		fclose(f);
		if (!nodes)
			continue;
		for (int k = 0; k < nr; k++)
			if (numa_bitmask_isbitset(nodes, k))
				rank[k] = r;
		numa_bitmask_free(nodes);
		r++;
	}
	if (n >= 0)
		free(ents);
	return r;
}

#define MEMTIER_MAX_NODES	64

/*
 * The first node of tier rank @r (0: the top, "fast" tier; 1: the first
 * lower, "slow" one), or -1 if there is none.
 */
static inline int memtier_node(int r)
{
	int rank[MEMTIER_MAX_NODES];

	memtier_ranks(rank, MEMTIER_MAX_NODES);
	for (int i = 0; i < MEMTIER_MAX_NODES; i++)
		if (rank[i] == r)
			return i;
	return -1;
}

/* Whether node @nid is in the top tier (false for -1 and unknown nodes). */
static inline bool memtier_is_fast(const int *rank, int nr, int nid)
{
	return nid >= 0 && nid < nr && rank[nid] == 0;
}

#endif /* __TIER_EXT_MEMTIER_H */
