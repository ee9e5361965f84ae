/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hot-set workload, shared by bench/workloads/hotset.c and the
 * selftests: a large anonymous area touched once, and a hot set inside it
 * that is hammered (read-modify-write of every page) and can move.
 *
 * Every page holds its own index in its first word and a write counter in
 * its second; hotset_verify() checks both, so lost or misplaced data
 * (a bad migration) is detected.
 */
#ifndef __HOTSET_H
#define __HOTSET_H

#include <numaif.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "memtier.h"

#define HOTSET_PAGE	4096UL

struct hotset {
	char *base;
	size_t total;			/* bytes */
	_Atomic size_t hot_off;		/* bytes; the hammer follows changes */
	size_t hot_len;
	bool uniform;			/* hammer the whole area */
	atomic_bool stop;
	atomic_ulong passes;
	atomic_ulong writes;
	atomic_bool corrupt;
	int tier_class[MEMTIER_MAX_NODES];	/* memtier_classes(), read once */
};

/* Bind [off, off+len) to @nid for the first touch, then let it move. */
static inline int hotset_bind(struct hotset *h, size_t off, size_t len, int nid)
{
	unsigned long mask = 1UL << nid;

	return mbind(h->base + off, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0);
}

/*
 * Map @total bytes, put the hot set [hot_off, hot_off+hot_len) on
 * @slow_nid, touch every page once (the rest lands where the kernel puts
 * it: the fast node first).
 */
static inline int hotset_setup(struct hotset *h, size_t total, size_t hot_off,
			       size_t hot_len, int slow_nid)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	h->base = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->base == MAP_FAILED)
		return -1;
	madvise(h->base, total, MADV_NOHUGEPAGE);
	h->total = total;
	/* no memory tiers: node 0 is the fast one */
	if (!memtier_classes(h->tier_class, MEMTIER_MAX_NODES))
		h->tier_class[0] = 1;
	h->hot_off = hot_off;
	h->hot_len = hot_len;
	if (slow_nid >= 0 && hot_len && hotset_bind(h, hot_off, hot_len, slow_nid))
		return -1;
	for (i = 0; i < total; i += HOTSET_PAGE) {
		unsigned long *w = (unsigned long *)(h->base + i);

		w[0] = i / HOTSET_PAGE;
		w[1] = 0;
	}
	if (hot_len)
		mbind(h->base + hot_off, hot_len, MPOL_DEFAULT, NULL, 0, 0);
	return 0;
}

static inline void *hotset_hammer(void *arg)
{
	struct hotset *h = arg;
	unsigned long writes = 0;
	size_t i, off, len;
	char *base;

	while (!atomic_load(&h->stop)) {
		off = h->uniform ? 0 : atomic_load(&h->hot_off);
		len = h->uniform ? h->total : h->hot_len;
		/* a local base: no access to *h (on another page) per page */
		base = h->base;
		for (i = off; i < off + len; i += HOTSET_PAGE) {
			unsigned long *w = (unsigned long *)(base + i);

			if (w[0] != i / HOTSET_PAGE)
				atomic_store(&h->corrupt, true);
			w[1]++;
			writes++;
		}
		atomic_fetch_add(&h->passes, 1);
	}
	atomic_store(&h->writes, writes);
	return NULL;
}

/*
 * Reads of random pages of the whole area, paced to about @per_500ms
 * touches of every page per 500 ms, in 10 ms rounds (as fast as it can if
 * that is too fast): the uniform background of gups, whose tenth of
 * updates is spread over the table. Reads set accessed bits and leave the
 * data (and hotset_verify()) alone. Run it in a thread of its own.
 */
struct hotset_warm {
	struct hotset *h;
	double per_500ms;
	atomic_bool stop;
	atomic_ulong reads;		/* when it stopped */
};

static inline void *hotset_warm_reader(void *arg)
{
	struct hotset_warm *w = arg;
	size_t pages = w->h->total / HOTSET_PAGE, i, round;
	unsigned long long x = 88172645463325252ULL, reads = 0;
	volatile unsigned long sink = 0;
	struct timespec next;

	round = w->per_500ms * pages / 50;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&w->stop)) {
		for (i = 0; i < round; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sink += *(unsigned long *)(w->h->base + (x % pages) * HOTSET_PAGE);
		}
		reads += round;
		next.tv_nsec += 10 * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	atomic_store(&w->reads, reads);
	return NULL;
}

/* Every page has its index, and the counters add up to the writes. */
static inline bool hotset_verify(struct hotset *h)
{
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < h->total; i += HOTSET_PAGE) {
		unsigned long *w = (unsigned long *)(h->base + i);

		if (w[0] != i / HOTSET_PAGE)
			return false;
		sum += w[1];
	}
	return !atomic_load(&h->corrupt) && sum == atomic_load(&h->writes);
}

/*
 * Share (0..1) of the resident pages of [off, off+len) in the fast tier:
 * on any node of the top memory tier (memtier.h, as hotset_setup() found
 * the tiers), node 0 where the kernel has no tiers.
 */
static inline double hotset_share_fast(struct hotset *h, size_t off, size_t len)
{
	size_t n = len / HOTSET_PAGE, i, on = 0, resident = 0;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status || !n)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = h->base + off + i * HOTSET_PAGE;
	if (move_pages(0, n, pages, NULL, status, 0))
		goto out;
	for (i = 0; i < n; i++) {
		if (status[i] < 0)
			continue;
		resident++;
		on += status[i] < MEMTIER_MAX_NODES &&
		      h->tier_class[status[i]] == 1;
	}
out:
	free(pages);
	free(status);
	return resident ? (double)on / resident : 0;
}

#endif /* __HOTSET_H */
