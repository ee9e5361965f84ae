// SPDX-License-Identifier: GPL-2.0
/*
 * pagerank: pull-based PageRank iterations on a generated power-law graph
 * (in CSR: each vertex's in-neighbours; sources drawn from a power law
 * scattered over the vertex ids, so a few vertices have most out-edges and
 * their ranks are the hot data). Check: the ranks sum to 1.
 */
#include "workload.h"

static void usage(void)
{
	fprintf(stderr,
		"Usage: pagerank [-v THOUSAND_VERTICES] [-d AVG_DEGREE] [-i ITERATIONS] [-r MARK_DIR]\n"
		"  defaults: -v 1000 -d 4 -i 4\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long vert_k = 1000, degree = 4, iters = 4;
	uint64_t nv, ne, v, e, it, seed = 11;
	uint32_t *off, *src, *outdeg;
	double *rank, *next, *contrib, sum, dangling;
	int c;

	wl_name = "pagerank";
	while ((c = getopt(argc, argv, "v:d:i:r:")) != -1) {
		switch (c) {
		case 'v': vert_k = wl_arg("v", optarg, 1, 1000000); break;
		case 'd': degree = wl_arg("d", optarg, 1, 1000); break;
		case 'i': iters = wl_arg("i", optarg, 1, 1000); break;
		case 'r': wl_mark_dir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	seed = wl_seed(11);
	nv = (uint64_t)vert_k * 1000;
	ne = nv * degree;
	if (ne > UINT32_MAX) {
		fprintf(stderr, "pagerank: at most 2^32 edges\n");
		return 2;
	}
	off = wl_alloc((nv + 1) * sizeof(*off));
	src = wl_alloc(ne * sizeof(*src));
	outdeg = wl_alloc(nv * sizeof(*outdeg));
	rank = wl_alloc(nv * sizeof(*rank));
	next = wl_alloc(nv * sizeof(*next));
	contrib = wl_alloc(nv * sizeof(*contrib));

	/*
	 * every vertex gets degree in-edges; a source's rank is n u^3 for a
	 * uniform u (a power law, density ~ rank^-2/3, without pow() per edge)
	 */
	for (v = 0; v <= nv; v++)
		off[v] = v * degree;
	for (e = 0; e < ne; e++) {
		double u = (wl_rand(&seed) >> 11) * 0x1.0p-53;

		src[e] = wl_scatter((uint64_t)(nv * u * u * u), nv);
		outdeg[src[e]]++;
	}
	for (v = 0; v < nv; v++)
		rank[v] = 1.0 / nv;

	wl_start();
	for (it = 0; it < (uint64_t)iters; it++) {
		dangling = 0;
		for (v = 0; v < nv; v++) {
			contrib[v] = outdeg[v] ? rank[v] / outdeg[v] : 0;
			if (!outdeg[v])
				dangling += rank[v];
		}
		for (v = 0; v < nv; v++) {
			double s = 0;

			for (e = off[v]; e < off[v + 1]; e++)
				s += contrib[src[e]];
			next[v] = 0.15 / nv + 0.85 * (s + dangling / nv);
			if (!(v & 4095))	/* ops: vertices updated */
				wl_progress(it * nv + v);
		}
		memcpy(rank, next, nv * sizeof(*rank));
	}
	sum = 0;
	for (v = 0; v < nv; v++)
		sum += rank[v];
	wl_stop();
	return wl_finish(iters * ne, fabs(sum - 1) < 1e-6);
}
