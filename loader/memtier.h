/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which memory tier each NUMA node is in, as the kernel ranks them
 * (/sys/devices/virtual/memory_tiering/memory_tierN/nodelist, from
 * mm/memory-tiers.c: a larger N is a larger abstract distance, slower).
 * For tierctl, the workloads and the tests, so that none assumes node 0
 * fast and node 1 slow: on a two-socket host with CXL memory nodes 0-1
 * are the top tier and node 2 the lower one. "Fast" is the kernel's top
 * tier (node_is_toptier(), what bpf_tier_node_tier() returns 0 for): every
 * tier up to the slowest one that holds a node with CPUs. Needs libnuma
 * (-lnuma).
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
			/* _all: nodes outside our cpuset count too */
			nodes = numa_parse_nodestring_all(list);
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
 * Fill @cls[0..@nr) with 1 for a node of the top (fast) tier, 0 for a node
 * of a lower (slow) tier, -1 for a node in no tier. Returns the number of
 * tiers (0: no memory tiers; then every entry is -1).
 */
static inline int memtier_classes(int *cls, int nr)
{
	int top = -1, tiers = memtier_ranks(cls, nr);

	/* the slowest tier with CPUs ends the top tier (memory-tiers.c) */
	for (int i = 0; i < nr; i++) {
		struct bitmask *cpus;

		if (cls[i] <= top)
			continue;
		cpus = numa_allocate_cpumask();
		if (cpus && !numa_node_to_cpus(i, cpus) &&
		    numa_bitmask_weight(cpus))
			top = cls[i];
		numa_free_cpumask(cpus);
	}
	if (top < 0)
		top = 0;
	for (int i = 0; i < nr; i++)
		if (cls[i] >= 0)
			cls[i] = cls[i] <= top;
	return tiers;
}

/* The first node of the fast tier, or of a slow one if @slow; -1 if none. */
static inline int memtier_node(bool slow)
{
	int cls[MEMTIER_MAX_NODES];

	memtier_classes(cls, MEMTIER_MAX_NODES);
	for (int i = 0; i < MEMTIER_MAX_NODES; i++)
		if (cls[i] == !slow)
			return i;
	return -1;
}

#endif /* __TIER_EXT_MEMTIER_H */
