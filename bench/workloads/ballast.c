// SPDX-License-Identifier: GPL-2.0
/*
 * ballast: fill a node with cold data and wait, so that a workload
 * started next finds the fast tier full (as after a long uptime). Takes
 * MiB from the node's free memory minus a reserve; creates READY_FILE once
 * it touched everything, then sleeps until killed.
 */
#include <signal.h>

#include "workload.h"

static long node_free_mb(int nid)
{
	char path[128], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nid);
	f = fopen(path, "r");
	if (!f)
		wl_die("cannot read the node's meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %*d MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		wl_die("no MemFree in the node's meminfo");
	return kb >> 10;
}

int main(int argc, char **argv)
{
	long node = -1, reserve = 16, mb;
	const char *ready = NULL;
	size_t i, len;
	char *p;
	int c;

	wl_name = "ballast";
	while ((c = getopt(argc, argv, "N:R:r:")) != -1) {
		switch (c) {
		case 'N': node = wl_arg("N", optarg, 0, 63); break;
		case 'R': reserve = wl_arg("R", optarg, 0, 1 << 20); break;
		case 'r': ready = optarg; break;
		default:
			fprintf(stderr, "Usage: ballast [-N NODE] [-R RESERVE_MIB] [-r READY_FILE]\n"
				"  defaults: -N the fast tier's first node, -R 16\n");
			return 2;
		}
	}
	if (node < 0)
		node = wl_tier_node(false);
	mb = node_free_mb(node) - reserve;
	if (mb <= 0) {
		fprintf(stderr, "ballast: node %ld has no more than %ld MiB free\n", node, reserve);
		return 1;
	}
	len = (size_t)mb << 20;
	p = wl_alloc(len);
	wl_bind(p, len, node);
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	wl_unbind(p, len);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f)
			wl_die("cannot create the ready file");
		fprintf(f, "%ld\n", mb);
		fclose(f);
	}
	for (;;)
		pause();
}
