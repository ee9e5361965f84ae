// SPDX-License-Identifier: GPL-2.0
/*
 * Sample sources: the perf source (through the software page-fault event
 * here, as there is no PMU) delivers, through the per-CPU buffers and the
 * sampler kthread, samples whose addresses are the ones the test touched.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "tier_test.h"

#define SAMPLER		"progs/sampler.bpf.o"
#define PAGES		1024
#define OFFSET		123

FIXTURE(src) {
	struct tier_policy p;
	struct bpf_link *link;
};

FIXTURE_SETUP(src)
{
	memset(self, 0, sizeof(*self));
	if (access(TIER_SYSFS, F_OK))
		SKIP(return, "kernel without tier_ext");
	ASSERT_TRUE(tier_wait_state("disabled", 2000));
	ASSERT_EQ(0, tier_test_load(&self->p, SAMPLER, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
}

FIXTURE_TEARDOWN(src)
{
	tier_targets_write("-%d", getpid());
	if (self->link) {
		bpf_link__detach(self->link);
		bpf_link__destroy(self->link);
	}
	if (self->p.obj)
		tier_policy_close(&self->p);
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

TEST_HARNESS_MAIN
