/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the benchmark workloads (the C files in bench/workloads/): options, a
 * deterministic random generator, Zipf sampling, the timed phase with its
 * marker files, and the one-line result the harness parses:
 *
 *   result workload=NAME seconds=S ops=N check=ok|FAILED
 *
 * "seconds" is the timed phase on the guest's clock (CLOCK_MONOTONIC), so
 * under the testbed's latency model it includes the modelled stalls. The
 * setup (allocation, first touch, building the data) is not timed.
 */
#ifndef __WORKLOAD_H
#define __WORKLOAD_H

#include <errno.h>
#include <math.h>
#include <numaif.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "memtier.h"

static const char *wl_name;
static const char *wl_mark_dir;	/* -r DIR: DIR/start, DIR/end around the timed phase */
static double wl_t0;

static inline void wl_die(const char *what)
{
	fprintf(stderr, "%s: %s%s%s\n", wl_name, what, errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(1);
}

static inline double wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A non-negative integer option in [min, max], or exit with usage status 2. */
static inline long wl_arg(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		fprintf(stderr, "%s: -%s needs an integer in [%ld, %ld], got '%s'\n",
			wl_name, opt, min, max, s);
		exit(2);
	}
	return v;
}

/* Anonymous memory, no THP (placement at base-page granularity). */
static inline void *wl_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		wl_die("cannot map memory");
	madvise(p, bytes, MADV_NOHUGEPAGE);
	return p;
}

/* First touch of [p, p+len) goes to @nid (the caller touches it next). */
static inline void wl_bind(void *p, size_t len, int nid)
{
	unsigned long mask = 1UL << nid;

	if (len && mbind(p, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0))
		wl_die("mbind");
}

/*
 * The first node of the top (fast) tier, or of the first lower (slow) one,
 * as the kernel ranks them (memtier.h); a machine without tiers has node 0
 * fast and no slow node.
 */
static inline int wl_tier_node(bool slow)
{
	int nid = memtier_node(slow);

	if (nid < 0 && !slow)
		nid = 0;
	if (nid < 0)
		wl_die("no slow memory tier (/sys/devices/virtual/memory_tiering)");
	return nid;
}

static inline void wl_unbind(void *p, size_t len)
{
	if (len)
		mbind(p, len, MPOL_DEFAULT, NULL, 0, 0);
}

static inline void wl_mark(const char *what)
{
	char path[4096];
	FILE *f;

	if (!wl_mark_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", wl_mark_dir, what);
	f = fopen(path, "w");
	if (!f)
		wl_die("cannot write the marker file");
	fclose(f);
}

static inline void wl_start(void)
{
	wl_mark("start");
	wl_t0 = wl_now();
}

static double wl_secs = -1;

/*
 * Progress of the timed phase, for time-to-steady-state: with -r DIR, the
 * operations done about every 100 ms (the guest's clock, from the start of
 * the timed phase), kept in memory and written to DIR/progress ("SECONDS
 * OPS" lines) when the phase ends, so no I/O disturbs it. Call it often,
 * e.g. every 4096 operations: it reads the clock once per call.
 */
#define WL_PROGRESS_MAX	65536	/* samples: 109 minutes */
static struct { float t; unsigned long ops; } wl_prog[WL_PROGRESS_MAX];
static unsigned int wl_nprog;
static double wl_prog_next;

static inline void wl_progress(unsigned long ops)
{
	double t;

	if (!wl_mark_dir || wl_nprog == WL_PROGRESS_MAX)
		return;
	t = wl_now() - wl_t0;
	if (t < wl_prog_next)
		return;
	wl_prog[wl_nprog].t = t;
	wl_prog[wl_nprog++].ops = ops;
	wl_prog_next = t + 0.1;
}

static inline void wl_progress_write(void)
{
	char path[4096];
	unsigned int i;
	FILE *f;

	if (!wl_mark_dir || !wl_nprog)
		return;
	snprintf(path, sizeof(path), "%s/progress", wl_mark_dir);
	f = fopen(path, "w");
	if (!f)
		wl_die("cannot write the progress file");
	for (i = 0; i < wl_nprog; i++)
		fprintf(f, "%.3f %lu\n", wl_prog[i].t, wl_prog[i].ops);
	fclose(f);
}

/* End of the timed phase (a check that follows is not timed). */
static inline void wl_stop(void)
{
	wl_secs = wl_now() - wl_t0;
	wl_mark("end");
	wl_progress_write();
}

/* Print the result line; exit status 1 on a bad check. */
static inline int wl_finish(unsigned long ops, bool ok)
{
	double secs;

	if (wl_secs < 0)
		wl_stop();
	secs = wl_secs;
	printf("result workload=%s seconds=%.3f ops=%lu check=%s\n", wl_name,
	       secs, ops, ok ? "ok" : "FAILED");
	fflush(stdout);
	if (!ok)
		fprintf(stderr, "%s: result check failed\n", wl_name);
	return ok ? 0 : 1;
}

/* splitmix64: a fast, seedable generator; each thread has its own state. */
/*
 * A workload's seed: its own default mixed with WL_SEED from the
 * environment (the harness's seed number; unset or 0: the default alone),
 * so one variable varies every workload's random choices reproducibly.
 */
static inline uint64_t wl_seed(uint64_t def)
{
	const char *s = getenv("WL_SEED");
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || *s == '-') {
		fprintf(stderr, "%s: WL_SEED needs a non-negative integer, got '%s'\n",
			wl_name, s);
		exit(2);
	}
	return v ? def ^ (v * 0x9e3779b97f4a7c15ULL) : def;
}

static inline uint64_t wl_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A bijection of [0, n) that scatters ranks (hot keys are not adjacent). */
static inline uint64_t wl_scatter(uint64_t i, uint64_t n)
{
	/* 2654435761 is prime: coprime with any n below it */
	return (i * 2654435761ULL + 12345) % n;
}

/* Zipf(theta) over [0, n) by Gray et al.'s method (as YCSB). */
struct wl_zipf {
	uint64_t n;
	double theta, alpha, zetan, eta;
};

static inline void wl_zipf_init(struct wl_zipf *z, uint64_t n, double theta)
{
	double zeta2 = 1 + pow(0.5, theta);
	uint64_t i;

	z->n = n;
	z->theta = theta;
	z->zetan = 0;
	/* zeta(n): the first terms summed, the tail as its integral (fast under TCG) */
	for (i = 1; i <= n && i <= 4096; i++)
		z->zetan += 1 / pow((double)i, theta);
	if (n > 4096)
		z->zetan += (pow(n + 0.5, 1 - theta) - pow(4096.5, 1 - theta)) / (1 - theta);
	z->alpha = 1 / (1 - theta);
	z->eta = (1 - pow(2.0 / n, 1 - theta)) / (1 - zeta2 / z->zetan);
}

static inline uint64_t wl_zipf(struct wl_zipf *z, uint64_t *s)
{
	double u = (wl_rand(s) >> 11) * 0x1.0p-53, uz = u * z->zetan, r;

	if (uz < 1)
		return 0;
	if (uz < 1 + pow(0.5, z->theta))
		return 1;
	r = z->n * pow(z->eta * u - z->eta + 1, z->alpha);
	return r >= z->n ? z->n - 1 : (uint64_t)r;
}

#endif /* __WORKLOAD_H */
