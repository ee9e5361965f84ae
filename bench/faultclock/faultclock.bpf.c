// SPDX-License-Identifier: GPL-2.0
/*
 * faultclock: guest time spent in NUMA hint faults and in NUMA balancing's
 * scans, whoever pays it (the faulting task, the task whose task_work
 * scans). The benchmark adds it to the tiering CPU of a cell: it is not in
 * any kernel thread's CPU time.
 *
 * A hint fault is timed from numa_migrate_check() (the policy's decision:
 * upstream's, or tier_ext's ops.numa_fault()) to the return of
 * task_numa_fault() (the migration and its copy in between, mm/memory.c
 * do_numa_page() and mm/huge_memory.c do_huge_pmd_numa_page()). The
 * exception entry and the page-table lookup before it are not counted; a
 * fault that returns before task_numa_fault() (the PTE changed) is not
 * counted. A scan is task_numa_work() (kernel/sched/fair.c), entry to exit.
 * Program names start with fc_: the benchmark leaves them out of the
 * policies' BPF run time.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* Per CPU; user space sums them. Times in ns of the guest's clock. */
struct faultclock {
	__u64 fault_ns;
	__u64 faults;
	__u64 scan_ns;
	__u64 scans;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct faultclock);
} clocks SEC(".maps");

/* When the task's current fault or scan began (0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} fault_start SEC(".maps"), scan_start SEC(".maps");

static __always_inline void begin(void *map)
{
	__u64 *t = bpf_task_storage_get(map, bpf_get_current_task_btf(), 0,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (t)
		*t = bpf_ktime_get_ns();
}

/* Ns since begin() on this task, then cleared; 0 if none. */
static __always_inline __u64 end(void *map)
{
	__u64 *t = bpf_task_storage_get(map, bpf_get_current_task_btf(), 0, 0);
	__u64 d;

	if (!t || !*t)
		return 0;
	d = bpf_ktime_get_ns() - *t;
	*t = 0;
	return d;
}

SEC("fentry/numa_migrate_check")
int BPF_PROG(fc_fault_begin)
{
	begin(&fault_start);
	return 0;
}

SEC("fexit/task_numa_fault")
int BPF_PROG(fc_fault_end)
{
	struct faultclock *c;
	__u32 zero = 0;
	__u64 d = end(&fault_start);

	c = bpf_map_lookup_elem(&clocks, &zero);
	if (c && d) {
		c->fault_ns += d;
		c->faults++;
	}
	return 0;
}

SEC("fentry/task_numa_work")
int BPF_PROG(fc_scan_begin)
{
	begin(&scan_start);
	return 0;
}

SEC("fexit/task_numa_work")
int BPF_PROG(fc_scan_end)
{
	struct faultclock *c;
	__u32 zero = 0;
	__u64 d = end(&scan_start);

	c = bpf_map_lookup_elem(&clocks, &zero);
	if (c && d) {
		c->scan_ns += d;
		c->scans++;
	}
	return 0;
}
