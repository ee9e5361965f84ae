// SPDX-License-Identifier: GPL-2.0
/*
 * The Demeter policy (policies/demeter.bpf.c) on the hot-set workload:
 * it finds the hot set and brings it to the fast tier, follows it when it
 * moves, merges ranges back, stays calm under uniform access, and its
 * split/merge/rank logic behaves with injected samples. An accessed bit
 * left from an old touch is not an access; every process gets its own
 * range tree up to the documented limit, and those beyond it are counted;
 * another process's cold memory in the fast tier is demoted to make room;
 * the hottest range is promoted first; a hot set inside memory that is
 * all touched now and then (the accessed bits saturate over an epoch) is
 * found; a target that execs another program is followed into it.
 * Needs a fast node of 256 MiB and a slow node of 1 GiB or more.
 */
/* tier-test: vm */
#include <numa.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tier_test.h"
#include "hotset.h"

#define MiB		(1UL << 20)
#define DEMETER		"../policies/demeter.bpf.o"

#define MAX_CHILDREN	80
#define MAX_TREES	64	/* RT_MAX_TREES in demeter.bpf.c */

FIXTURE(demeter) {
	struct tier_policy p;
	struct bpf_link *link;
	struct hotset h;
	pthread_t hammer;
	bool hammering;
	pid_t child[MAX_CHILDREN];
	int nr_children;
};

FIXTURE_SETUP(demeter)
{
	memset(self, 0, sizeof(*self));
	TIER_FIXTURE_NEEDS_TWO_NODES();
}

FIXTURE_TEARDOWN(demeter)
{
	if (self->hammering) {
		atomic_store(&self->h.stop, true);
		pthread_join(self->hammer, NULL);
	}
	for (int i = 0; i < self->nr_children; i++) {
		tier_targets_write("-%d", self->child[i]);
		kill(self->child[i], SIGKILL);
		waitpid(self->child[i], NULL, 0);
	}
	tier_targets_write("-%d", getpid());
	tier_test_release(self->link, &self->p);
	if (self->h.base)
		munmap(self->h.base, self->h.total);
}

static unsigned long long stat_of(FIXTURE_DATA(demeter) *self, const char *name)
{
	unsigned long long v = 0;

	tier_stats_get(bpf_map__fd(self->p.stats_map), name, &v);
	return v;
}

/* One entry of the policy's rt_ranges map: struct rt_range in policies/range_tree.bpf.h. */
struct rt_range_user {
	u64 start, end, nr_access, fast, slow;
	u32 epoch;
	s32 prev, next;
	u32 used, mark, pad;
};

/* Decayed accesses of the ranges in use that overlap [lo, hi); -1: no map. */
static long long accesses_in(FIXTURE_DATA(demeter) *self, void *lo, void *hi)
{
	struct bpf_map *m = bpf_object__find_map_by_name(self->p.obj, "rt_ranges");
	struct rt_range_user r;
	long long sum = 0;
	u32 k;

	if (!m || bpf_map__value_size(m) != sizeof(r))
		return -1;
	for (k = 0; k < bpf_map__max_entries(m); k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, &r))
			return -1;
		if (r.used && r.start < (u64)hi && r.end > (u64)lo)
			sum += r.nr_access;
	}
	return sum;
}

/* The range in use that holds @addr: [*start, *end), or 0, 0. */
static void range_at(FIXTURE_DATA(demeter) *self, void *addr, u64 *start,
		     u64 *end)
{
	struct bpf_map *m = bpf_object__find_map_by_name(self->p.obj, "rt_ranges");
	struct rt_range_user r;
	u32 k;

	*start = *end = 0;
	for (k = 0; m && k < bpf_map__max_entries(m); k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, &r))
			return;
		if (r.used && r.start <= (u64)addr && (u64)addr < r.end) {
			*start = r.start;
			*end = r.end;
			return;
		}
	}
}

static void wait_epochs(FIXTURE_DATA(demeter) *self, unsigned long long n)
{
	unsigned long long e0 = stat_of(self, "epochs");

	while (stat_of(self, "epochs") < e0 + n)
		tier_msleep(50);
}

