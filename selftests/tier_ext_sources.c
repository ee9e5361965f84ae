// SPDX-License-Identifier: GPL-2.0
/*
 * Sample sources: the perf source (through the software page-fault event
 * here, as there is no PMU) and the NUMA hint-fault source deliver,
 * through the per-CPU buffers and the sampler kthread, samples whose
 * addresses are the ones the test touched; ops.numa_fault() decides where
 * a faulting page goes; every stage accounts its time.
 */
/* tier-test: vm */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "tier_test.h"

#define SAMPLER		"progs/sampler.bpf.o"
#define HINTER		"progs/hinter.bpf.o"
#define PAGES		1024
#define OFFSET		123

FIXTURE(src) {
	struct tier_policy p;
	struct bpf_link *link;
};

FIXTURE_SETUP(src)
{
	memset(self, 0, sizeof(*self));
	TIER_FIXTURE_NEEDS_TIER_EXT();
	ASSERT_EQ(0, tier_test_load(&self->p, SAMPLER, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
}

FIXTURE_TEARDOWN(src)
{
	tier_targets_write("-%d", getpid());
	tier_test_release(self->link, &self->p);
}

/* Touch every page once, at a known offset: one page fault each. */
static char *touch_pages(void)
{
	char *p = mmap(NULL, PAGES * 4096UL, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, PAGES * 4096UL, MADV_NOHUGEPAGE);
	for (int i = 0; i < PAGES; i++)
		p[i * 4096UL + OFFSET] = 1;
	return p;
}

TEST_F(src, perf_samples_carry_the_touched_addresses)
{
	unsigned long long dropped = tier_vmstat("tier_ext_samples_dropped");
	unsigned long long seen = 0, exact = 0, drops;
	unsigned char hit[PAGES] = {};
	u64 nr, *addrs;
	char *p;
	int i;

	EXPECT_NE(NULL, strstr(tier_sysfs("perf_event"), "page-faults")) {
		TH_LOG("perf_event: %s", tier_sysfs("perf_event"));
	}
	p = touch_pages();
	ASSERT_NE(NULL, p);
	/* delivery is asynchronous: wait for the sampler kthread */
	for (i = 0; i < 500; i++) {
		if (TIER_BSS(&self->p, u64, "nr_perf") >= PAGES)
			break;
		tier_msleep(10);
	}
	tier_msleep(100);
	drops = tier_vmstat("tier_ext_samples_dropped") - dropped;
	nr = TIER_BSS(&self->p, u64, "nr_samples");
	addrs = tier_test_var(&self->p, ".bss", "addrs");
	ASSERT_NE(NULL, addrs);
	for (u64 k = 0; k < nr && k < 4096; k++) {
		u64 a = addrs[k];

		if (a < (u64)p || a >= (u64)p + PAGES * 4096UL)
			continue;
		seen++;
		exact += (a & 4095) == OFFSET;
		hit[(a - (u64)p) / 4096] = 1;
	}
	for (i = 0, nr = 0; i < PAGES; i++)
		nr += hit[i];
	TH_LOG("%llu samples in the touched range (%llu at the exact address), %llu of %d pages, %llu dropped, %llu perf samples in all",
	       seen, exact, (unsigned long long)nr, PAGES, drops,
	       (unsigned long long)TIER_BSS(&self->p, u64, "nr_perf"));
	EXPECT_EQ(seen, exact);
	EXPECT_GE(nr + drops, PAGES);
	EXPECT_LT(0, nr);
	EXPECT_EQ(0, TIER_BSS(&self->p, u64, "nr_other"));
	munmap(p, PAGES * 4096UL);
}

TEST_F(src, perf_source_stops_with_the_policy)
{
	unsigned long long samples;
	struct tier_policy stat;
	char *p;

	/* a policy without perf_period: the events go */
	ASSERT_EQ(0, tier_test_load(&stat, "../policies/static.bpf.o", NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, stat.ops_map));
	tier_msleep(100);
	samples = tier_vmstat("tier_ext_samples") + tier_vmstat("tier_ext_samples_unhandled");
	p = touch_pages();
	ASSERT_NE(NULL, p);
	tier_msleep(200);
	EXPECT_EQ(samples, tier_vmstat("tier_ext_samples") +
			   tier_vmstat("tier_ext_samples_unhandled"));
	munmap(p, PAGES * 4096UL);

	/* back to the sampler: they come back */
	ASSERT_EQ(0, bpf_link__update_map(self->link, self->p.ops_map));
	p = touch_pages();
	ASSERT_NE(NULL, p);
	for (int i = 0; i < 300 && TIER_BSS(&self->p, u64, "nr_perf") < PAGES; i++)
		tier_msleep(10);
	EXPECT_LE(PAGES, TIER_BSS(&self->p, u64, "nr_perf") +
			 tier_vmstat("tier_ext_samples_dropped"));
	munmap(p, PAGES * 4096UL);
	bpf_link__detach(self->link);
	tier_policy_close(&stat);
}

FIXTURE(hint) {
	struct tier_policy p;
	struct bpf_link *link;
	char *mem;
	bool target;
};

FIXTURE_SETUP(hint)
{
	memset(self, 0, sizeof(*self));
	if (access(TIER_SYSFS, F_OK))
		SKIP(return, "kernel without tier_ext");
	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	if (access("/proc/sys/kernel/numa_balancing", F_OK))
		SKIP(return, "kernel without NUMA balancing (hint faults)");
	ASSERT_TRUE(tier_wait_state("disabled", 2000));
	/* the pages under test, on the slow node: the ones that get armed */
	self->mem = tier_alloc_on(PAGES * 4096UL, 1);
	ASSERT_NE(NULL, self->mem);
}

FIXTURE_TEARDOWN(hint)
{
	if (self->target)
		tier_targets_write("-%d", getpid());
	tier_test_release(self->link, &self->p);
	if (self->mem)
		munmap(self->mem, PAGES * 4096UL);
}

static int hint_attach(FIXTURE_DATA(hint) *self, const char *promote_to)
{
	const char *params[] = { "numa_scan_ms=50", promote_to, NULL };
	int ret = tier_test_load(&self->p, HINTER, params);

	if (ret)
		return ret;
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	if (!self->link)
		return -errno;
	self->target = !tier_targets_write("%d", getpid());
	return self->target ? 0 : -EIO;
}

/* Touch every page at OFFSET until @done says stop or @ms pass. */
static void touch_until(char *mem, long ms, bool (*done)(void *), void *arg)
{
	for (; ms > 0; ms -= 20) {
		for (int i = 0; i < PAGES; i++)
			((volatile char *)mem)[i * 4096UL + OFFSET]++;
		if (done(arg))
			return;
		tier_msleep(20);
	}
}

static bool enough_samples(void *arg)
{
	return TIER_BSS((struct tier_policy *)arg, u64, "nr_numa") >= PAGES;
}

TEST_F(hint, hint_fault_samples_carry_the_touched_addresses)
{
	unsigned long long faults0 = tier_vmstat("tier_ext_numa_faults");
	unsigned long long drops0 = tier_vmstat("tier_ext_samples_dropped");
	unsigned long long ns_sample0 = tier_vmstat("tier_ext_ns_sample");
	unsigned long long ns_queue0 = tier_vmstat("tier_ext_ns_queue");
	unsigned long long ns_arm0 = tier_vmstat("tier_ext_ns_numa_arm");
	unsigned long long armed0 = tier_vmstat("tier_ext_numa_armed");
	unsigned long long faults, drops, seen = 0, exact = 0, pages = 0;
	unsigned char hit[PAGES] = {};
	static u64 addrs[2048];
	static s32 nids[2048];
	long where[2];
	u64 nr;

	ASSERT_EQ(0, hint_attach(self, "promote_to=-1"));
	touch_until(self->mem, 20000, enough_samples, &self->p);
	/* no more target faults; let the sampler kthread drain */
	ASSERT_EQ(0, tier_targets_write("-%d", getpid()));
	self->target = false;
	tier_msleep(300);

	faults = tier_vmstat("tier_ext_numa_faults") - faults0;
	drops = tier_vmstat("tier_ext_samples_dropped") - drops0;
	nr = TIER_BSS(&self->p, u64, "nr_numa");
	/* quiescent now: two snapshots of the policy's .bss agree */
	ASSERT_NE(NULL, tier_test_var(&self->p, ".bss", "addrs"));
	memcpy(addrs, tier_test_var(&self->p, ".bss", "addrs"), sizeof(addrs));
	ASSERT_NE(NULL, tier_test_var(&self->p, ".bss", "nids"));
	memcpy(nids, tier_test_var(&self->p, ".bss", "nids"), sizeof(nids));
	for (u64 k = 0; k < nr && k < 2048; k++) {
		u64 a = addrs[k];

		if (a < (u64)self->mem || a >= (u64)self->mem + PAGES * 4096UL)
			continue;
		seen++;
		exact += (a & 4095) == OFFSET && nids[k] == 1;
		hit[(a - (u64)self->mem) / 4096] = 1;
	}
	for (int i = 0; i < PAGES; i++)
		pages += hit[i];
	tier_where(self->mem, PAGES * 4096UL, where);
	TH_LOG("%llu hint faults, %llu samples (%llu in the range, %llu exact), %llu of %d pages, %llu dropped, %llu with a known latency, %llu pages armed",
	       faults, (unsigned long long)nr, seen, exact, pages, PAGES, drops,
	       (unsigned long long)TIER_BSS(&self->p, u64, "nr_known_latency"),
	       tier_vmstat("tier_ext_numa_armed") - armed0);
	if (nr)
		TH_LOG("cost: %llu ns per sample delivered, %llu ns per sample queued, %llu us arming",
		       (tier_vmstat("tier_ext_ns_sample") - ns_sample0) / nr,
		       (tier_vmstat("tier_ext_ns_queue") - ns_queue0) / (nr + drops),
		       (tier_vmstat("tier_ext_ns_numa_arm") - ns_arm0) / 1000);
	/* every fault became a sample or a counted drop */
	EXPECT_EQ(faults, nr + drops);
	EXPECT_EQ(seen, exact);
	EXPECT_GE(pages + drops, PAGES);
	EXPECT_EQ(0, TIER_BSS(&self->p, u64, "nr_other"));
	EXPECT_LT(0, TIER_BSS(&self->p, u64, "nr_known_latency"));
	EXPECT_EQ(faults, TIER_BSS(&self->p, u64, "nr_decisions"));
	/* numa_fault said to leave them: all still on the slow node */
	EXPECT_EQ(PAGES, where[1]);
	EXPECT_LT(ns_sample0, tier_vmstat("tier_ext_ns_sample"));
	EXPECT_LT(ns_arm0, tier_vmstat("tier_ext_ns_numa_arm"));
	EXPECT_LT(0, tier_vmstat("tier_ext_ns_numa_fault"));
}

static bool all_fast(void *arg)
{
	long where[2];

	tier_where(arg, PAGES * 4096UL, where);
	return where[0] == PAGES;
}

TEST_F(hint, numa_fault_decides_promotion)
{
	unsigned long long migr0 = tier_vmstat("tier_ext_numa_migrate");
	long where[2];

	ASSERT_EQ(0, hint_attach(self, "promote_to=0"));
	touch_until(self->mem, 20000, all_fast, self->mem);
	tier_where(self->mem, PAGES * 4096UL, where);
	TH_LOG("%ld pages on the fast node, %ld on the slow one, %llu decisions to migrate",
	       where[0], where[1], tier_vmstat("tier_ext_numa_migrate") - migr0);
	EXPECT_EQ(PAGES, where[0]);
	EXPECT_LE(PAGES, tier_vmstat("tier_ext_numa_migrate") - migr0);
	for (int i = 0; i < PAGES; i++)
		ASSERT_EQ((char)i, self->mem[i * 4096UL]);
}

static bool ejected(void *arg)
{
	return !strcmp(tier_sysfs("state"), "disabled");
}

TEST_F(hint, numa_fault_bad_node_ejects)
{
	ASSERT_EQ(0, hint_attach(self, "promote_to=1000"));
	touch_until(self->mem, 20000, ejected, NULL);
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	EXPECT_STREQ("error", tier_sysfs("exit_kind"));
	EXPECT_NE(NULL, strstr(tier_sysfs("exit_reason"), "returned invalid node 1000")) {
		TH_LOG("exit_reason: %s", tier_sysfs("exit_reason"));
	}
}

TEST_F(hint, refused_in_numa_balancing_tiering_mode)
{
	const char *params[] = { NULL };

	ASSERT_EQ(0, tier_write_file("/proc/sys/kernel/numa_balancing", "2"));
	ASSERT_EQ(0, tier_test_load(&self->p, HINTER, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	EXPECT_EQ(NULL, self->link);
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, tier_write_file("/proc/sys/kernel/numa_balancing", "0"));
	EXPECT_NE(NULL, strstr(tier_sysfs("exit_reason"), "memory tiering mode")) {
		TH_LOG("exit_reason: %s", tier_sysfs("exit_reason"));
	}
	/* off again: it attaches */
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	EXPECT_NE(NULL, self->link);
}

TEST_HARNESS_MAIN
