// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the migration test's initrd guest (no 9p: a mounted 9p export
 * blocks migration). Prints each node's MemTotal on the console every
 * 500 ms, so the host sees what the guest sees before and after a restore.
 */
#include <stdio.h>
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

int main(void)
{
	unsigned long seq = 0;

	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	for (;;) {
		printf("memtotal seq=%lu node0=%ld node1=%ld\n", seq++,
		       node_memtotal_kb(0), node_memtotal_kb(1));
		fflush(stdout);
		usleep(500 * 1000);
	}
}
