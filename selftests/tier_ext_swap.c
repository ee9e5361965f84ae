// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-swap stress: replace the policy 200 times through BPF_LINK_UPDATE
 * while samples are injected without pause, sysfs is watched and another
 * process keeps writing and checking memory. There must never be a moment
 * without a policy, and every sample must reach exactly one policy.
 */
/* tier-test: vm */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tier_test.h"

#define NR_SWAPS	200
#define BATCH		16
#define TOUCH_BYTES	(64UL << 20)

struct swap_ctx {
	atomic_bool stop;
	atomic_ulong injected;
	atomic_ulong inject_errors;
	atomic_ulong gaps;	/* sysfs showed no policy */
	atomic_ulong reads;
	char bad_state[128];
};

static void *injector(void *arg)
{
	struct swap_ctx *c = arg;
	char text[BATCH * 32];
	unsigned long n = 0;
	size_t len;
	int i;

	while (!atomic_load(&c->stop)) {
		len = 0;
		for (i = 0; i < BATCH; i++, n++)
			len += snprintf(text + len, sizeof(text) - len,
					"%d 0x%lx %d 1\n", getpid(),
					0x10000000UL + (n % 4096) * 4096, (int)(n & 1));
		if (tier_inject_raw(text))
			atomic_fetch_add(&c->inject_errors, 1);
		else
			atomic_fetch_add(&c->injected, BATCH);
	}
	return NULL;
}

static void *watcher(void *arg)
{
	struct swap_ctx *c = arg;

	while (!atomic_load(&c->stop)) {
		const char *state = tier_sysfs("state");
		const char *ops = tier_sysfs("ops");

		atomic_fetch_add(&c->reads, 1);
		if (strcmp(state, "enabled") ||
		    (strcmp(ops, "static") && strcmp(ops, "count"))) {
			if (!atomic_fetch_add(&c->gaps, 1))
				snprintf(c->bad_state, sizeof(c->bad_state),
					 "state=%s ops=%s", state, ops);
		}
	}
	return NULL;
}

static volatile sig_atomic_t toucher_stop;

static void toucher_sigusr1(int sig)
{
	toucher_stop = 1;
}

/* Writes a pattern over 64 MiB and checks it until told to stop. */
static int toucher(void)
{
	unsigned long *mem = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t n = TOUCH_BYTES / sizeof(*mem), i;
	unsigned long round;

	if (mem == MAP_FAILED)
		return 2;
	signal(SIGUSR1, toucher_sigusr1);
	for (round = 1; !toucher_stop; round++) {
		for (i = 0; i < n; i += 512)
			mem[i] = i * 2654435761UL + round;
		for (i = 0; i < n; i += 512)
			if (mem[i] != i * 2654435761UL + round)
				return 1;
	}
	return 0;
}

/* Wait up to a second for the injector to inject more than @since. */
static void wait_injected(struct swap_ctx *c, unsigned long since)
{
	int i;

	for (i = 0; i < 1000 && atomic_load(&c->injected) <= since; i++)
		tier_msleep(1);
}

TEST(swap_200_times_under_load)
{
	unsigned long long samples0, unhandled0, swaps0, a = 0, b = 0;
	unsigned long injected = 0;
	struct tier_policy pol[2];
	struct bpf_link *link;
	pthread_t inj, wat;
	struct swap_ctx c = {};
	int i, status;
	pid_t child;

	TIER_FIXTURE_NEEDS_TIER_EXT();
	ASSERT_EQ(0, tier_test_load(&pol[0], "../policies/static.bpf.o", NULL));
	ASSERT_EQ(0, tier_test_load(&pol[1], "../policies/count.bpf.o", NULL));

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(toucher());

	link = bpf_map__attach_struct_ops(pol[0].ops_map);
	ASSERT_NE(NULL, link);
	samples0 = tier_vmstat("tier_ext_samples");
	unhandled0 = tier_vmstat("tier_ext_samples_unhandled");
	swaps0 = tier_vmstat("tier_ext_swaps");

	ASSERT_EQ(0, pthread_create(&inj, NULL, injector, &c));
	ASSERT_EQ(0, pthread_create(&wat, NULL, watcher, &c));
	for (i = 1; i <= NR_SWAPS; i++) {
		/*
		 * Swap only once samples flow again since the last swap, so
		 * that both policies take some however the threads are
		 * scheduled (a loaded machine once ran all 200 swaps before
		 * the injector's first write).
		 */
		wait_injected(&c, injected);
		injected = atomic_load(&c.injected);
		ASSERT_EQ(0, bpf_link__update_map(link, pol[i % 2].ops_map)) {
			TH_LOG("swap %d: %s", i, strerror(errno));
		}
	}
	/* let the last policy take some samples too */
	tier_msleep(50);
	atomic_store(&c.stop, true);
	pthread_join(inj, NULL);
	pthread_join(wat, NULL);

	EXPECT_EQ(0, atomic_load(&c.inject_errors));
	EXPECT_EQ(0, atomic_load(&c.gaps)) {
		TH_LOG("%lu of %lu reads saw no policy, first: %s",
		       atomic_load(&c.gaps), atomic_load(&c.reads), c.bad_state);
	}
	EXPECT_LT(0, atomic_load(&c.injected));
	EXPECT_EQ(swaps0 + NR_SWAPS, tier_vmstat("tier_ext_swaps"));
	EXPECT_EQ(unhandled0, tier_vmstat("tier_ext_samples_unhandled"));
	EXPECT_EQ(samples0 + atomic_load(&c.injected), tier_vmstat("tier_ext_samples"));
	ASSERT_EQ(0, tier_stats_get(bpf_map__fd(pol[0].stats_map), "samples", &a));
	ASSERT_EQ(0, tier_stats_get(bpf_map__fd(pol[1].stats_map), "samples", &b));
	/* each sample reached exactly one of the two policies */
	EXPECT_EQ(atomic_load(&c.injected), a + b);
	EXPECT_LT(0, a);
	EXPECT_LT(0, b);
	TH_LOG("%d swaps, %lu samples: static %llu, count %llu", NR_SWAPS,
	       atomic_load(&c.injected), a, b);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	EXPECT_STREQ("static", tier_sysfs("ops"));	/* NR_SWAPS is even */

	EXPECT_EQ(0, bpf_link__detach(link));
	bpf_link__destroy(link);
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	kill(child, SIGUSR1);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("memory toucher: status 0x%x (exit 1: data corrupted)", status);
	}
	tier_policy_close(&pol[0]);
	tier_policy_close(&pol[1]);
}

TEST_HARNESS_MAIN