/* A child that touches [p, p+len) on @nid (if len) and sleeps. */
static pid_t sleeper(char *p, size_t len, int nid)
{
	unsigned long mask = 1UL << nid;
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		if (len && !mbind(p, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0)) {
			for (size_t i = 0; i < len; i += TIER_PAGE)
				p[i] = 1;
			mbind(p, len, MPOL_DEFAULT, NULL, 0, 0);
		}
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &c, 1) != 1)
		pid = -1;
	close(fds[0]);
	return pid;
}

/* Pages of [p, p+len) of process @pid on node 0. */
static long fast_pages_of(pid_t pid, char *p, size_t len)
{
	size_t n = len / TIER_PAGE, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	long on = -1;

	for (i = 0; pages && status && i < n; i++)
		pages[i] = p + i * TIER_PAGE;
	if (pages && status && !move_pages(pid, n, pages, NULL, status, 0))
		for (on = 0, i = 0; i < n; i++)
			on += status[i] == 0;
	free(pages);
	free(status);
	return on;
}

static int attach(FIXTURE_DATA(demeter) *self, const char *const *params)
{
	int ret = tier_test_load(&self->p, DEMETER, params);

	if (ret)
		return ret;
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	return self->link ? 0 : -errno;
}

/* Seconds until at least @want of [off, off+len) is on the fast node. */
static double wait_share(FIXTURE_DATA(demeter) *self, size_t off, size_t len,
			 double want, int timeout_s, double *share)
{
	struct timespec t0, t;
	double s = 0;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < timeout_s * 2; i++) {
		s = hotset_share_fast(&self->h, off, len);
		if (s >= want)
			break;
		tier_msleep(500);
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	*share = s;
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Cold pages (outside [off, off+len)) on the fast node. */
static double cold_fast_pages(struct hotset *h, size_t off, size_t len)
{
	double all = hotset_share_fast(h, 0, h->total) * (h->total / HOTSET_PAGE);
	double hot = hotset_share_fast(h, off, len) * (len / HOTSET_PAGE);

	return all - hot;
}

/* Report the policy's CPU share (its ticks, scans included) over 10 s. */
static void steady_cost(struct __test_metadata *_metadata,
			FIXTURE_DATA(demeter) *self)
{
	unsigned long long tick0 = tier_vmstat("tier_ext_ns_tick");
	unsigned long long scan0 = tier_vmstat("tier_ext_ns_scan");
	unsigned long long moved0 = stat_of(self, "pages_moved");
	struct timespec a, b;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &a);
	tier_msleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	TH_LOG("steady state, %.1f s: policy %.2f%% of one vCPU (page-table walks %.2f%%), %llu pages moved",
	       secs, (tier_vmstat("tier_ext_ns_tick") - tick0) / secs / 1e7,
	       (tier_vmstat("tier_ext_ns_scan") - scan0) / secs / 1e7,
	       stat_of(self, "pages_moved") - moved0);
}

