// SPDX-License-Identifier: GPL-2.0
/*
 * The Demeter policy (policies/demeter.bpf.c) on the hot-set workload:
 * it finds the hot set and brings it to the fast tier, follows it when it
 * moves, merges ranges back, stays calm under uniform access, and its
 * split/merge/rank logic behaves with injected samples.
 * Needs a fast node of 256 MiB and a slow node of 1 GiB or more.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "tier_test.h"
#include "hotset.h"

#define MiB		(1UL << 20)
#define DEMETER		"../policies/demeter.bpf.o"

FIXTURE(demeter) {
	struct tier_policy p;
	struct bpf_link *link;
	struct hotset h;
	pthread_t hammer;
	bool hammering;
};

FIXTURE_SETUP(demeter)
{
	memset(self, 0, sizeof(*self));
	if (access(TIER_SYSFS, F_OK))
		SKIP(return, "kernel without tier_ext");
	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	ASSERT_TRUE(tier_wait_state("disabled", 2000));
}

FIXTURE_TEARDOWN(demeter)
{
	if (self->hammering) {
		atomic_store(&self->h.stop, true);
		pthread_join(self->hammer, NULL);
	}
	tier_targets_write("-%d", getpid());
	if (self->link) {
		bpf_link__detach(self->link);
		bpf_link__destroy(self->link);
	}
	if (self->p.obj)
		tier_policy_close(&self->p);
	if (self->h.base)
		munmap(self->h.base, self->h.total);
}

static unsigned long long stat_of(FIXTURE_DATA(demeter) *self, const char *name)
{
	unsigned long long v = 0;

	tier_stats_get(bpf_map__fd(self->p.stats_map), name, &v);
	return v;
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
		s = hotset_share_on(&self->h, off, len, 0);
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
	double all = hotset_share_on(h, 0, h->total, 0) * (h->total / HOTSET_PAGE);
	double hot = hotset_share_on(h, off, len, 0) * (len / HOTSET_PAGE);

	return all - hot;
}

TEST_F_TIMEOUT(demeter, finds_and_follows_the_hot_set, 900)
{
	size_t hot = 64 * MiB, off = 512 * MiB, moved_to = 640 * MiB;
	double t90, share, cold_before, cold_after;
	unsigned long long ranges_peak, merges0, epochs0;

	ASSERT_EQ(0, hotset_setup(&self->h, 768 * MiB, off, hot, 1));
	share = hotset_share_on(&self->h, off, hot, 0);
	ASSERT_LT(share, 0.05) TH_LOG("hot set not on the slow node: %.2f", share);
	cold_before = cold_fast_pages(&self->h, off, hot);
	ASSERT_EQ(0, pthread_create(&self->hammer, NULL, hotset_hammer, &self->h));
	self->hammering = true;

	ASSERT_EQ(0, attach(self, NULL));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	epochs0 = stat_of(self, "epochs");
	/* ~175 s here under TCG: hint-fault samples come at the guest's speed */
	t90 = wait_share(self, off, hot, 0.9, 540, &share);
	EXPECT_GE(share, 0.9);
	cold_after = cold_fast_pages(&self->h, off, hot);
	TH_LOG("hot set 90%% fast after %.1f s (%llu epochs): share %.3f; cold pages on fast %.0f -> %.0f; ranges %llu, splits %llu, exchanges %llu, moved %llu",
	       t90, stat_of(self, "epochs") - epochs0, share, cold_before, cold_after,
	       stat_of(self, "ranges"), stat_of(self, "splits"),
	       stat_of(self, "exchange_reqs"), stat_of(self, "pages_moved"));
	/* the cold bulk was not promoted: fast pages of it only went down */
	EXPECT_LE(cold_after, cold_before + 256);

	/* the hot set moves: the policy follows, and ranges merge back */
	merges0 = stat_of(self, "merges");
	atomic_store(&self->h.hot_off, moved_to);
	t90 = wait_share(self, moved_to, hot, 0.9, 180, &share);
	EXPECT_GE(share, 0.9);
	/* the ranges of the old hot set cool down and merge */
	ranges_peak = stat_of(self, "ranges");
	for (int i = 0; i < 120; i++) {
		unsigned long long r = stat_of(self, "ranges");

		if (r > ranges_peak)
			ranges_peak = r;
		if (r < ranges_peak)
			break;
		tier_msleep(500);
	}
	TH_LOG("moved hot set 90%% fast after %.1f s: share %.3f; ranges %llu at peak, %llu now, merges %llu -> %llu",
	       t90, share, ranges_peak, stat_of(self, "ranges"), merges0,
	       stat_of(self, "merges"));
	EXPECT_LT(merges0, stat_of(self, "merges"));
	EXPECT_LT(stat_of(self, "ranges"), ranges_peak);

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
	unsigned long long splits, ranges, hot;
	char line[64], batch[64 * 64];
	size_t len, i;
	u64 addr;
	int round;

	ASSERT_EQ(0, hotset_setup(&self->h, 64 * MiB, 0, 0, -1));
	ASSERT_EQ(0, attach(self, params));
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	EXPECT_EQ(2, stat_of(self, "ranges"));	/* heap and mmap area */

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
	/* from an 8 GiB+ initial range down to 2 MiB: a dozen splits */
	EXPECT_GE(splits, 10);
	EXPECT_EQ(2 + splits - stat_of(self, "merges"), ranges);
	/* the hot set is the 2 MiB range around the spot (resident pages) */
	EXPECT_EQ(2 * MiB, hot);
	EXPECT_EQ(19200, stat_of(self, "samples_used"));
	EXPECT_EQ(0, stat_of(self, "pages_moved"));

	/* samples stop: counts decay to zero and the ranges merge back */
	for (round = 0; round < 200 && stat_of(self, "ranges") > 2; round++)
		tier_msleep(50);
	TH_LOG("after the samples stopped: %llu ranges, %llu merges, hot set %llu KiB",
	       stat_of(self, "ranges"), stat_of(self, "merges"),
	       stat_of(self, "hot_bytes") >> 10);
	EXPECT_EQ(2, stat_of(self, "ranges"));
	EXPECT_EQ(splits, stat_of(self, "merges"));
	EXPECT_EQ(0, stat_of(self, "hot_bytes"));
}

TEST_F_TIMEOUT(demeter, hot_swap_under_load_keeps_data, 300)
{
	struct tier_policy stat;
	unsigned long long epochs0;

	ASSERT_EQ(0, hotset_setup(&self->h, 512 * MiB, 384 * MiB, 64 * MiB, 1));
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

TEST_HARNESS_MAIN
