// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the migration and suspend tests' initrd guest (no 9p: a mounted
 * 9p export blocks migration, and 9p does not survive suspend). Prints each
 * node's MemTotal on the console every 500 ms, so the host sees what the
 * guest sees before and after a restore or a resume.
 *
 * With tier_suspend_below=MIB on the command line it suspends to RAM once,
 * when node 1's MemTotal falls below MIB: the host's balloon resize is the
 * signal, the initrd has no other channel from the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static long node_memtotal_kb(int nid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "MemTotal:"))
			sscanf(strstr(line, "MemTotal:") + 9, "%ld", &kb);
	fclose(f);
	return kb;
}

/* tier_suspend_below=MIB from /proc/cmdline, or 0 */
static long suspend_below_mib(void)
{
	char line[1024], *p;
	long mib = 0;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		p = strstr(line, "tier_suspend_below=");
		if (p)
			mib = strtol(p + strlen("tier_suspend_below="), NULL, 10);
	}
	fclose(f);
	return mib;
}

static void suspend_to_ram(void)
{
	FILE *f = fopen("/sys/power/state", "w");
	int rc = 0;

	printf("suspending\n");
	fflush(stdout);
	/* returns once the host woke the guest up */
	if (!f || fputs("mem", f) < 0 || fclose(f))
		rc = errno;
	printf("resumed rc=%d\n", rc);
	fflush(stdout);
}

int main(void)
{
	unsigned long seq = 0;
	long below;

	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	below = suspend_below_mib();
	for (;;) {
		long n0 = node_memtotal_kb(0), n1 = node_memtotal_kb(1);

		printf("memtotal seq=%lu node0=%ld node1=%ld\n", seq++, n0, n1);
		fflush(stdout);
		if (below > 0 && n1 >= 0 && n1 < below * 1024) {
			below = 0;
			suspend_to_ram();
		}
		usleep(500 * 1000);
	}
}