TEST_F_TIMEOUT(demeter, finds_and_follows_the_hot_set, 900)
{
	size_t hot = 64 * MiB, off = 512 * MiB, moved_to = 640 * MiB;
	double t90, share, cold_before, cold_after;
	unsigned long long merges0, epochs0;
	u64 rs = 0, re = 0;

	ASSERT_EQ(0, hotset_setup(&self->h, 768 * MiB, off, hot, memtier_node(true)));
	share = hotset_share_fast(&self->h, off, hot);
	ASSERT_LT(share, 0.05) TH_LOG("hot set not on the slow node: %.2f", share);
	cold_before = cold_fast_pages(&self->h, off, hot);
	ASSERT_EQ(0, pthread_create(&self->hammer, NULL, hotset_hammer, &self->h));
	self->hammering = true;

	ASSERT_EQ(0, attach(self, NULL));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	epochs0 = stat_of(self, "epochs");
	t90 = wait_share(self, off, hot, 0.9, 540, &share);
	EXPECT_GE(share, 0.9);
	cold_after = cold_fast_pages(&self->h, off, hot);
	TH_LOG("hot set 90%% fast after %.1f s (%llu epochs): share %.3f; cold pages on fast %.0f -> %.0f; ranges %llu, splits %llu, promotions %llu, demotions %llu, moved %llu, failed %llu (isolation %llu, migration %llu)",
	       t90, stat_of(self, "epochs") - epochs0, share, cold_before, cold_after,
	       stat_of(self, "ranges"), stat_of(self, "splits"),
	       stat_of(self, "promote_reqs"), stat_of(self, "demote_reqs"),
	       stat_of(self, "pages_moved"), stat_of(self, "pages_failed"),
	       tier_vmstat("tier_ext_migrate_fail_isolate"),
	       tier_vmstat("tier_ext_migrate_fail_migrate"));
	/* the cold bulk was not promoted: fast pages of it only went down */
	EXPECT_LE(cold_after, cold_before + 256);

	/* steady state: what tracking costs (policy and its scans), reported */
	wait_share(self, off, hot, 0.99, 30, &share);
	steady_cost(_metadata, self);

	/* the hot set moves: the policy follows, and ranges merge back */
	merges0 = stat_of(self, "merges");
	atomic_store(&self->h.hot_off, moved_to);
	t90 = wait_share(self, moved_to, hot, 0.9, 180, &share);
	EXPECT_GE(share, 0.9);
	/* the old hot set cools down and merges with a neighbour */
	for (int i = 0; i < 120; i++) {
		range_at(self, self->h.base + off, &rs, &re);
		if (rs < (u64)self->h.base + off || re > (u64)self->h.base + off + hot)
			break;
		tier_msleep(500);
	}
	TH_LOG("moved hot set 90%% fast after %.1f s: share %.3f; the old hot set's range [%+lld MiB, %+lld MiB) of it; merges %llu -> %llu",
	       t90, share, ((long long)rs - (long long)(u64)(self->h.base + off)) >> 20,
	       ((long long)re - (long long)(u64)(self->h.base + off)) >> 20,
	       merges0, stat_of(self, "merges"));
	EXPECT_LT(merges0, stat_of(self, "merges"));
	EXPECT_TRUE(rs < (u64)self->h.base + off || re > (u64)self->h.base + off + hot);

	atomic_store(&self->h.stop, true);
	pthread_join(self->hammer, NULL);
	self->hammering = false;
	EXPECT_TRUE(hotset_verify(&self->h));
}

TEST_F_TIMEOUT(demeter, uniform_access_does_not_thrash, 300)
{
	unsigned long long moved, epochs0, cap = 256 * MiB / HOTSET_PAGE;

	ASSERT_EQ(0, hotset_setup(&self->h, 768 * MiB, 0, 0, -1));
	self->h.uniform = true;
	ASSERT_EQ(0, pthread_create(&self->hammer, NULL, hotset_hammer, &self->h));
	self->hammering = true;
	ASSERT_EQ(0, attach(self, NULL));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	epochs0 = stat_of(self, "epochs");
	while (stat_of(self, "epochs") < epochs0 + 40)
		tier_msleep(500);
	moved = stat_of(self, "pages_moved");
	TH_LOG("uniform access, 40 epochs: %llu pages moved (fast tier %llu pages), ranges %llu",
	       moved, cap, stat_of(self, "ranges"));
	EXPECT_LE(moved, cap);
	atomic_store(&self->h.stop, true);
	pthread_join(self->hammer, NULL);
	self->hammering = false;
	EXPECT_TRUE(hotset_verify(&self->h));
}

