// SPDX-License-Identifier: GPL-2.0
/*
 * faultclock: time the guest spends in NUMA hint faults and NUMA
 * balancing's scans (faultclock.bpf.c says what is timed), from the start
 * until SIGINT or SIGTERM; then one line on stdout:
 *
 *   fault_s=SECONDS faults=N scan_s=SECONDS scans=N
 *
 * Seconds of the guest's clock (CLOCK_MONOTONIC), summed over CPUs.
 *   faultclock [-r READY_FILE]
 * READY_FILE is created once the programs are attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "faultclock.skel.h"

/* struct faultclock of faultclock.bpf.c, summed */
struct faultclock_sum {
	unsigned long long fault_ns, faults, scan_ns, scans;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	const char *ready = NULL;
	struct faultclock_bpf *skel;
	struct faultclock_sum *per_cpu, sum = {};
	int ncpus, opt, fd, i;
	unsigned int zero = 0;

	while ((opt = getopt(argc, argv, "r:h")) != -1) {
		switch (opt) {
		case 'r':
			ready = optarg;
			break;
		default:
			fprintf(stderr, "usage: faultclock [-r READY_FILE]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "faultclock: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	libbpf_set_print(quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = faultclock_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "faultclock: cannot load the BPF programs: %s\n", strerror(errno));
		return 1;
	}
	if (faultclock_bpf__attach(skel)) {
		fprintf(stderr, "faultclock: cannot attach to numa_migrate_check/task_numa_fault/task_numa_work: %s\n",
			strerror(errno));
		faultclock_bpf__destroy(skel);
		return 1;
	}
	if (ready) {
		fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			fprintf(stderr, "faultclock: cannot create %s: %s\n", ready, strerror(errno));
			faultclock_bpf__destroy(skel);
			return 1;
		}
		close(fd);
	}
	while (!stop)
		pause();

	ncpus = libbpf_num_possible_cpus();
	per_cpu = ncpus > 0 ? calloc(ncpus, sizeof(*per_cpu)) : NULL;
	if (!per_cpu || bpf_map__lookup_elem(skel->maps.clocks, &zero, sizeof(zero), per_cpu,
					     ncpus * sizeof(*per_cpu), 0)) {
		fprintf(stderr, "faultclock: cannot read the clocks: %s\n", strerror(errno));
		free(per_cpu);
		faultclock_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < ncpus; i++) {
		sum.fault_ns += per_cpu[i].fault_ns;
		sum.faults += per_cpu[i].faults;
		sum.scan_ns += per_cpu[i].scan_ns;
		sum.scans += per_cpu[i].scans;
	}
	printf("fault_s=%.6f faults=%llu scan_s=%.6f scans=%llu\n", sum.fault_ns / 1e9,
	       sum.faults, sum.scan_ns / 1e9, sum.scans);
	free(per_cpu);
	faultclock_bpf__destroy(skel);
	return 0;
}
