// SPDX-License-Identifier: GPL-2.0
/*
 * hotset: allocate an area, touch it once, hammer a hot set placed on the
 * slow tier's first node, and print every interval the share of the hot set
 * and of the rest that sits in the fast tier, on any of its nodes (CSV:
 * seconds,hot_fast,cold_fast,passes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hotset.h"

static void usage(void)
{
	fprintf(stderr,
		"Usage: hotset [-m TOTAL_MIB] [-h HOT_MIB] [-o HOT_OFFSET_MIB] [-t SECONDS]\n"
		"              [-i INTERVAL_MS] [-M MOVE_AT_S:NEW_OFFSET_MIB] [-u] [-r READY_FILE]\n"
		"  defaults: -m 768 -h 64 -o 512 -t 30 -i 500; -u hammers everything;\n"
		"  READY_FILE is created once the area is touched.\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	long total = 768, hot = 64, off = 512, secs = 30, interval = 500;
	long move_at = -1, move_to = 0;
	const char *ready = NULL;
	bool uniform = false;
	struct hotset h;
	pthread_t th;
	double t0, t;
	int c, slow;

	while ((c = getopt(argc, argv, "m:h:o:t:i:M:ur:")) != -1) {
		switch (c) {
		case 'm': total = arg(optarg); break;
		case 'h': hot = arg(optarg); break;
		case 'o': off = arg(optarg); break;
		case 't': secs = arg(optarg); break;
		case 'i': interval = arg(optarg); break;
		case 'u': uniform = true; break;
		case 'r': ready = optarg; break;
		case 'M':
			if (sscanf(optarg, "%ld:%ld", &move_at, &move_to) != 2)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || !total || !hot || off + hot > total || !interval ||
	    (move_at >= 0 && move_to + hot > total))
		usage();
	slow = memtier_node(true);
	if (slow < 0) {
		fprintf(stderr, "hotset: no slow memory tier (%s)\n", MEMTIER_DIR);
		return 1;
	}
	if (hotset_setup(&h, total << 20, off << 20, hot << 20, slow)) {
		fprintf(stderr, "hotset: cannot set up %ld MiB: %s\n", total,
			strerror(errno));
		return 1;
	}
	h.uniform = uniform;
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	pthread_create(&th, NULL, hotset_hammer, &h);
	printf("seconds,hot_fast,cold_fast,passes\n");
	t0 = now();
	for (t = 0; t < secs; t = now() - t0) {
		size_t o = atomic_load(&h.hot_off);
		double hf = hotset_share_fast(&h, o, h.hot_len);
		double all = hotset_share_fast(&h, 0, h.total);
		double cf = (all * h.total - hf * h.hot_len) / (h.total - h.hot_len);

		printf("%.1f,%.3f,%.3f,%lu\n", t, hf, cf, atomic_load(&h.passes));
		fflush(stdout);
		if (move_at >= 0 && t >= move_at) {
			atomic_store(&h.hot_off, (size_t)move_to << 20);
			move_at = -1;
		}
		usleep(interval * 1000);
	}
	atomic_store(&h.stop, true);
	pthread_join(th, NULL);
	if (!hotset_verify(&h)) {
		fprintf(stderr, "hotset: data check failed\n");
		return 1;
	}
	return 0;
}