/* Injected samples, no migration: split, rank and merge are deterministic. */
TEST_F_TIMEOUT(demeter, split_rank_merge_with_injected_samples, 300)
{
	/* the hot set may fill 1% of the fast tier: about one 2 MiB range */
	const char *const params[] = { "source=2", "max_pages_epoch=0",
				       "epoch_ms=100", "merge_epochs=2",
				       "fast_pct=1", NULL };
	unsigned long long splits, ranges, hot, splits0, ranges0;
	char line[64], batch[64 * 64];
	size_t len, i;
	u64 addr;
	int round;

	ASSERT_EQ(0, hotset_setup(&self->h, 64 * MiB, 0, 0, -1));
	ASSERT_EQ(0, attach(self, params));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	/* the areas split where memory is mapped and where it is not */
	wait_epochs(self, 3);
	splits0 = stat_of(self, "splits");
	ranges0 = stat_of(self, "ranges");
	EXPECT_EQ(2 + splits0, ranges0);
	EXPECT_EQ(0, stat_of(self, "merges"));

	/* one 2 MiB-aligned spot of the area gets all the samples */
	addr = ((u64)self->h.base + 32 * MiB) & ~(2 * MiB - 1);
	snprintf(line, sizeof(line), "%d 0x%llx\n", getpid(), (unsigned long long)addr);
	for (len = 0, i = 0; i < 64; i++)
		len += snprintf(batch + len, sizeof(batch) - len, "%s", line);
	for (round = 0; round < 300; round++) {
		ASSERT_EQ(0, tier_inject_raw(batch));
		tier_msleep(10);
	}
	splits = stat_of(self, "splits");
	ranges = stat_of(self, "ranges");
	hot = stat_of(self, "hot_bytes");
	TH_LOG("after 19200 samples on one spot: %llu splits, %llu ranges, hot set %llu KiB, samples used %llu",
	       splits, ranges, hot >> 10, stat_of(self, "samples_used"));
	/* the spot is cut out of its range at its two edges */
	EXPECT_EQ(splits0 + 2, splits);
	EXPECT_EQ(ranges0 + 2, ranges);
	/* the hot set is the 2 MiB range around the spot (resident pages) */
	EXPECT_EQ(2 * MiB, hot);
	EXPECT_EQ(19200, stat_of(self, "samples_used"));
	EXPECT_EQ(0, stat_of(self, "pages_moved"));

	/* samples stop: counts decay to zero and the ranges merge back */
	for (round = 0; round < 200 && stat_of(self, "ranges") > ranges0; round++)
		tier_msleep(50);
	TH_LOG("after the samples stopped: %llu ranges, %llu merges, hot set %llu KiB",
	       stat_of(self, "ranges"), stat_of(self, "merges"),
	       stat_of(self, "hot_bytes") >> 10);
	EXPECT_EQ(ranges0, stat_of(self, "ranges"));
	EXPECT_EQ(2, stat_of(self, "merges"));
	EXPECT_EQ(0, stat_of(self, "hot_bytes"));
}

TEST_F_TIMEOUT(demeter, hot_swap_under_load_keeps_data, 300)
{
	struct tier_policy stat;
	unsigned long long epochs0;

	ASSERT_EQ(0, hotset_setup(&self->h, 512 * MiB, 384 * MiB, 64 * MiB, memtier_node(true)));
	ASSERT_EQ(0, pthread_create(&self->hammer, NULL, hotset_hammer, &self->h));
	self->hammering = true;
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	ASSERT_EQ(0, tier_test_load(&stat, "../policies/static.bpf.o", NULL));
	self->link = bpf_map__attach_struct_ops(stat.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_test_load(&self->p, DEMETER, NULL));

	ASSERT_EQ(0, bpf_link__update_map(self->link, self->p.ops_map));
	EXPECT_STREQ("demeter", tier_sysfs("ops"));
	/* until demeter moves pages while the workload runs */
	epochs0 = stat_of(self, "epochs");
	while (stat_of(self, "epochs") < epochs0 + 400 && !stat_of(self, "pages_moved"))
		tier_msleep(200);
	EXPECT_LT(0, stat_of(self, "pages_moved"));
	ASSERT_EQ(0, bpf_link__update_map(self->link, stat.ops_map));
	EXPECT_STREQ("static", tier_sysfs("ops"));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	tier_msleep(500);

	atomic_store(&self->h.stop, true);
	pthread_join(self->hammer, NULL);
	self->hammering = false;
	EXPECT_TRUE(hotset_verify(&self->h));
	bpf_link__detach(self->link);
	tier_policy_close(&stat);
}

