// SPDX-License-Identifier: GPL-2.0
/*
 * xsbench: the macroscopic cross-section lookup of XSBench (Monte Carlo
 * neutron transport), nuclide-grid method: for a random energy and a
 * material (the fuel, with most nuclides, is chosen most often), binary
 * search each of the material's nuclides' energy grids and interpolate five
 * cross sections. The grids are large and read at random.
 * Check: a sample of the lookups recomputed at the end with a linear scan
 * gives the same results.
 */
#include "workload.h"

#define NXS 5

struct gridpoint {
	double energy;
	double xs[NXS];
};

static long nuclides = 68, points = 40000;
static struct gridpoint *grid;		/* nuclides x points, energies ascending */
static int mat_n[12];			/* nuclides per material */
static int *mat_nuc[12];
static double *mat_conc[12];

static struct gridpoint *grid_of(long nuc) { return grid + nuc * points; }

static long search(const struct gridpoint *g, double e, bool linear)
{
	long lo = 0, hi = points - 1;

	if (linear) {
		for (lo = 0; lo < points - 2 && g[lo + 1].energy <= e; lo++)
			;
		return lo;
	}
	while (hi - lo > 1) {
		long mid = (lo + hi) / 2;

		if (g[mid].energy > e)
			hi = mid;
		else
			lo = mid;
	}
	return lo < points - 1 ? lo : points - 2;
}

static void lookup(double e, int mat, double macro[NXS], bool linear)
{
	int i, k;

	for (k = 0; k < NXS; k++)
		macro[k] = 0;
	for (i = 0; i < mat_n[mat]; i++) {
		const struct gridpoint *g = grid_of(mat_nuc[mat][i]);
		long lo = search(g, e, linear);
		double f = (g[lo + 1].energy - e) / (g[lo + 1].energy - g[lo].energy);

		for (k = 0; k < NXS; k++)
			macro[k] += mat_conc[mat][i] *
				    (g[lo + 1].xs[k] - f * (g[lo + 1].xs[k] - g[lo].xs[k]));
	}
}

static int pick_material(uint64_t *seed)
{
	/* XSBench's material distribution: fuel 14%, then the rest */
	static const double dist[12] = { .140, .052, .275, .134, .154, .064,
					 .066, .055, .008, .015, .025, .013 };
	double r = (wl_rand(seed) >> 11) * 0x1.0p-53, acc = 0;
	int m;

	for (m = 0; m < 11; m++) {
		acc += dist[m];
		if (r < acc)
			return m;
	}
	return 11;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: xsbench [-g GRIDPOINTS] [-n THOUSAND_LOOKUPS] [-r MARK_DIR]\n"
		"  defaults: -g 40000 (68 nuclides x 48 bytes: 125 MiB) -n 40\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const int sizes[12] = { 34, 5, 4, 4, 27, 21, 21, 21, 21, 21, 9, 9 };
	long lookups_k = 40, i, j, q, lookups;
	uint64_t seed = 5, vseed;
	double macro[NXS], check[NXS], verify = 0;
	bool ok = true;
	int c, m, k;

	wl_name = "xsbench";
	while ((c = getopt(argc, argv, "g:n:r:")) != -1) {
		switch (c) {
		case 'g': points = wl_arg("g", optarg, 16, 10000000); break;
		case 'n': lookups_k = wl_arg("n", optarg, 1, 1 << 20); break;
		case 'r': wl_mark_dir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	seed = wl_seed(5);
	lookups = lookups_k * 1000;

	grid = wl_alloc(nuclides * points * sizeof(*grid));
	for (i = 0; i < nuclides; i++) {
		struct gridpoint *g = grid_of(i);
		double e = 0;

		for (j = 0; j < points; j++) {
			e += ((wl_rand(&seed) >> 11) * 0x1.0p-53 + 1e-3) / points;
			g[j].energy = e;
			for (k = 0; k < NXS; k++)
				g[j].xs[k] = (wl_rand(&seed) >> 11) * 0x1.0p-53;
		}
	}
	for (m = 0; m < 12; m++) {
		mat_n[m] = sizes[m];
		mat_nuc[m] = malloc(sizes[m] * sizeof(int));
		mat_conc[m] = malloc(sizes[m] * sizeof(double));
		if (!mat_nuc[m] || !mat_conc[m])
			wl_die("out of memory");
		for (i = 0; i < sizes[m]; i++) {
			/* the fuel has nuclides 0..33; others draw from all */
			mat_nuc[m][i] = m == 0 ? i : (long)(wl_rand(&seed) % nuclides);
			mat_conc[m][i] = (wl_rand(&seed) >> 11) * 0x1.0p-53;
		}
	}

	wl_start();
	vseed = seed;
	for (q = 0; q < lookups; q++) {
		/* energies within every grid's range: below the smallest maximum */
		double e = (wl_rand(&seed) >> 11) * 0x1.0p-53 * 0.5;

		lookup(e, pick_material(&seed), macro, false);
		verify += macro[0] + macro[NXS - 1];
		if (!(q & 63))
			wl_progress(q);
	}
	wl_stop();
	/* untimed check: replay every 10000th lookup with linear scans */
	for (q = 0; q < lookups; q++) {
		double e = (wl_rand(&vseed) >> 11) * 0x1.0p-53 * 0.5;

		m = pick_material(&vseed);
		if (q % 10000)
			continue;
		lookup(e, m, macro, false);
		lookup(e, m, check, true);
		for (k = 0; k < NXS; k++)
			ok &= fabs(macro[k] - check[k]) <= 1e-9 * (1 + fabs(check[k]));
	}
	return wl_finish(lookups, ok && verify > 0);
}
