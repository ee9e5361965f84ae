// SPDX-License-Identifier: GPL-2.0
/*
 * bench/faultclock: it times every NUMA hint fault the kernel counts
 * (numa_hint_faults in /proc/vmstat) and NUMA balancing's scans, and its
 * bad arguments get a clear error. The benchmark adds what it reports to
 * each cell's tiering CPU.
 */
/* tier-test: vm */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tier_test.h"

#define MiB		(1UL << 20)
#define FAULTCLOCK	"../bin/faultclock"

struct fc_run {
	pid_t pid;
	int out;		/* its stdout */
};

/* Start faultclock with @args (NULL-terminated, after argv[0]). */
static int fc_spawn(struct fc_run *r, const char *const *args)
{
	const char *argv[8] = { tier_test_path(FAULTCLOCK) };
	int fds[2], i;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	if (pipe(fds))
		return -1;
	r->pid = fork();
	if (!r->pid) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	r->out = fds[0];
	return r->pid < 0 ? -1 : 0;
}

/* Wait for it; its exit status, its output in @buf. */
static int fc_wait(struct fc_run *r, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int st;

	while (got < (ssize_t)len - 1 &&
	       (n = read(r->out, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(r->out);
	if (waitpid(r->pid, &st, 0) != r->pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

FIXTURE(faultclock) {
	int unused;
};

FIXTURE_SETUP(faultclock)
{
}

FIXTURE_TEARDOWN(faultclock)
{
}

TEST_F(faultclock, bad_arguments_get_one_line_and_exit_2)
{
	const char *const extra[] = { "extra", NULL };
	const char *const unknown[] = { "-x", NULL };
	struct fc_run r;
	char buf[512];

	ASSERT_EQ(0, access(tier_test_path(FAULTCLOCK), X_OK))
		TH_LOG("%s missing: make workloads", tier_test_path(FAULTCLOCK));
	ASSERT_EQ(0, fc_spawn(&r, extra));
	EXPECT_EQ(2, fc_wait(&r, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "unexpected argument 'extra'")) TH_LOG("%s", buf);
	ASSERT_EQ(0, fc_spawn(&r, unknown));
	EXPECT_EQ(2, fc_wait(&r, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "usage: faultclock")) TH_LOG("%s", buf);
}

TEST_F_TIMEOUT(faultclock, times_every_hint_fault, 300)
{
	const char *const args[] = { "-r", "/tmp/faultclock_test.ready", NULL };
	unsigned long long faults0, faults1, faults = 0, scans = 0;
	double fault_s = -1, scan_s = -1;
	size_t len = 64 * MiB;
	char buf[512], old[16] = "0";
	struct timespec a, b;
	volatile char *p;
	struct fc_run r;
	int i;

	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	if (tier_read_file("/proc/sys/kernel/numa_balancing", old, sizeof(old)) < 0)
		SKIP(return, "kernel without NUMA balancing");
	unlink(args[1]);
	ASSERT_EQ(0, fc_spawn(&r, args));
	for (i = 0; i < 600 && access(args[1], F_OK); i++)
		tier_msleep(100);
	ASSERT_EQ(0, access(args[1], F_OK)) TH_LOG("faultclock did not attach");

	/* slow memory, touched from node 0's CPUs: hint faults promote it */
	p = tier_alloc_on(len, 1);
	ASSERT_NE(NULL, p);
	faults0 = tier_vmstat("numa_hint_faults");
	ASSERT_EQ(0, tier_write_file("/proc/sys/kernel/numa_balancing", "1"));
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (size_t off = 0; off < len; off += TIER_PAGE)
			p[off]++;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while (b.tv_sec - a.tv_sec < 8);
	tier_write_file("/proc/sys/kernel/numa_balancing", old);
	faults1 = tier_vmstat("numa_hint_faults");
	kill(r.pid, SIGTERM);
	ASSERT_EQ(0, fc_wait(&r, buf, sizeof(buf))) TH_LOG("%s", buf);
	unlink(args[1]);
	ASSERT_EQ(4, sscanf(buf, "fault_s=%lf faults=%llu scan_s=%lf scans=%llu",
			    &fault_s, &faults, &scan_s, &scans)) TH_LOG("%s", buf);
	TH_LOG("8 s over 64 MiB of slow memory: %llu hint faults counted by the kernel, %llu timed (%.3f s), %llu scans (%.3f s)",
	       faults1 - faults0, faults, fault_s, scans, scan_s);
	/* faultclock ran a little longer; a fault that backs out is not timed */
	EXPECT_GT(faults1 - faults0, 1000);
	EXPECT_GE(faults, (faults1 - faults0) * 9 / 10);
	EXPECT_LE(faults, (faults1 - faults0) * 11 / 10 + 10);
	EXPECT_GT(fault_s, 0);
	EXPECT_GE(scans, 1);
	EXPECT_GT(scan_s, 0);
	munmap((void *)p, len);
}

TEST_HARNESS_MAIN