/* Accessed bits set long before the policy came are not accesses. */
TEST_F_TIMEOUT(demeter, stale_accessed_bit_is_not_an_access, 300)
{
	const char *const params[] = { "source=1", "max_pages_epoch=0",
				       "epoch_ms=200", NULL };
	size_t len = 32 * MiB;
	unsigned long fast = 1;
	long long acc;
	char *map, *old;

	/* 2 MiB-aligned, with nothing mapped on either side: a range of its own */
	map = mmap(NULL, len + 8 * MiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	old = (char *)(((unsigned long)map + 4 * MiB - 1) & ~(2 * MiB - 1));
	munmap(map, old - 2 * MiB - map);
	munmap(old - 2 * MiB, 2 * MiB);
	munmap(old + len, map + len + 8 * MiB - (old + len));
	madvise(old, len, MADV_NOHUGEPAGE);
	ASSERT_EQ(0, mbind(old, len, MPOL_BIND, &fast, 64, 0));
	memset(old, 1, len);	/* every page touched: its bit is set */
	mbind(old, len, MPOL_DEFAULT, NULL, 0, 0);
	ASSERT_EQ(0, attach(self, params));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	wait_epochs(self, 6);
	acc = accesses_in(self, old, old + len);
	TH_LOG("untouched since before the attach: %lld accesses over %llu epochs, %llu blocks seen young",
	       acc, stat_of(self, "epochs"), stat_of(self, "blocks_young"));
	EXPECT_EQ(0, acc);

	/* control: the same memory, touched now, does count (cold ranges are
	 * walked every cold_scan_epochs, 8 by default) */
	for (unsigned long long e0 = stat_of(self, "epochs");
	     stat_of(self, "epochs") < e0 + 10;)
		for (size_t i = 0; i < len; i += TIER_PAGE)
			old[i]++;
	acc = accesses_in(self, old, old + len);
	TH_LOG("touched for 10 epochs: %lld accesses", acc);
	EXPECT_LT(0, acc);
	munmap(old, len);
}

/* Every target gets a tree up to the limit; the rest are counted. */
TEST_F_TIMEOUT(demeter, every_process_gets_a_tree_up_to_the_limit, 300)
{
	const char *const params[] = { "max_pages_epoch=0", NULL };
	int i, want = MAX_TREES + 6;

	ASSERT_EQ(0, attach(self, params));
	for (i = 0; i < 8; i++) {
		self->child[i] = sleeper(NULL, 0, 0);
		ASSERT_LT(0, self->child[i]);
		self->nr_children++;
		ASSERT_EQ(0, tier_targets_write("%d", self->child[i]));
	}
	/* the fifth, sixth, ... process has a tree of its own */
	EXPECT_EQ(8, stat_of(self, "targets"));
	EXPECT_EQ(0, stat_of(self, "targets_refused"));
	for (; i < want; i++) {
		self->child[i] = sleeper(NULL, 0, 0);
		ASSERT_LT(0, self->child[i]);
		self->nr_children++;
		ASSERT_EQ(0, tier_targets_write("%d", self->child[i]));
	}
	TH_LOG("%d targets: %llu trees, %llu refused", want,
	       stat_of(self, "targets"), stat_of(self, "targets_refused"));
	EXPECT_EQ(MAX_TREES, stat_of(self, "targets"));
	EXPECT_EQ(want - MAX_TREES, stat_of(self, "targets_refused"));
	/* a process that leaves frees its tree for the next */
	tier_targets_write("-%d", self->child[0]);
	EXPECT_EQ(MAX_TREES - 1, stat_of(self, "targets"));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	EXPECT_EQ(MAX_TREES, stat_of(self, "targets"));
}

/* The fast tier is full of another process's cold memory: it is demoted. */
TEST_F_TIMEOUT(demeter, demotes_another_process_cold_memory, 600)
{
	size_t hot = 64 * MiB, fill;
	long long free0 = 0;
	long before, after;
	double t90, share;
	char *p;

	numa_node_size64(0, &free0);
	ASSERT_LT(96 * MiB, free0);
	fill = ((size_t)free0 - 8 * MiB) & ~(2 * MiB - 1);
	p = mmap(NULL, fill, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise(p, fill, MADV_NOHUGEPAGE);
	self->child[0] = sleeper(p, fill, 0);
	ASSERT_LT(0, self->child[0]);
	self->nr_children = 1;
	before = fast_pages_of(self->child[0], p, fill);
	ASSERT_LT(0, before);

	/* all of this process's memory on the slow node */
	ASSERT_EQ(0, hotset_setup(&self->h, 2 * hot, 0, 2 * hot, memtier_node(true)));
	self->h.hot_len = hot;
	ASSERT_EQ(0, pthread_create(&self->hammer, NULL, hotset_hammer, &self->h));
	self->hammering = true;
	ASSERT_EQ(0, attach(self, NULL));
	ASSERT_EQ(0, tier_targets_write("%d", self->child[0]));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	t90 = wait_share(self, 0, hot, 0.9, 300, &share);
	after = fast_pages_of(self->child[0], p, fill);
	TH_LOG("fast tier filled by another process (%ld MiB of its memory on it): hot set 90%% fast after %.1f s, share %.3f; its pages on fast %ld -> %ld; promotions %llu, demotions %llu, moved %llu, failed %llu",
	       before / 256, t90, share, before, after,
	       stat_of(self, "promote_reqs"), stat_of(self, "demote_reqs"),
	       stat_of(self, "pages_moved"), stat_of(self, "pages_failed"));
	EXPECT_GE(share, 0.9);
	/* room was made from the other process's cold memory */
	EXPECT_LT(after, before - (long)(hot / TIER_PAGE) / 2);
	EXPECT_LT(0, stat_of(self, "demote_reqs"));
}

struct two_sets {
	char *dense, *sparse;
	size_t len;
	atomic_bool stop;
};

/* Every page of the dense set, every 16th page of the sparse one. */
static void *two_sets_hammer(void *arg)
{
	struct two_sets *s = arg;
	size_t i;

	while (!atomic_load(&s->stop)) {
		for (i = 0; i < s->len; i += TIER_PAGE)
			s->dense[i]++;
		for (i = 0; i < s->len; i += 16 * TIER_PAGE)
			s->sparse[i]++;
	}
	return NULL;
}

/* With room for one hot range per epoch, the hottest goes first. */
TEST_F_TIMEOUT(demeter, promotes_the_hottest_first, 300)
{
	const char *const params[] = { "max_pages_epoch=4096", "epoch_ms=2000",
				       NULL };
	struct two_sets s = { .len = 16 * MiB };
	long dense[2], sparse[2];
	pthread_t th;

	/* sparse below dense: address order would take the sparse one first */
	ASSERT_EQ(0, hotset_setup(&self->h, 2 * s.len, 0, 2 * s.len, memtier_node(true)));
	s.sparse = self->h.base;
	s.dense = self->h.base + s.len;
	ASSERT_EQ(0, pthread_create(&th, NULL, two_sets_hammer, &s));
	ASSERT_EQ(0, attach(self, params));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	for (int i = 0; i < 600 && stat_of(self, "pages_moved") < 4096; i++)
		tier_msleep(100);
	tier_where(s.dense, s.len, dense);
	tier_where(s.sparse, s.len, sparse);
	atomic_store(&s.stop, true);
	pthread_join(th, NULL);
	TH_LOG("after the first %llu pages moved: dense set %ld/%ld pages fast, sparse set %ld/%ld",
	       stat_of(self, "pages_moved"), dense[0], dense[0] + dense[1],
	       sparse[0], sparse[0] + sparse[1]);
	EXPECT_GE(stat_of(self, "pages_moved"), 4096);
	EXPECT_GE(dense[0], 3 * 4096 / 4);
	EXPECT_LT(sparse[0], 4096 / 4);
}

/*
 * Every page of the area is read now and then (about 1.5 times per epoch),
 * so nearly every page is young over a whole epoch: the accessed bits
 * saturate, and the hot set can only be told apart in a shorter window.
 */
TEST_F_TIMEOUT(demeter, finds_the_hot_set_inside_warm_memory, 600)
{
	size_t hot = 64 * MiB, off = 512 * MiB;
	struct hotset_warm w = { .h = &self->h, .per_500ms = 1.5 };
	unsigned long long epochs0;
	double t90, share, secs;
	struct timespec a, b;
	pthread_t th;

	ASSERT_EQ(0, hotset_setup(&self->h, 768 * MiB, off, hot, memtier_node(true)));
	ASSERT_EQ(0, pthread_create(&self->hammer, NULL, hotset_hammer, &self->h));
	self->hammering = true;
	ASSERT_EQ(0, pthread_create(&th, NULL, hotset_warm_reader, &w));
	clock_gettime(CLOCK_MONOTONIC, &a);

	ASSERT_EQ(0, attach(self, NULL));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	epochs0 = stat_of(self, "epochs");
	t90 = wait_share(self, off, hot, 0.9, 480, &share);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	TH_LOG("background: %.2f reads per page per 500 ms; hot set 90%% fast after %.1f s (%llu epochs): share %.3f; window %llu ms, clear walks %llu, blocks young %llu, ranges %llu, splits %llu, promotions %llu, demotions %llu, moved %llu, failed %llu",
	       atomic_load(&w.reads) / secs / 2 / (self->h.total / HOTSET_PAGE),
	       t90, stat_of(self, "epochs") - epochs0, share,
	       stat_of(self, "window_ms"), stat_of(self, "clear_walks"),
	       stat_of(self, "blocks_young"), stat_of(self, "ranges"),
	       stat_of(self, "splits"), stat_of(self, "promote_reqs"),
	       stat_of(self, "demote_reqs"), stat_of(self, "pages_moved"),
	       stat_of(self, "pages_failed"));
	EXPECT_GE(share, 0.9);
	/* the bits saturated over an epoch: the window shrank */
	EXPECT_LT(stat_of(self, "window_ms"), 500);
	atomic_store(&self->h.stop, true);
	pthread_join(self->hammer, NULL);
	self->hammering = false;
	EXPECT_TRUE(hotset_verify(&self->h));
}

/*
 * A target that execs a program: the policy learns the new program's
 * address space (the kernel starts the target over) and promotes its hot
 * set. The target is added between fork() and execve(), as the target
 * rule adds a shell's child; the program is bench/workloads/hotset.c.
 */
TEST_F_TIMEOUT(demeter, follows_a_target_that_execs, 300)
{
	const char *hotset = tier_test_path("../bin/hotset");
	unsigned long long execs0 = tier_vmstat("tier_ext_target_execs");
	double t = 0, hot_fast = 0, best = 0;
	int go[2], out[2], status;
	char line[128];
	FILE *f;
	pid_t pid;

	ASSERT_EQ(0, access(hotset, X_OK)) TH_LOG("%s: %s (make loader)", hotset, strerror(errno));
	ASSERT_EQ(0, attach(self, NULL));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(out));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		close(go[1]);
		close(out[0]);
		if (read(go[0], &c, 1) != 1 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(126);
		execl(hotset, "hotset", "-m", "768", "-h", "64", "-o", "512",
		      "-t", "120", NULL);
		_exit(127);
	}
	self->child[self->nr_children++] = pid;
	close(go[0]);
	close(out[1]);
	/* the policy hears of the target while it is still this program */
	ASSERT_EQ(0, tier_targets_write("%d", pid));
	EXPECT_EQ(1, stat_of(self, "targets"));
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);

	/* hotset prints seconds,hot_fast,cold_fast,passes every 500 ms */
	f = fdopen(out[0], "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lf,%lf", &t, &hot_fast) != 2)
			continue;
		if (hot_fast > best)
			best = hot_fast;
		if (hot_fast >= 0.9)
			break;
	}
	fclose(f);
	TH_LOG("exec'd target: hot set %.3f fast after %.1f s (best %.3f); tier_ext_target_execs +%llu; promotions %llu, demotions %llu, moved %llu",
	       hot_fast, t, best, tier_vmstat("tier_ext_target_execs") - execs0,
	       stat_of(self, "promote_reqs"), stat_of(self, "demote_reqs"),
	       stat_of(self, "pages_moved"));
	EXPECT_LE(execs0 + 1, tier_vmstat("tier_ext_target_execs"));
	EXPECT_GE(hot_fast, 0.9);
	/* still one tree: the old one was given back, not leaked */
	EXPECT_EQ(1, stat_of(self, "targets"));
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	self->nr_children--;
	EXPECT_TRUE(WIFEXITED(status) || WIFSIGNALED(status));
}

TEST_HARNESS_MAIN
